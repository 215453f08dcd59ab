"""Vectors cached by (model, chunk text hash): an unchanged chunk is never embedded twice."""

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

    def __init__(self, path: Path, model: str, dimension: int):
        self.model = model
        self.dimension = dimension
        self._db = sqlite3.connect(path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, hash BLOB NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (model, hash)) WITHOUT ROWID")

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
