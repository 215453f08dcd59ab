"""A loaded generation: its manifest, its SQLite store (read-only) and its vectors."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path


import numpy as np

from corpus import Article, Chunk
from index import store
from index.store import IndexCorrupt, IndexMismatch, IndexMissing
from index.vectors import VectorIndex


@dataclass(frozen=True)
class SentenceHit:
    """A sentence of a passage, scored against the question."""

    start: int  # offsets into the article
    end: int
    coverage: float  # the share of the question's term weight found in the sentence
    cosine: float  # between the question and the sentence
    in_passage: bool = True  # inside the retrieved passage, or elsewhere in its article
    text: str = ""  # article.text[start:end]


@dataclass(frozen=True)
class Passage:
    """A chunk found by a search, with its article's citation fields."""

    chunk: Chunk
    score: float
    title: str
    published: str | None
    url: str | None
    source: str | None
    chunk_id: int = -1
    dense: float = 0.0  # cosine between the question and the passage
    duplicates: tuple[str, ...] = ()  # articles carrying the same story, folded into this one
    sentences: tuple[SentenceHit, ...] = ()
    dense_rank: int = 0  # 1-based rank in the dense and the lexical candidates; 0: not among them
    lexical_rank: int = 0


class Generation:
    """One immutable generation, opened for reading."""

    def __init__(self, path: Path, manifest: dict, db: sqlite3.Connection, vectors: VectorIndex,
                 sentence_vectors: np.ndarray):
        self.path = path
        self.name = path.name
        self.manifest = manifest
        self.db = db
        self.vectors = vectors
        self.sentence_vectors = sentence_vectors
        self._memo: dict[str, object] = {}
        self._memo_lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None) -> Generation:
        """Open the generation CURRENT names; with `model`, refuse an index built with another."""
        name = store.current_name(index_dir)
        if name is None:
            raise IndexMissing(f"no index in {index_dir}; build one with `footnote index`")
        path = store.generations_dir(index_dir) / name
        manifest = _read_manifest(path)
        built_with = manifest["model"]["name"]
        if model is not None and model != built_with:
            raise IndexMismatch(
                f"the index in {index_dir} was built with model {built_with!r} "
                f"({manifest['model']['dimension']} dimensions), but model {model!r} was asked for; "
                f"rebuild it with `footnote index --model {model}`, or ask with `--model {built_with}`")
        if manifest.get("format_version") != store.FORMAT_VERSION:
            raise IndexMismatch(
                f"the index in {index_dir} has format version {manifest.get('format_version')}, "
                f"this Footnote reads version {store.FORMAT_VERSION}; rebuild it with `footnote index --rebuild`")
        try:
            db = sqlite3.connect(f"file:{path / store.DB_FILE}?mode=ro", uri=True,
                                 check_same_thread=False)
            db.execute("SELECT count(*) FROM chunks").fetchone()
            vectors = VectorIndex.load(path / store.VECTORS_FILE)
            sentence_vectors = np.load(path / store.SENTENCE_VECTORS_FILE, mmap_mode="r")
        except (sqlite3.Error, RuntimeError, OSError, ValueError) as exc:
            raise IndexCorrupt(f"generation {name} in {index_dir} is damaged ({exc}); "
                               "rebuild it with `footnote index --rebuild`") from None
        generation = cls(path, manifest, db, vectors, sentence_vectors)
        sentences = db.execute("SELECT count(*) FROM sentences").fetchone()[0]
        if vectors.count() != generation.chunk_count() or len(sentence_vectors) != sentences:
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

    def chunk_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def article_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def article(self, article_id: str) -> Article | None:
        row = self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?",
                              (article_id,)).fetchone()
        return _article(row) if row else None

    def articles(self) -> list[Article]:
        rows = self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY id")
        return [_article(row) for row in rows]

    def article_hashes(self) -> dict[str, tuple[str, str]]:
        """`{article id: (content hash, file path)}` for every article."""
        rows = self.db.execute("SELECT id, content_hash, path FROM articles")
        return {aid: (h, p) for aid, h, p in rows}

    def chunks_of(self, article_ids: list[str]) -> list[Chunk]:
        """The chunks of these articles, in article then ordinal order."""
        found = []
        for aid in article_ids:
            rows = self.db.execute(
                'SELECT article_id, ordinal, start, "end", text FROM chunks '
                "WHERE article_id = ? ORDER BY ordinal", (aid,))
            found.extend(Chunk(*row) for row in rows)
        return found

    def sentences_of(self, article_ids: list[str]) -> list[Chunk]:
        """The sentence units of these articles (text included), in article then ordinal order."""
        found = []
        for aid in article_ids:
            text = self.db.execute("SELECT text FROM articles WHERE id = ?", (aid,)).fetchone()[0]
            rows = self.db.execute('SELECT ordinal, start, "end" FROM sentences WHERE article_id = ? '
                                   "ORDER BY ordinal", (aid,))
            found.extend(Chunk(aid, n, s, e, text[s:e]) for n, s, e in rows)
        return found

    def article_text(self, article_id: str) -> str:
        return self.db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0]

    def sentences_around(self, chunk: Chunk, n: int) -> list[tuple[int, int, int]]:
        """`(id, start, end)` of the `n` sentence units just before a chunk and the `n` just after it."""
        before = self.db.execute('SELECT id, start, "end" FROM sentences WHERE article_id = ? AND "end" <= ? '
                                 "ORDER BY start DESC LIMIT ?", (chunk.article_id, chunk.start, n)).fetchall()
        after = self.db.execute('SELECT id, start, "end" FROM sentences WHERE article_id = ? AND start >= ? '
                                "ORDER BY start LIMIT ?", (chunk.article_id, chunk.end, n)).fetchall()
        return before[::-1] + after

    def sentences_within(self, chunk: Chunk) -> list[tuple[int, int, int]]:
        """`(id, start, end)` of the sentence units inside a chunk, in order."""
        return self.db.execute(
            'SELECT id, start, "end" FROM sentences WHERE article_id = ? AND start >= ? AND "end" <= ? '
            "ORDER BY start", (chunk.article_id, chunk.start, chunk.end)).fetchall()

    def passages(self, ids: list[int], scores: list[float]) -> list[Passage]:
        """Passages for chunk ids (with their scores), in the order given."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f'SELECT c.id, c.article_id, c.ordinal, c.start, c."end", c.text, '
            f"a.title, a.published, a.url, a.source FROM chunks c JOIN articles a "
            f"ON a.id = c.article_id WHERE c.id IN ({marks})", ids)
        by_id = {row[0]: row for row in rows}
        return [Passage(Chunk(*by_id[i][1:6]), float(s), *by_id[i][6:], chunk_id=i)
                for i, s in zip(ids, scores) if i in by_id]


_ARTICLE_COLUMNS = "id, text, title, title_source, published, url, source, author, tags, path"


def _article(row) -> Article:
    *head, tags, path = row
    return Article(*head, tags=tuple(json.loads(tags)), path=path)


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / store.MANIFEST_FILE).read_text())
        manifest["model"]["name"], manifest["model"]["dimension"]
    except FileNotFoundError:
        raise IndexCorrupt(f"generation {path.name} has no manifest; rebuild with `footnote index --rebuild`") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"the manifest of generation {path.name} is unreadable ({exc}); "
                           "rebuild with `footnote index --rebuild`") from None
    return manifest
