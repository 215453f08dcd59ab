"""The vector store seam: one small interface for chunk and sentence vectors, chosen by the
`backend` a generation's manifest names. Ids are rows, 0..count-1, in the order added.

    faiss-flat   exact inner product (cosine on unit vectors), float32, FAISS
    npy-f16      half-precision NumPy matrix, read by rows with pread: for vectors that are looked
                 up by id far more than searched (sentence vectors rerank passages and pick quotes)
    faiss-hnsw   approximate: a FAISS HNSW graph, its efSearch chosen at build time for recall@10
                 >= 0.97 (index/store/approximate.py; index/store/choose.py picks exact or HNSW)

A store whose search has parameters gives them as `params()` and takes them back as
`load(path, **params)`; a manifest carries them beside the backend's name. Every `load` also
takes `whole`: False for a large segment, whose files are then read only as questions ask.
A segmented layout or a Milvus collection is one more class here.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Protocol

import faiss
import numpy as np

from index.store.approximate import HnswStore
from index.store.rows import RowFile


class VectorStore(Protocol):
    backend: ClassVar[str]

    def add(self, vectors: np.ndarray) -> None:
        """Append rows; their ids continue from count()."""

    def delete(self, ids: np.ndarray) -> None:
        """Forget these ids: they are never found again (their rows keep their numbers)."""

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The best `k` (scores, ids) for one query vector; `subset` limits the search to those ids."""

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors of these ids, as float32 rows."""

    def count(self) -> int:
        """Rows stored (deleted ones included: ids are rows)."""

    def save(self, path: Path) -> None:
        """Write the store to `path` (one file)."""


class FaissFlatStore:
    """Exact inner-product search with FAISS; one thread per query is set by the caller."""

    backend: ClassVar[str] = "faiss-flat"

    def __init__(self, index: faiss.Index):
        self._index = index
        self._deleted: set[int] = set()

    @classmethod
    def empty(cls, dimension: int) -> FaissFlatStore:
        return cls(faiss.IndexFlatIP(dimension))

    @classmethod
    def load(cls, path: Path, whole: bool = True) -> FaissFlatStore:
        """Read a saved store, memory-mapped (pages are read as searches touch them); `whole`
        changes nothing here."""
        return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dimension(self) -> int:
        return self._index.d

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def delete(self, ids) -> None:
        self._deleted.update(int(i) for i in ids)

    def count(self) -> int:
        return self._index.ntotal

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None):
        query = np.ascontiguousarray(np.atleast_2d(query), dtype=np.float32)
        if self._deleted:
            live = np.arange(self.count()) if subset is None else np.asarray(subset)
            subset = np.array([i for i in live if int(i) not in self._deleted], dtype=np.int64)
        k = min(k, self.count() if subset is None else len(subset))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if subset is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(subset, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def vectors(self, ids) -> np.ndarray:
        ids = [int(i) for i in ids]
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self._index.reconstruct(i) for i in ids])


class HalfStore:
    """Unit vectors in half precision, read from a .npy file row by row as asked (RowFile: looked
    up by id, a few at a time, they stay out of the process's memory); brute-force search."""

    backend: ClassVar[str] = "npy-f16"

    def __init__(self, matrix: np.ndarray):
        self._matrix = matrix
        self._deleted: set[int] = set()

    @classmethod
    def empty(cls, dimension: int) -> HalfStore:
        return cls(np.zeros((0, dimension), dtype=np.float16))

    UPCAST_BYTES = 32 << 20  # a file held whole at most this big is kept in single precision

    @classmethod
    def load(cls, path: Path, whole: bool = True) -> HalfStore:
        """The vectors of `path`. With `whole` (a small segment's), a small file is read whole
        (RowFile) and kept in single precision: the same values, without converting each
        question's ~100 sentence rows from half precision (a tenth of a millisecond, issue 22),
        for twice the memory. Otherwise rows are read as asked."""
        rows = RowFile(path, whole)
        if rows.in_memory and rows.shape[0] * rows.shape[1] * 2 <= cls.UPCAST_BYTES:
            return cls(np.asarray(rows, dtype=np.float32))
        return cls(rows)

    def save(self, path: Path) -> None:
        with open(path, "wb") as handle:  # np.save would add `.npy` to a name without it
            np.save(handle, np.asarray(self._matrix, dtype=np.float16))

    @property
    def dimension(self) -> int:
        return self._matrix.shape[1]

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self._matrix = np.vstack([np.asarray(self._matrix), np.asarray(vectors, dtype=np.float16)])

    def delete(self, ids) -> None:
        self._deleted.update(int(i) for i in ids)

    def count(self) -> int:
        return len(self._matrix)

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None):
        ids = np.arange(self.count()) if subset is None else np.asarray(subset, dtype=np.int64)
        ids = np.array([i for i in ids if int(i) not in self._deleted], dtype=np.int64)
        if not len(ids) or k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores = self.vectors(ids) @ np.asarray(query, dtype=np.float32).ravel()
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top], ids[top]

    def vectors(self, ids) -> np.ndarray:
        ids = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        return np.asarray(self._matrix[ids], dtype=np.float32).reshape(len(ids), self.dimension)


STORES: dict[str, type] = {FaissFlatStore.backend: FaissFlatStore, HalfStore.backend: HalfStore,
                           HnswStore.backend: HnswStore}


def store_class(backend: str) -> type:
    """The class for a manifest's backend name; ValueError names the known ones."""
    try:
        return STORES[backend]
    except KeyError:
        raise ValueError(f"vector backend {backend!r} is not known to this Footnote (it knows "
                         f"{', '.join(sorted(STORES))}); rebuild the index with `footnote index --rebuild`") from None
