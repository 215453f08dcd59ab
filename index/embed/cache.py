"""Vectors cached by (embedder cache key, text hash): an unchanged text is never embedded twice,
and vectors of another backend or precision of the same model are never mixed in.

The vectors themselves live in one append-only file per key (raw float32 rows, about the size
of the vectors and no more); a small SQLite table maps (key, text hash) to a row. A write
appends the rows under a file lock, syncs them, then commits their entries: a killed build
leaves at worst a few unreferenced rows at the end of the file, never an entry without its
vector.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from pathlib import Path

import numpy as np

_BATCH = 500  # SQLite's default limit on bound parameters is well above this


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
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT NOT NULL, hash BLOB NOT NULL, "
                         "row INTEGER NOT NULL, PRIMARY KEY (key, hash)) WITHOUT ROWID")
        self._migrate({key, adopt} - {None})

    def get_many(self, hashes: list[bytes]) -> dict[bytes, np.ndarray]:
        rows: dict[bytes, int] = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), _BATCH):
            batch = unique[i:i + _BATCH]
            rows.update(self._db.execute(
                f"SELECT hash, row FROM entries WHERE key = ? AND hash IN ({','.join('?' * len(batch))})",
                [self.model, *batch]).fetchall())
        if not rows:
            return {}
        matrix = self._matrix()
        return {h: np.array(matrix[r]) for h, r in rows.items() if r < len(matrix)}

    def put_many(self, hashes: list[bytes], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(hashes), self.dimension)
        first = self._append(vectors)
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO entries (key, hash, row) VALUES (?, ?, ?)",
                                 [(self.model, h, first + n) for n, h in enumerate(hashes)])

    def close(self) -> None:
        self._db.close()

    def _row_bytes(self) -> int:
        return 4 * self.dimension

    def _append(self, vectors: np.ndarray) -> int:
        """Append rows under an exclusive lock (caches are shared between indexes); returns the
        first row's number."""
        with open(self.vector_file, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                size = os.fstat(handle.fileno()).st_size
                first = -(-size // self._row_bytes())  # a torn row from a killed write is skipped
                handle.write(b"\0" * (first * self._row_bytes() - size))
                handle.write(vectors.tobytes())
                handle.flush()
                os.fsync(handle.fileno())
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
