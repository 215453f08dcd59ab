"""A loaded generation: its manifest, its SQLite store (read-only) and its vector stores.

Everything that reads a generation goes through these methods; no SQL leaves this package.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from index.store import layout
from index.store.errors import IndexCorrupt, IndexMismatch, IndexMissing
from index.store.filters import Filters, where
from index.store.vectors import VectorStore, store_class

_ARTICLE_COLUMNS = "id, text, title, title_source, published, url, source, author, tags, path"
_LISTED = ("id", "title", "title_source", "published", "url", "source", "author", "tags", "path")


class Generation:
    """One immutable generation, opened for reading."""

    def __init__(self, path: Path, manifest: dict, db: sqlite3.Connection, vectors: VectorStore,
                 sentence_vectors: VectorStore):
        self.path = path
        self.name = path.name
        self.manifest = manifest
        self.db = db
        self.vectors = vectors  # chunk vectors: id = chunk id
        self.sentence_vectors = sentence_vectors  # sentence vectors: id = sentence id
        self._memo: dict[str, object] = {}
        self._memo_lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None) -> Generation:
        """Open the generation CURRENT names; with `model`, refuse an index built with another."""
        name = layout.current_name(index_dir)
        if name is None:
            raise IndexMissing(f"no index in {index_dir}; build one with `footnote index`")
        path = layout.generations_dir(index_dir) / name
        manifest = _read_manifest(path)
        _check_manifest(manifest, index_dir, model)
        try:
            db = sqlite3.connect(f"file:{path / layout.DB_FILE}?mode=ro", uri=True, check_same_thread=False)
            db.execute("SELECT count(*) FROM chunks").fetchone()
            stores = {kind: store_class(spec["backend"]).load(path / spec["file"])
                      for kind, spec in manifest["vectors"].items()}
        except (sqlite3.Error, RuntimeError, OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"generation {name} in {index_dir} is damaged ({exc}); "
                               "rebuild it with `footnote index --rebuild`") from None
        generation = cls(path, manifest, db, stores["chunks"], stores["sentences"])
        sentences = db.execute("SELECT count(*) FROM sentences").fetchone()[0]
        if generation.vectors.count() != generation.chunk_count() or generation.sentence_vectors.count() != sentences:
            raise IndexCorrupt(
                f"generation {name} in {index_dir} is damaged: its vectors do not match its chunks "
                "and sentences; rebuild it with `footnote index --rebuild`")
        return generation

    def memo(self, key: str, make):
        """A value derived from this generation, made on first use and kept with it."""
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = make()
            return self._memo[key]

    def close(self) -> None:
        self.db.close()

    # Counts and articles

    def chunk_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def article_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def article(self, article_id: str) -> Article | None:
        row = self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article(row) if row else None

    def articles(self) -> list[Article]:
        rows = self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY id")
        return [_article(row) for row in rows]

    def article_text(self, article_id: str) -> str:
        return self.db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0]

    def list_articles(self, filters: Filters, offset: int, limit: int) -> tuple[int, list[dict]]:
        """(how many match, one page of their metadata) in id order."""
        clause, params = where(filters)
        total = self.db.execute(f"SELECT count(*) FROM articles a WHERE {clause}", params).fetchone()[0]
        rows = self.db.execute(f"SELECT {', '.join('a.' + c for c in _LISTED)} FROM articles a WHERE {clause} "
                               "ORDER BY a.id LIMIT ? OFFSET ?", [*params, limit, offset])
        return total, [{**dict(zip(_LISTED, row)), "tags": json.loads(row[7])} for row in rows]

    def article_hashes(self) -> dict[str, tuple[str, str]]:
        """`{article id: (content hash, file path)}` for every article."""
        rows = self.db.execute("SELECT id, content_hash, path FROM articles")
        return {aid: (h, p) for aid, h, p in rows}

    # Chunks and sentences

    def chunks_of(self, article_ids: list[str]) -> list[Chunk]:
        """The chunks of these articles, in article then ordinal order."""
        found = []
        for aid in article_ids:
            rows = self.db.execute('SELECT article_id, ordinal, start, "end", text FROM chunks '
                                   "WHERE article_id = ? ORDER BY ordinal", (aid,))
            found.extend(Chunk(*row) for row in rows)
        return found

    def sentences_of(self, article_ids: list[str]) -> list[Chunk]:
        """The sentence units of these articles (text included), in article then ordinal order."""
        found = []
        for aid in article_ids:
            text = self.article_text(aid)
            rows = self.db.execute('SELECT ordinal, start, "end" FROM sentences WHERE article_id = ? '
                                   "ORDER BY ordinal", (aid,))
            found.extend(Chunk(aid, n, s, e, text[s:e]) for n, s, e in rows)
        return found

    def sentences_within(self, chunk: Chunk) -> list[tuple[int, int, int]]:
        """`(id, start, end)` of the sentence units inside a chunk, in order."""
        return self.db.execute(
            'SELECT id, start, "end" FROM sentences WHERE article_id = ? AND start >= ? AND "end" <= ? '
            "ORDER BY start", (chunk.article_id, chunk.start, chunk.end)).fetchall()

    def sentences_around(self, chunk: Chunk, n: int) -> list[tuple[int, int, int]]:
        """`(id, start, end)` of the `n` sentence units just before a chunk and the `n` just after it."""
        before = self.db.execute('SELECT id, start, "end" FROM sentences WHERE article_id = ? AND "end" <= ? '
                                 "ORDER BY start DESC LIMIT ?", (chunk.article_id, chunk.start, n)).fetchall()
        after = self.db.execute('SELECT id, start, "end" FROM sentences WHERE article_id = ? AND start >= ? '
                                "ORDER BY start LIMIT ?", (chunk.article_id, chunk.end, n)).fetchall()
        return before[::-1] + after

    def chunk_rows(self, ids: list[int]) -> dict[int, tuple]:
        """`{chunk id: (Chunk, title, published, url, source)}` for these ids."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f'SELECT c.id, c.article_id, c.ordinal, c.start, c."end", c.text, a.title, a.published, a.url, '
            f"a.source FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN ({marks})", ids)
        return {row[0]: (Chunk(*row[1:6]), *row[6:]) for row in rows}

    # Search

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """The ids of the chunks whose articles pass the filters."""
        clause, params = where(filters)
        rows = self.db.execute(f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {clause}",
                               params)
        return np.array([i for (i,) in rows], dtype=np.int64)

    def lexical(self, terms: list[str], filters: Filters, limit: int) -> list[int]:
        """Chunk ids by BM25 (FTS5) for an OR of the terms, each quoted (no operator injection)."""
        if not terms:
            return []
        clause, params = where(filters)
        query = " OR ".join(f'"{t}"' for t in terms)
        rows = self.db.execute(
            "SELECT f.rowid FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
            f"JOIN articles a ON a.id = c.article_id WHERE chunks_fts MATCH ? AND {clause} "
            "ORDER BY bm25(chunks_fts) LIMIT ?", [query, *params, limit])
        return [i for (i,) in rows]

    def chunks_with_prefix(self, term: str) -> int:
        """How many chunks hold a word starting with `term` (for its IDF)."""
        return self.db.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                               (f'"{term}"*',)).fetchone()[0]


def _article(row) -> Article:
    *head, tags, path = row
    return Article(*head, tags=tuple(json.loads(tags)), path=path)


def _check_manifest(manifest: dict, index_dir: Path, model: str | None) -> None:
    built_with = manifest["model"]["name"]
    if model is not None and model != built_with:
        raise IndexMismatch(
            f"the index in {index_dir} was built with model {built_with!r} "
            f"({manifest['model']['dimension']} dimensions), but model {model!r} was asked for; "
            f"rebuild it with `footnote index --model {model}`, or ask with `--model {built_with}`")
    if manifest.get("format_version") != layout.FORMAT_VERSION:
        raise IndexMismatch(
            f"the index in {index_dir} has format version {manifest.get('format_version')}, "
            f"this Footnote reads version {layout.FORMAT_VERSION}; rebuild it with `footnote index --rebuild`")


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / layout.MANIFEST_FILE).read_text())
        manifest["model"]["name"], manifest["model"]["dimension"]
    except FileNotFoundError:
        raise IndexCorrupt(f"generation {path.name} has no manifest; rebuild with `footnote index --rebuild`") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"the manifest of generation {path.name} is unreadable ({exc}); "
                           "rebuild with `footnote index --rebuild`") from None
    return manifest
