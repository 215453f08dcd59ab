"""A segment: an immutable slice of the index (some articles, their chunks and sentences, their
vectors and their lexicon), written once under a temporary name and renamed into place
(segment_write.py). Generations list segments; an update adds one, a merge replaces several by
one. This module opens and reads them.

    INDEX_DIR/segments/ID/rows.sqlite     articles, chunks, sentences (ids local to the segment)
    INDEX_DIR/segments/ID/<vector files>  chunk and sentence vector stores (backends in segment.json)
    INDEX_DIR/segments/ID/lexicon/        postings, sentence terms, shingles (index/store/lexicon.py)
    INDEX_DIR/segments/ID/segment.json    counts and the vector backends: the segment describes itself
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.terms import index_terms
from index.store.errors import IndexCorrupt
from index.store.integrity import SEGMENT_FILE, checked, sentence_dimension
from index.store.lexicon import Lexicon
from index.store.vectors import VectorStore, store_class

ROWS_FILE = "rows.sqlite"
_CHUNK_ROWS = ('SELECT c.id, c.article_id, c.ordinal, c.start, c."end", c.text, a.title, a.published, a.url, '
               "a.source FROM chunks c JOIN articles a ON a.id = c.article_id")
ARTICLE_COLUMNS = "id, text, title, title_source, published, url, source, author, tags, path"


def article_from_row(row) -> Article:
    """An Article from a row of ARTICLE_COLUMNS."""
    *head, tags, path = row
    return Article(*head, tags=tuple(json.loads(tags)), path=path)


class MemoryBudget:
    """What a generation's small segments may hold in memory together (Segment.SMALL_TOTAL_BYTES)."""

    def __init__(self, total: int):
        self.left = total

    def take(self, size: int) -> bool:
        if size > self.left:
            return False
        self.left -= size
        return True


class Segment:
    """One segment, opened for reading (SQLite read-only, vectors and lexicon memory-mapped)."""

    # A small segment (its files add up to at most this much) is held in memory: its row files
    # are read whole when opened, its sentence vectors kept in single precision, and its chunks'
    # rows and articles' texts kept once a question has asked for some. A question reads ~50
    # chunk rows, ~100 sentence vectors and a few articles, and reading them one by one cost
    # about a third of Footnote's own work per question on a 2,000-article collection (issue
    # 22). A large segment is read by rows and from SQLite as questions ask: its memory stays
    # the pages it touches (bench/million.py). Generation.open also caps what all its small
    # segments hold together (SMALL_TOTAL_BYTES).
    SMALL_BYTES = 64 << 20
    SMALL_TOTAL_BYTES = 256 << 20

    def __init__(self, path: Path, spec: dict, db: sqlite3.Connection, chunks: VectorStore,
                 sentences: VectorStore, lexicon: Lexicon, small: bool = False):
        self.id = path.name
        self.path = path
        self.spec = spec
        self.db = db
        self.chunks = chunks
        self.sentences = sentences
        self.lexicon = lexicon
        self.chunk_count = spec["counts"]["chunks"]
        self.sentence_count = spec["counts"]["sentences"]
        self._table: dict[int, tuple] | None = None
        self._texts: dict[str, str] | None = None  # article id -> text, with the table
        self._table_lock = threading.Lock()
        self._in_memory = small

    @classmethod
    def open(cls, path: Path, dimension: int | None = None, budget: MemoryBudget | None = None) -> Segment:
        """Open a segment, its files checked against their checksums (a segment written before
        checksums is checked by size) and, with `dimension`, its vectors against the model's.
        A small one is held in memory (SMALL_BYTES) if `budget`, shared by a generation's
        segments, has room for it."""
        fix = "rebuild the index with `footnote index --rebuild`"
        try:
            spec = json.loads((path / SEGMENT_FILE).read_text())
            for name, digest in spec.get("sha256", {}).items():
                if not checked(path / name, digest):
                    raise IndexCorrupt(f"segment {path.name} in {path.parent.parent} is damaged: {name} does not "
                                       f"match its checksum; {fix}")
            if dimension is not None and sentence_dimension(path, spec) != dimension:
                raise IndexCorrupt(f"segment {path.name} in {path.parent.parent} holds "
                                   f"{sentence_dimension(path, spec)}-dimension vectors, but the index's model "
                                   f"makes {dimension}: it belongs to another index; {fix}")
            db = sqlite3.connect(f"file:{path / ROWS_FILE}?mode=ro", uri=True, check_same_thread=False)
            db.execute("SELECT count(*) FROM chunks").fetchone()
            small = cls.is_small(spec) and (budget is None or budget.take(cls.size_of(spec)))
            stores = {kind: _load_store(path, s, small) for kind, s in spec["vectors"].items()}
            lexicon = Lexicon.load(path / "lexicon", small)
        except IndexCorrupt:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, sqlite3.Error) as exc:
            raise IndexCorrupt(f"segment {path.name} in {path.parent.parent} is damaged ({exc}); "
                               "rebuild the index with `footnote index --rebuild`") from None
        segment = cls(path, spec, db, stores["chunks"], stores["sentences"], lexicon, small)
        if segment.chunks.count() != segment.chunk_count or segment.sentences.count() != segment.sentence_count:
            raise IndexCorrupt(f"segment {path.name} is damaged: its vectors do not match its rows; "
                               "rebuild the index with `footnote index --rebuild`")
        return segment

    @classmethod
    def size_of(cls, spec: dict) -> int | None:
        """The bytes of a segment's files, from its spec (None for a spec written without them)."""
        files = spec.get("files")
        return sum(files.values()) if files else None

    @classmethod
    def is_small(cls, spec: dict) -> bool:
        size = cls.size_of(spec)
        return size is not None and size <= cls.SMALL_BYTES

    def close(self) -> None:
        self.db.close()

    # Its rows. Every query the index runs against a segment's tables is one of these; chunk
    # ids are the segment's own (a generation shifts them into its global ids).

    def article_ids(self) -> list[str]:
        return [aid for (aid,) in self.db.execute("SELECT id FROM articles")]

    def article_row(self, article_id: str) -> tuple | None:
        """An article's row (ARTICLE_COLUMNS; `article_from_row` makes the Article)."""
        return self.db.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()

    def article_rows(self) -> list[tuple]:
        return self.db.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY row").fetchall()

    def article_text(self, article_id: str) -> str:
        if self._in_memory:  # a question reads a few, for the sentences around its passages
            text = (self._texts if self._texts is not None else self._article_texts()).get(article_id)
            if text is not None:
                return text
        return self.db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0]

    def listed(self, columns: tuple[str, ...], clause: str, params: list) -> list[tuple]:
        """`columns` of the articles that pass a filter (index/store/filters.py's `where`)."""
        return self.db.execute(f"SELECT {', '.join('a.' + c for c in columns)} FROM articles a WHERE {clause}",
                               params).fetchall()

    def sources(self) -> list[tuple[str, str]]:
        """(article id, source) of the articles that name one."""
        return self.db.execute("SELECT id, source FROM articles WHERE source IS NOT NULL").fetchall()

    def article_hashes(self) -> list[tuple[str, str, str]]:
        """(article id, content hash, file path) of every article."""
        return self.db.execute("SELECT id, content_hash, path FROM articles").fetchall()

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """An article's chunks, by ordinal."""
        return [Chunk(*row) for row in self.db.execute(
            'SELECT article_id, ordinal, start, "end", text FROM chunks WHERE article_id = ? ORDER BY ordinal',
            (article_id,))]

    def chunk_count_of(self, article_id: str) -> int:
        return self.db.execute("SELECT count(*) FROM chunks WHERE article_id = ?", (article_id,)).fetchone()[0]

    def chunks_with_articles(self, ids: list[int]) -> list[tuple]:
        """(id, Chunk, title, published, url, source) for these chunk ids (each once)."""
        if self._in_memory:
            table = self._table if self._table is not None else self._chunk_table()
            return [(i, *table[i]) for i in dict.fromkeys(int(i) for i in ids) if i in table]
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"{_CHUNK_ROWS} WHERE c.id IN ({marks})", [int(i) for i in ids])
        return [(row[0], Chunk(*row[1:6]), *row[6:]) for row in rows]

    def _chunk_table(self) -> dict[int, tuple]:
        """Every chunk's (Chunk, title, published, url, source) by id, read once."""
        with self._table_lock:
            if self._table is None:
                self._table = {row[0]: (Chunk(*row[1:6]), *row[6:]) for row in self.db.execute(_CHUNK_ROWS)}
            return self._table

    def _article_texts(self) -> dict[str, str]:
        """Every article's text by id, read once (a segment small enough to keep its table)."""
        with self._table_lock:
            if self._texts is None:
                self._texts = dict(self.db.execute("SELECT id, text FROM articles"))
            return self._texts

    def article_row_of(self, chunk_id: int) -> int:
        """The row number of a chunk's article."""
        return self.db.execute("SELECT a.row FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id = ?",
                               (int(chunk_id),)).fetchone()[0]

    def chunk_ids_where(self, clause: str, params: list) -> np.ndarray:
        """The ids of the chunks whose articles pass a filter."""
        return np.array([i for (i,) in self.db.execute(
            f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {clause}", params)],
            dtype=np.int64)

    def articles_holding(self, text: str) -> set[str]:
        """Ids of the articles whose chunks hold every content word of `text`."""
        stems = list(dict.fromkeys(index_terms(text)))
        if not stems:
            return set()
        lexicon, articles = self.lexicon, None
        for term in lexicon.term_ids(stems):
            if term < 0:
                return set()
            found = self.articles_of(lexicon.post_doc[lexicon.term_ptr[term]:lexicon.term_ptr[term + 1]])
            articles = found if articles is None else articles & found
        return articles or set()

    def articles_of(self, chunk_ids) -> set[str]:
        """The ids of the articles these chunks belong to."""
        ids, found = [int(i) for i in chunk_ids], set()
        for i in range(0, len(ids), 500):
            batch = ids[i:i + 500]
            found |= {aid for (aid,) in self.db.execute(
                f"SELECT DISTINCT article_id FROM chunks WHERE id IN ({','.join('?' * len(batch))})", batch)}
        return found


def _load_store(folder: Path, spec: dict, whole: bool) -> VectorStore:
    return store_class(spec["backend"]).load(folder / spec["file"], whole=whole, **(spec.get("params") or {}))

