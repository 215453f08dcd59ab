"""A segment: an immutable slice of the index (some articles, their chunks and sentences, their
vectors and their lexicon), written once under a temporary name and renamed into place.
Generations list segments; an update adds one, a merge replaces several by one.

    INDEX_DIR/segments/ID/rows.sqlite     articles, chunks, sentences (ids local to the segment)
    INDEX_DIR/segments/ID/<vector files>  chunk and sentence vector stores (backends in segment.json)
    INDEX_DIR/segments/ID/lexicon/        postings, sentence terms, shingles (index/store/lexicon.py)
    INDEX_DIR/segments/ID/segment.json    counts and the vector backends: the segment describes itself
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.disk import fsync_path
from index.embed import text_hash
from index.store.errors import IndexCorrupt
from index.store.layout import STAMPS_FILE
from index.store.lexicon import Lexicon
from index.store.choose import choose_store
from index.store.vectors import HalfStore, VectorStore, store_class

ROWS_FILE = "rows.sqlite"
SEGMENT_FILE = "segment.json"
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


ARTICLE_COLUMNS = "id, text, title, title_source, published, url, source, author, tags, path"


def article_from_row(row) -> Article:
    """An Article from a row of ARTICLE_COLUMNS."""
    *head, tags, path = row
    return Article(*head, tags=tuple(json.loads(tags)), path=path)


def write_segment(folder: Path, articles: list[Article], chunks: list[Chunk], sentences: list[Chunk],
                  chunk_vectors: np.ndarray, sentence_vectors: np.ndarray,
                  chunk_store: VectorStore | None = None, lexicon: Lexicon | None = None) -> dict:
    """Write a whole segment into `folder` (a temporary name: the caller renames it) and sync it.
    Chunks and sentences must be in article order (the order of `articles`), then offset order."""
    folder.mkdir(parents=True)
    rows = {a.id: n for n, a in enumerate(articles)}
    db = sqlite3.connect(folder / ROWS_FILE)
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
    (lexicon or Lexicon.build(chunks, sentences, rows)).save(folder / "lexicon")
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


def looks_whole(path: Path, dimension: int | None = None) -> bool:
    """Whether a segment's files are all there with the sizes and checksums it recorded and, with
    `dimension`, its vectors have that many dimensions (a segment of another model's index). A
    file is read in full only when it changed since it was last found whole (`_checksums_hold`),
    so an unchanged index costs a stat per file."""
    try:
        spec = json.loads((path / SEGMENT_FILE).read_text())
        if not all((path / name).stat().st_size == size for name, size in spec["files"].items()):
            return False
        if dimension is not None and _sentence_dimension(path, spec) != dimension:
            return False
        return _checksums_hold(path, spec)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return False


def _checksums_hold(path: Path, spec: dict) -> bool:
    """Whether the segment's files match their checksums. A file whose inode, size and
    modification time are those it had when last found whole is not read again; the others
    are, and the stamps of those that hold are kept (beside the segments: losing them only
    costs a read)."""
    stamps_path = path.parent / STAMPS_FILE
    try:
        stamps = json.loads(stamps_path.read_text())
    except (OSError, ValueError):
        stamps = {}
    found = {}
    for name, digest in spec.get("sha256", {}).items():
        st = (path / name).stat()
        stamp = [st.st_ino, st.st_size, st.st_mtime_ns, digest]
        if stamps.get(f"{path.name}/{name}") != stamp:
            if file_sha256(path / name) != digest:
                return False
            found[f"{path.name}/{name}"] = stamp
    if found:
        kept = {k: v for k, v in stamps.items() if (path.parent / k.split("/", 1)[0]).is_dir()}
        tmp = stamps_path.with_name(f"{STAMPS_FILE}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({**kept, **found}))
            os.replace(tmp, stamps_path)
        except OSError:  # a read-only index: the files are simply read again next time
            tmp.unlink(missing_ok=True)
    return True


def _sentence_dimension(path: Path, spec: dict) -> int:
    """The dimension of a segment's vectors, from its record or its sentence file's header."""
    if "dimension" in spec:
        return int(spec["dimension"])
    return int(np.load(path / spec["vectors"]["sentences"]["file"], mmap_mode="r").shape[1])


# Files found to match their checksums, by (path, inode, size, mtime): segments never change, so
# a generation switch re-opens them without reading them again (a change of the file is a new key).
_VERIFIED: set[tuple] = set()


def _checked(path: Path, digest: str) -> bool:
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, digest)
    if key in _VERIFIED:
        return True
    if file_sha256(path) != digest:
        return False
    _VERIFIED.add(key)
    return True


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _params(store) -> dict:
    params = getattr(store, "params", None)
    return {"params": params()} if callable(params) else {}


class Segment:
    """One segment, opened for reading (SQLite read-only, vectors and lexicon memory-mapped)."""

    def __init__(self, path: Path, spec: dict, db: sqlite3.Connection, chunks: VectorStore,
                 sentences: VectorStore, lexicon: Lexicon):
        self.id = path.name
        self.path = path
        self.spec = spec
        self.db = db
        self.chunks = chunks
        self.sentences = sentences
        self.lexicon = lexicon
        self.chunk_count = spec["counts"]["chunks"]
        self.sentence_count = spec["counts"]["sentences"]

    @classmethod
    def open(cls, path: Path, dimension: int | None = None) -> Segment:
        """Open a segment, its files checked against their checksums (a segment written before
        checksums is checked by size) and, with `dimension`, its vectors against the model's."""
        fix = "rebuild the index with `footnote index --rebuild`"
        try:
            spec = json.loads((path / SEGMENT_FILE).read_text())
            for name, digest in spec.get("sha256", {}).items():
                if not _checked(path / name, digest):
                    raise IndexCorrupt(f"segment {path.name} in {path.parent.parent} is damaged: {name} does not "
                                       f"match its checksum; {fix}")
            if dimension is not None and _sentence_dimension(path, spec) != dimension:
                raise IndexCorrupt(f"segment {path.name} in {path.parent.parent} holds "
                                   f"{_sentence_dimension(path, spec)}-dimension vectors, but the index's model "
                                   f"makes {dimension}: it belongs to another index; {fix}")
            db = sqlite3.connect(f"file:{path / ROWS_FILE}?mode=ro", uri=True, check_same_thread=False)
            db.execute("SELECT count(*) FROM chunks").fetchone()
            stores = {kind: _load_store(path, s) for kind, s in spec["vectors"].items()}
            lexicon = Lexicon.load(path / "lexicon")
        except IndexCorrupt:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, sqlite3.Error) as exc:
            raise IndexCorrupt(f"segment {path.name} in {path.parent.parent} is damaged ({exc}); "
                               "rebuild the index with `footnote index --rebuild`") from None
        segment = cls(path, spec, db, stores["chunks"], stores["sentences"], lexicon)
        if segment.chunks.count() != segment.chunk_count or segment.sentences.count() != segment.sentence_count:
            raise IndexCorrupt(f"segment {path.name} is damaged: its vectors do not match its rows; "
                               "rebuild the index with `footnote index --rebuild`")
        return segment

    def close(self) -> None:
        self.db.close()


def _load_store(folder: Path, spec: dict) -> VectorStore:
    cls = store_class(spec["backend"])
    params = spec.get("params") or {}
    return cls.load(folder / spec["file"], **params) if params else cls.load(folder / spec["file"])


def rename_into_place(tmp: Path, final: Path) -> None:
    """The last step of writing a segment or a generation: one rename, then sync the folder."""
    os.rename(tmp, final)
    fsync_path(final.parent)
