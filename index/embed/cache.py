"""Vectors cached by (embedder cache key, text hash): an unchanged text is never embedded twice,
and vectors of another backend or precision of the same model are never mixed in.

The vectors themselves live in one append-only file per key (raw float32 rows, about the size
of the vectors and no more); a small SQLite table maps (key, text hash) to a row. A write
appends the rows under a file lock, syncs them, then commits their entries: a killed build
leaves at worst a few unreferenced rows at the end of the file, never an entry without its
vector.

Damage is caught, never served: each entry carries a checksum of its vector, and a vector that
fails it (or is not finite; or, in an entry from before checksums, all zeros) is embedded again. A cache
database that is not a database any more is set aside (`cache.sqlite.damaged-N`) and a new one
started: the cache only saves work, so nothing is lost but time. A write that fails (a full
disk) takes back the rows it appended.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import sqlite3
from pathlib import Path

import numpy as np

_BATCH = 500  # SQLite's default limit on bound parameters is well above this
log = logging.getLogger("footnote.index")


def vector_checksum(vector: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(vector, dtype=np.float32), digest_size=8).digest()


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class VectorCache:
    """The cache at `path` (a SQLite file; vector files beside it) for one embedder key."""

    def __init__(self, path: Path, key: str, dimension: int, adopt: str | None = None):
        """`key`: the embedder's cache key (model | backend | precision). `adopt`: a key that
        older caches used for the same vectors (the bare model name, from before keys named
        the backend: those were all torch at fp32); its rows are taken over once."""
        self.path = Path(path)
        self.model = key
        self.dimension = dimension
        self.vector_file = self.path.with_name(f"{self.path.name}.{hashlib.sha1(key.encode()).hexdigest()[:12]}.f32")
        self.damaged = 0  # cached vectors found damaged (and so embedded again) by this instance
        self._written_from: int | None = None  # the first row this instance appended
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as exc:
            aside = _set_aside(self.path)
            log.warning("the vector cache %s is damaged (%s); it was set aside as %s and a new one started: "
                        "texts are embedded again", self.path, exc, aside.name)
            self._db = self._connect()
        self._migrate({key, adopt} - {None})

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT NOT NULL, hash BLOB NOT NULL, "
                       "row INTEGER NOT NULL, checksum BLOB, PRIMARY KEY (key, hash)) WITHOUT ROWID")
            columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
            if "checksum" not in columns:  # a cache from before checksums: its entries are checked for zeros only
                with db:
                    db.execute("ALTER TABLE entries ADD COLUMN checksum BLOB")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get_many(self, hashes: list[bytes]) -> dict[bytes, np.ndarray]:
        rows: dict[bytes, tuple[int, bytes | None]] = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), _BATCH):
            batch = unique[i:i + _BATCH]
            rows.update((h, (r, c)) for h, r, c in self._db.execute(
                f"SELECT hash, row, checksum FROM entries WHERE key = ? AND hash IN ({','.join('?' * len(batch))})",
                [self.model, *batch]))
        if not rows:
            return {}
        matrix = self._matrix()
        found, damaged = {}, 0
        for h, (r, check) in rows.items():
            if r >= len(matrix):
                continue
            vector = np.array(matrix[r])
            # An entry from before checksums is trusted unless it is zeros (a zeroed block of the file).
            intact = check == vector_checksum(vector) if check is not None else bool(vector.any())
            if not intact or not np.isfinite(vector).all():
                damaged += 1
                continue
            found[h] = vector
        if damaged:
            self.damaged += damaged
            log.warning("%d cached vectors in %s are damaged; those texts are embedded again", damaged,
                        self.vector_file)
        return found

    def put_many(self, hashes: list[bytes], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(hashes), self.dimension)
        first = self._append(vectors)
        # In hash order, so that SQLite fills its pages in turn (a stable sort: of a hash given
        # twice, the later row still replaces the earlier).
        entries = sorted([(self.model, h, first + n, vector_checksum(v))
                          for n, (h, v) in enumerate(zip(hashes, vectors))], key=lambda entry: entry[1])
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO entries (key, hash, row, checksum) VALUES (?, ?, ?, ?)",
                                 entries)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> VectorCache:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        """Closes the cache; a full disk first takes back every row this instance appended, so a
        failed build does not leave the disk full of its vectors."""
        try:
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                self.forget_written()
        finally:
            self.close()

    def forget_written(self) -> None:
        """Remove the rows this instance appended and their entries."""
        if self._written_from is None:
            return
        with open(self.vector_file, "ab", buffering=0) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if os.fstat(handle.fileno()).st_size > self._written_from * self._row_bytes():
                    _truncate(handle.fileno(), self._written_from * self._row_bytes())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        with self._db:
            self._db.execute("DELETE FROM entries WHERE key = ? AND row >= ?", (self.model, self._written_from))
        self._written_from = None

    def _row_bytes(self) -> int:
        return 4 * self.dimension

    def _append(self, vectors: np.ndarray) -> int:
        """Append rows under an exclusive lock (caches are shared between indexes); returns the
        first row's number."""
        with open(self.vector_file, "ab", buffering=0) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                size = os.fstat(handle.fileno()).st_size
                first = -(-size // self._row_bytes())  # a torn row from a killed write is skipped
                try:
                    _write_all(handle.fileno(), b"\0" * (first * self._row_bytes() - size) + vectors.tobytes())
                    os.fsync(handle.fileno())
                except OSError:  # a full disk: take back what this write appended, torn rows included
                    _truncate(handle.fileno(), size)
                    raise
                if self._written_from is None:
                    self._written_from = first
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return first

    def _matrix(self) -> np.ndarray:
        size = self.vector_file.stat().st_size if self.vector_file.exists() else 0
        rows = size // self._row_bytes()
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.memmap(self.vector_file, dtype=np.float32, mode="r", shape=(rows, self.dimension))

    def _migrate(self, keys: set[str]) -> None:
        """Move vectors of the older layout (one SQLite row per vector) into the vector file."""
        legacy = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vectors'").fetchone()
        if not legacy:
            return
        for old in keys:
            rows = self._db.execute("SELECT hash, vector FROM vectors WHERE model = ?", (old,)).fetchall()
            rows = [(h, v) for h, v in rows if len(v) == self._row_bytes()]
            if rows:
                self.put_many([h for h, _ in rows], np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32))
            with self._db:
                self._db.execute("DELETE FROM vectors WHERE model = ?", (old,))
        if not self._db.execute("SELECT 1 FROM vectors LIMIT 1").fetchone():
            with self._db:
                self._db.execute("DROP TABLE vectors")
            self._db.execute("VACUUM")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _truncate(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
    except OSError:
        pass  # not even that: the torn rows stay, unreferenced, and are skipped by the next write


def _set_aside(path: Path) -> Path:
    """Move a damaged cache database (and its WAL files) to the first free `NAME.damaged-N`."""
    n = 1
    while path.with_name(f"{path.name}.damaged-{n}").exists():
        n += 1
    aside = path.with_name(f"{path.name}.damaged-{n}")
    os.replace(path, aside)
    for extra in ("-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)
    return aside
