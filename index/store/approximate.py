"""The approximate vector store: a FAISS HNSW graph over unit vectors (inner product).

The vectors it keeps (`codes`) are half precision by default ("f16": FAISS's fp16 scalar
quantiser), or float32 ("f32", as indexes built before it were). Half precision halves what a
large collection maps and touches (a 250k-row segment of MiniLM vectors: 248 MB against 430),
with the same recall: on the million-passage bench's vectors both found 0.957 / 0.978 of the
exact top 10 at efSearch 128 / 256, in the same time. Scores and stored vectors then carry the
rounding of half precision (~1e-3 relative); exact search below the chooser's threshold stays
float32.

Tombstones and subsets are applied inside the graph search with a bitmap selector, and the
graph's breadth (efSearch) is widened by total/allowed rows, so a narrow filter still reaches
its best matches. A widened search visits about ef*total/allowed nodes, each costing about as
much as scoring GRAPH_STEP_ROWS rows exactly; so when allowed**2 <= GRAPH_STEP_ROWS*ef*total,
the allowed rows are scored exactly instead (HNSW keeps the vectors). The same exact
scoring catches a graph search that comes back short: a search for k always returns
min(k, allowed) live ids.

`index.store.choose` decides when this backend is worth it and which efSearch it needs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np

MAX_EF_SEARCH = 4096  # the widest a filtered graph search is allowed to go
# One step of a filtered graph search costs about as much as scoring this many rows exactly
# (bench/vector_index.py: ~35 us a step against ~0.3 us a row, at 10k and 100k rows).
GRAPH_STEP_ROWS = 100
CODES = ("f16", "f32")  # how the graph keeps its vectors: half precision, or float32
EXACT_BLOCK = 8192  # half-precision rows widened at once when scoring exactly


class HnswStore:
    """HNSW (M links per node) over unit vectors kept as `codes` ("f16" or "f32"); ids are
    rows, deletes are tombstones."""

    backend: ClassVar[str] = "faiss-hnsw"
    graph_step_rows: float = GRAPH_STEP_ROWS  # 0: filtered searches always use the graph

    def __init__(self, index: faiss.IndexHNSW):
        self._index = index
        self._codes = _codes_of(index)
        self._deleted = np.zeros(index.ntotal, dtype=bool)
        self._dead = 0
        self._live: faiss.IDSelector | None = None  # the bitmap of live rows, made when first needed

    @classmethod
    def empty(cls, dimension: int, m: int = 32, ef_construction: int = 200, ef_search: int = 64,
              codes: str = "f16") -> HnswStore:
        if codes not in CODES:
            raise ValueError(f"HNSW codes {codes!r} are unknown; use one of {', '.join(CODES)}")
        index = (faiss.IndexHNSWSQ(dimension, faiss.ScalarQuantizer.QT_fp16, m, faiss.METRIC_INNER_PRODUCT)
                 if codes == "f16" else faiss.IndexHNSWFlat(dimension, m, faiss.METRIC_INNER_PRODUCT))
        index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
        return cls(index)

    @classmethod
    def load(cls, path: Path, whole: bool = True, **params) -> HnswStore:
        """Read a saved store; `params` (as `params()` returned them) must match the file, except
        `ef_search`, which may be changed here. The file is memory-mapped, graph and vectors: a
        reader holds in memory only the pages its searches touch (shared between processes);
        `whole` changes nothing here."""
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        if _codes_of(index) is None or index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError(f"{path} holds a {type(index).__name__} index, not an inner-product HNSW one over "
                             "float32 or half-precision vectors; rebuild the index with `footnote index --rebuild`")
        store = cls(index)
        if "ef_search" in params:
            store.set_ef_search(params["ef_search"])
        built = store.params()
        clashes = {key: (value, built[key]) for key, value in params.items() if built.get(key, value) != value}
        if clashes or set(params) - set(built):
            raise ValueError(f"{path}: the manifest's HNSW params {params} do not match the file's {built}; "
                             "rebuild the index with `footnote index --rebuild`")
        return store

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def params(self) -> dict:
        """What a manifest records to reopen this store as it was chosen."""
        hnsw = self._index.hnsw
        return {"m": hnsw.nb_neighbors(1), "ef_construction": hnsw.efConstruction, "ef_search": hnsw.efSearch,
                "codes": self._codes}

    def set_ef_search(self, ef_search: int) -> None:
        if not 1 <= int(ef_search) <= MAX_EF_SEARCH:
            raise ValueError(f"ef_search {ef_search} is outside 1..{MAX_EF_SEARCH}; pass a breadth in that range")
        self._index.hnsw.efSearch = int(ef_search)

    @property
    def dimension(self) -> int:
        return self._index.d

    def count(self) -> int:
        return self._index.ntotal

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            self._deleted = np.concatenate([self._deleted, np.zeros(len(vectors), dtype=bool)])
            self._live = None

    def delete(self, ids) -> None:
        ids = np.asarray(list(ids), dtype=np.int64)
        outside = ids[(ids < 0) | (ids >= self.count())]
        if len(outside):
            raise ValueError(f"cannot delete ids {outside[:5].tolist()}: this store has rows 0..{self.count() - 1}; "
                             "delete only ids that search returned")
        self._deleted[ids] = True
        self._dead = int(self._deleted.sum())
        self._live = None

    def vectors(self, ids) -> np.ndarray:
        ids = np.asarray(list(ids), dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._matrix()[ids].astype(np.float32)  # a copy, widened from half precision if need be

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None):
        query = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        ids = None if subset is None else self._subset_ids(subset)
        allowed = self.count() - self._dead if ids is None else len(ids)
        k = min(k, allowed)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        filtered = ids is not None or self._dead > 0
        ef = max(k, self._index.hnsw.efSearch)
        if not (filtered and allowed * allowed <= self.graph_step_rows * ef * self.count()):
            scores, found = self._graph(query, k, ef, self._selector(ids), allowed)
            if len(found) == k:
                return scores, found
        # Few rows allowed, or the filtered graph ran dry: score the allowed rows exactly.
        return self._exact(query[0], k, np.flatnonzero(~self._deleted) if ids is None else ids)

    def _graph(self, query: np.ndarray, k: int, ef: int, selector, allowed: int):
        params = faiss.SearchParametersHNSW()
        params.efSearch = min(MAX_EF_SEARCH, max(ef, math.ceil(ef * self.count() / allowed)))
        if selector is not None:
            params.sel = selector
        scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def _exact(self, query: np.ndarray, k: int, ids: np.ndarray):
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self._codes == "f32":
            # FAISS's own loop over the rows in place: no copy of them, and no BLAS threads (which
            # numpy's matmul would start, and which made a single query 10-100x slower here).
            scores = np.empty(len(ids), dtype=np.float32)
            faiss.fvec_inner_products_by_idx(faiss.swig_ptr(scores), faiss.swig_ptr(query),
                                             self._storage().get_xb(), faiss.swig_ptr(ids), self.dimension, 1,
                                             len(ids))
        else:
            # Half-precision rows widened a block at a time (einsum: no BLAS threads either).
            matrix = self._matrix()
            scores = np.concatenate([np.einsum("ij,j->i", matrix[ids[i:i + EXACT_BLOCK]].astype(np.float32), query)
                                     for i in range(0, len(ids), EXACT_BLOCK)] or [np.zeros(0, np.float32)])
        top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        top = top[np.argsort(-scores[top], kind="stable")]
        return scores[top], ids[top]

    def _selector(self, ids: np.ndarray | None) -> faiss.IDSelector | None:
        """A bitmap of the rows a graph search may return (None: every row)."""
        if ids is not None:
            mask = np.zeros(self.count(), dtype=bool)
            mask[ids] = True
            return faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little"))
        if self._dead and self._live is None:
            self._live = faiss.IDSelectorBitmap(np.packbits(~self._deleted, bitorder="little"))
        return self._live if self._dead else None

    def _subset_ids(self, subset) -> np.ndarray:
        ids = np.unique(np.asarray(subset, dtype=np.int64))
        ids = ids[(ids >= 0) & (ids < self.count())]  # like faiss-flat: ids that are not rows match nothing
        return ids[~self._deleted[ids]]

    def _matrix(self) -> np.ndarray:
        """The stored vectors (float32 or float16 rows), a view into FAISS's own memory (valid
        until the next add)."""
        n, d = self.count(), self.dimension
        if not n:
            return np.zeros((0, d), dtype=np.float32 if self._codes == "f32" else np.float16)
        storage = self._storage()
        if self._codes == "f32":
            return faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d)
        return faiss.rev_swig_ptr(storage.codes.data(), n * storage.code_size).view(np.float16).reshape(n, d)

    def _storage(self):
        return faiss.downcast_index(self._index.storage)


def _codes_of(index: faiss.Index) -> str | None:
    """How an HNSW index keeps its vectors ("f32", "f16"), or None for any other index."""
    if isinstance(index, faiss.IndexHNSWFlat):
        return "f32"
    if isinstance(index, faiss.IndexHNSWSQ) and \
            faiss.downcast_index(index.storage).sq.qtype == faiss.ScalarQuantizer.QT_fp16:
        return "f16"
    return None
