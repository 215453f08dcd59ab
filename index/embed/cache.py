"""Vectors cached by (embedder cache key, text hash): an unchanged text is never embedded twice,
and vectors of another backend or precision of the same model are never mixed in."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

_BATCH = 500  # SQLite's default limit on bound parameters is well above this


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class VectorCache:
    """A SQLite table of vectors; each write is its own transaction, so a killed build keeps
    everything embedded before the kill."""

    def __init__(self, path: Path, key: str, dimension: int, adopt: str | None = None):
        """`key`: the embedder's cache key (model | backend | precision). `adopt`: a key that
        older caches used for the same vectors (the bare model name, from before keys named
        the backend: those were all torch at fp32); its rows are taken over once."""
        self.model = key
        self.dimension = dimension
        self._db = sqlite3.connect(path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, hash BLOB NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (model, hash)) WITHOUT ROWID")
        if adopt and adopt != key:
            with self._db:
                self._db.execute("UPDATE OR IGNORE vectors SET model = ? WHERE model = ?", (key, adopt))

    def get_many(self, hashes: list[bytes]) -> dict[bytes, np.ndarray]:
        found = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), _BATCH):
            batch = unique[i:i + _BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})",
                [self.model, *batch])
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dimension,):
                    found[key] = vector
        return found

    def put_many(self, hashes: list[bytes], vectors: np.ndarray) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (model, hash, vector) VALUES (?, ?, ?)",
                [(self.model, h, np.asarray(v, dtype=np.float32).tobytes())
                 for h, v in zip(hashes, vectors)])

    def close(self) -> None:
        self._db.close()
