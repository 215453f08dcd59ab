"""The index on disk: immutable generations and a pointer replaced atomically.

    INDEX_DIR/CURRENT                 the name of the generation being served
    INDEX_DIR/generations/NAME/       footnote.sqlite (articles, chunks, sentences, FTS5),
                                      chunk and sentence vectors (files and backends named in
                                      the manifest: vectors.faiss, sentences.npy), manifest.json
    INDEX_DIR/cache.sqlite            embedded vectors by (model, text hash)
    INDEX_DIR/build.lock              held by the one build that may run at a time

A generation is written under a temporary name, synced, renamed, and only then named in
CURRENT (os.replace), so a reader sees a whole generation or the previous one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.folder import fsync_path
from index.embed import text_hash
from index.store.vectors import FaissFlatStore, HalfStore

FORMAT_VERSION = 3  # 3: the manifest names each vector store's backend and file
POINTER = "CURRENT"
DB_FILE = "footnote.sqlite"
VECTORS_FILE = "vectors.faiss"
SENTENCE_VECTORS_FILE = "sentences.npy"
MANIFEST_FILE = "manifest.json"

SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL, title_source TEXT NOT NULL,
    published TEXT, url TEXT, source TEXT, author TEXT, tags TEXT NOT NULL,
    text TEXT NOT NULL, content_hash TEXT NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,  -- the row of its vector in vectors.faiss
    article_id TEXT NOT NULL REFERENCES articles(id), ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, text_hash BLOB NOT NULL);
CREATE INDEX chunks_by_article ON chunks(article_id, ordinal);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY,  -- the row of its vector in sentences.npy
    article_id TEXT NOT NULL REFERENCES articles(id), ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL);
CREATE INDEX sentences_by_article ON sentences(article_id, start);
CREATE INDEX articles_by_published ON articles(published);
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id',
    tokenize='porter unicode61');
"""


def generations_dir(index_dir: Path) -> Path:
    return Path(index_dir) / "generations"


def current_name(index_dir: Path) -> str | None:
    try:
        name = (Path(index_dir) / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def next_name(index_dir: Path) -> str:
    numbers = [int(p.name) for p in generations_dir(index_dir).glob("[0-9]*") if p.name.isdigit()]
    return f"{max(numbers, default=0) + 1:06d}"


def write_generation(index_dir: Path, name: str, articles: Iterable[Article], chunks: list[Chunk],
                     vectors: np.ndarray, sentences: list[Chunk], sentence_vectors: np.ndarray,
                     manifest: dict) -> Path:
    """Write a complete generation and point CURRENT at it."""
    final = generations_dir(index_dir) / name
    tmp = final.with_name(f".tmp-{name}-{os.getpid()}")
    tmp.mkdir(parents=True)
    db = sqlite3.connect(tmp / DB_FILE)
    with db:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(a.id, a.path, a.title, a.title_source, a.published, a.url, a.source, a.author,
              json.dumps(list(a.tags)), a.text, a.content_hash) for a in articles])
        db.executemany(
            'INSERT INTO chunks (id, article_id, ordinal, start, "end", text, text_hash) '
            "VALUES (?,?,?,?,?,?,?)",
            [(i, c.article_id, c.ordinal, c.start, c.end, c.text, text_hash(c.text))
             for i, c in enumerate(chunks)])
        db.executemany('INSERT INTO sentences (id, article_id, ordinal, start, "end") VALUES (?,?,?,?,?)',
                       [(i, s.article_id, s.ordinal, s.start, s.end) for i, s in enumerate(sentences)])
        db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
    db.close()
    dimension = manifest["model"]["dimension"]
    stores = {"chunks": (FaissFlatStore.empty(dimension), vectors, VECTORS_FILE),
              # Sentence vectors only rerank and pick quotes: half precision is plenty.
              "sentences": (HalfStore.empty(dimension), sentence_vectors, SENTENCE_VECTORS_FILE)}
    for store, rows, file in stores.values():
        store.add(rows)
        store.save(tmp / file)
    manifest = {**manifest, "generation": name,
                "vectors": {kind: {"backend": store.backend, "file": file} for kind, (store, _, file) in stores.items()}}
    (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    _fsync_tree(tmp)
    os.rename(tmp, final)
    fsync_path(final.parent)
    pointer_tmp = Path(index_dir) / f".{POINTER}.tmp-{os.getpid()}"
    pointer_tmp.write_text(name + "\n")
    fsync_path(pointer_tmp)
    os.replace(pointer_tmp, Path(index_dir) / POINTER)
    fsync_path(Path(index_dir))
    return final


def cleanup(index_dir: Path) -> list[str]:
    """Remove unfinished generations, finished ones that were never published, and all
    published ones but the current and the one served before it.

    Call it only while holding the build lock: no other build is between its rename and its
    CURRENT replace then, so a finished generation newer than CURRENT was left by a build
    killed in that gap and no reader has ever seen it. The one served before the current is
    kept so that readers still on it can finish.
    """
    removed = []
    gens = generations_dir(index_dir)
    if not gens.is_dir():
        return removed
    current = current_name(index_dir)
    finished = sorted(p.name for p in gens.iterdir() if p.name.isdigit())
    served = [name for name in finished if current is not None and name <= current]
    keep = set(served[-2:])
    stale = [p for p in gens.iterdir() if p.name.startswith(".tmp-") or (p.name.isdigit() and p.name not in keep)]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    for leftover in Path(index_dir).glob(f".{POINTER}.tmp-*"):
        leftover.unlink(missing_ok=True)
    return removed


def _fsync_tree(path: Path) -> None:
    for child in path.iterdir():
        fsync_path(child)
    fsync_path(path)
