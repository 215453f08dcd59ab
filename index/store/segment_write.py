"""Writing a segment (segment.py has the layout): its rows, its vector stores, its lexicon and
its description, each file synced, under a temporary name that one rename puts in place."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager, nullcontext
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.disk import fsync_path
from index.embed import text_hash
from index.store.choose import choose_store
from index.store.integrity import SEGMENT_FILE, file_sha256
from index.store.lexicon import Lexicon
from index.store.segment import ROWS_FILE
from index.store.vectors import HalfStore, VectorStore

SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY, row INTEGER NOT NULL, path TEXT NOT NULL, title TEXT NOT NULL,
    title_source TEXT NOT NULL, published TEXT, url TEXT, source TEXT, author TEXT, tags TEXT NOT NULL,
    text TEXT NOT NULL, content_hash TEXT NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,  -- the row of its vector in the chunk store
    article_id TEXT NOT NULL REFERENCES articles(id), ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, text_hash BLOB NOT NULL);
CREATE INDEX chunks_by_article ON chunks(article_id, ordinal);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY,  -- the row of its vector in the sentence store
    article_id TEXT NOT NULL REFERENCES articles(id), ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL);
CREATE INDEX sentences_by_article ON sentences(article_id, start);
CREATE INDEX articles_by_published ON articles(published);
CREATE INDEX articles_by_source ON articles(source);
"""


def write_segment(folder: Path, articles: list[Article], chunks: list[Chunk], sentences: list[Chunk],
                  chunk_vectors: np.ndarray, sentence_vectors: np.ndarray,
                  chunk_store: VectorStore | None = None, lexicon: Lexicon | None = None,
                  phase: Callable[[str], ContextManager] = nullcontext) -> dict:
    """Write a whole segment into `folder` (a temporary name: the caller renames it) and sync it.
    Chunks and sentences must be in article order (the order of `articles`), then offset order.
    `phase(name)` times each step (a build's Phases: rows, vectors, lexicon, sync)."""
    folder.mkdir(parents=True)
    rows = {a.id: n for n, a in enumerate(articles)}
    with phase("rows"):
        _write_rows(folder / ROWS_FILE, articles, rows, chunks, sentences)
    with phase("vectors"):
        stores, chosen = _write_vectors(folder, chunk_vectors, sentence_vectors, chunk_store)
    with phase("lexicon"):
        (lexicon or Lexicon.build(chunks, sentences, rows)).save(folder / "lexicon")
    with phase("sync"):
        return _seal(folder, articles, chunks, sentences, stores, chosen, chunk_vectors.shape[1])


def _write_rows(path: Path, articles: list[Article], rows: dict[str, int], chunks: list[Chunk],
                sentences: list[Chunk]) -> None:
    db = sqlite3.connect(path)
    with db:
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       [(a.id, rows[a.id], a.path, a.title, a.title_source, a.published, a.url, a.source, a.author,
                         json.dumps(list(a.tags)), a.text, a.content_hash) for a in articles])
        db.executemany('INSERT INTO chunks (id, article_id, ordinal, start, "end", text, text_hash) '
                       "VALUES (?,?,?,?,?,?,?)",
                       [(i, c.article_id, c.ordinal, c.start, c.end, c.text, text_hash(c.text))
                        for i, c in enumerate(chunks)])
        db.executemany('INSERT INTO sentences (id, article_id, ordinal, start, "end") VALUES (?,?,?,?,?)',
                       [(i, s.article_id, s.ordinal, s.start, s.end) for i, s in enumerate(sentences)])
    db.close()


def _write_vectors(folder: Path, chunk_vectors: np.ndarray, sentence_vectors: np.ndarray,
                   chunk_store: VectorStore | None) -> tuple[dict, dict]:
    """The chunk and sentence vector stores saved in `folder`: ({kind: (store, file)}, the choice)."""
    dimension = chunk_vectors.shape[1]
    # Chunk vectors: exact search for a small segment, an HNSW graph tuned to recall@10 >= 0.97
    # for a large one (index/store/choose.py); the choice and what it measured are recorded.
    if chunk_store is None:
        chunk_store, chosen = choose_store(chunk_vectors, dimension=dimension)
    else:
        chunk_store.add(chunk_vectors)
        chosen = {"backend": chunk_store.backend, "reason": "given by the caller"}
    # Sentence vectors only rerank and pick quotes: half precision is plenty.
    sentence_store = HalfStore.empty(dimension)
    sentence_store.add(sentence_vectors)
    stores = {"chunks": (chunk_store, "vectors.faiss"), "sentences": (sentence_store, "sentences.npy")}
    for store, file in stores.values():
        store.save(folder / file)
    return stores, chosen


def _seal(folder: Path, articles: list[Article], chunks: list[Chunk], sentences: list[Chunk], stores: dict,
          chosen: dict, dimension: int) -> dict:
    """The segment's description (counts, vector stores, file sizes and checksums) written, and
    every file synced; returns it."""
    spec = {"counts": {"articles": len(articles), "chunks": len(chunks), "sentences": len(sentences)},
            "vectors": {kind: {"backend": store.backend, "file": file, **_params(store)}
                        for kind, (store, file) in stores.items()},
            "chunk_store_choice": {k: v for k, v in chosen.items() if k != "params"},
            "dimension": int(dimension),
            # Sizes, so that a quick look can tell a damaged or truncated segment without reading it;
            # checksums, so that opening it can tell a damaged byte.
            "files": {p.relative_to(folder).as_posix(): p.stat().st_size for p in sorted(folder.rglob("*"))
                      if p.is_file()},
            "sha256": {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*"))
                       if p.is_file()}}
    (folder / SEGMENT_FILE).write_text(json.dumps(spec, indent=1) + "\n")
    for path in sorted(folder.rglob("*"), reverse=True):
        fsync_path(path)
    fsync_path(folder)
    return spec


def _params(store) -> dict:
    params = getattr(store, "params", None)
    return {"params": params()} if callable(params) else {}


def rename_into_place(tmp: Path, final: Path) -> None:
    """The last step of writing a segment or a generation: one rename, then sync the folder."""
    os.rename(tmp, final)
    fsync_path(final.parent)
