"""The vector index: a small interface over FAISS (build, save, load, search, count)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class VectorIndex:
    """Exact inner-product search over unit vectors (cosine); row i is chunk id i."""

    def __init__(self, index: faiss.Index):
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, dimension: int) -> VectorIndex:
        index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dimension(self) -> int:
        return self._index.d

    def count(self) -> int:
        return self._index.ntotal

    def search(self, queries: np.ndarray, k: int, subset: np.ndarray | None = None):
        """Top-k (scores, ids) per query; `subset` limits the search to those chunk ids."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = min(k, self.count() if subset is None else len(subset))
        if k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        params = None
        if subset is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(subset, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self._index.search(queries, k, params=params)
        return scores, ids

    def reconstruct(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of these ids."""
        return np.vstack([self._index.reconstruct(int(i)) for i in ids])

    def vectors(self) -> np.ndarray:
        """All stored vectors, in id order."""
        return self._index.reconstruct_n(0, self.count())
