"""Which vector store a set of vectors gets: exact search below EXACT_BELOW rows, an HNSW graph
above it, with the graph's efSearch raised until recall@10 against exact search reaches the
target on a sample of queries. The choice and its measurement go into the manifest.

Why these numbers (bench/vector_index.py, docs/benchmarks.md "Vector index"; real MiniLM vectors
and vectors recombined from them, one query at a time on one thread):

- Exact search reads every vector: ~0.1 us a row, so 2 ms at 20k rows, 11 ms at 100k, 100 ms at
  1M. Below EXACT_BELOW it stays under about 5 ms, less than encoding the question, and it costs
  no build time, no extra memory and no recall. Above it the HNSW graph answers in about a
  millisecond at any of the sizes measured, for ~1 ms of CPU per row to build (incremental: adds
  cost the same per row) and ~260 bytes a row of links.
- HNSW, not IVF: on MiniLM vectors IVF needs a large share of its lists probed to reach 0.97
  (nprobe 64-128 of 4*sqrt(N)), so its queries cost several times HNSW's; IVF-PQ without
  re-ranking stalls near 0.65 recall@10. HNSW M 32 with efConstruction 200 holds its recall as
  the collection grows (lower efConstruction needs a wider search for the same recall).
- Without real question vectors, the sample is rows of the collection searched for their
  neighbours (themselves left out). Rows find their neighbours more easily than questions do,
  so that sample must reach ROW_SAMPLE_TARGET for questions to reach the target.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from index.store.approximate import HnswStore
from index.store.vectors import FaissFlatStore, VectorStore, store_class

EXACT_BELOW = 50_000
TARGET_RECALL = 0.97
ROW_SAMPLE_TARGET = 0.99
HNSW_BUILD = {"m": 32, "ef_construction": 200}
EF_SEARCH_STEPS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
K = 10


def choose_store(vectors: np.ndarray, sample_queries: np.ndarray | None = None, dimension: int | None = None, *,
                 exact_below: int = EXACT_BELOW, target: float = TARGET_RECALL, sample: int = 200,
                 seed: int = 0, hnsw_build: dict | None = None) -> tuple[VectorStore, dict]:
    """The store to save, holding `vectors`, and the spec a manifest records for it:
    {"backend", "params", "recall_at_10", "measured_on" (queries), "rows", "reason"}.

    `sample_queries` (real questions' vectors, best) measure recall; without them, `sample`
    rows of the collection do. `hnsw_build` overrides HNSW_BUILD (m, ef_construction)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = dimension or vectors.shape[1]
    if vectors.ndim != 2 or vectors.shape[1] != dimension:
        raise ValueError(f"choose_store: vectors of shape {vectors.shape} are not rows of dimension {dimension}; "
                         "pass one unit vector per row")
    if len(vectors) < exact_below:
        return _exact(vectors, dimension, f"{len(vectors)} rows < {exact_below}: exact search")
    store = HnswStore.empty(dimension, **(hnsw_build or HNSW_BUILD))
    store.add(vectors)
    queries, own = _sample(vectors, sample_queries, sample, seed)
    goal = target if own is None else max(target, ROW_SAMPLE_TARGET)
    truth = _exact_top(vectors, queries, own)
    for ef_search in EF_SEARCH_STEPS:
        store.set_ef_search(ef_search)
        recall = measure_recall(store, queries, truth, own)
        if recall >= goal:
            spec = {"backend": store.backend, "params": store.params(), "recall_at_10": round(recall, 4),
                    "measured_on": len(queries), "rows": len(vectors),
                    "reason": f"{len(vectors)} rows >= {exact_below}: HNSW, efSearch {ef_search} for recall@10 "
                              f">= {goal} on {'given queries' if own is None else 'rows of the collection'}"}
            return store, spec
    return _exact(vectors, dimension, f"HNSW reached only recall@10 {recall:.3f} < {goal} at efSearch "
                                      f"{EF_SEARCH_STEPS[-1]}: exact search")


def open_store(spec: dict, path: Path) -> VectorStore:
    """Reopen a store saved at `path` as a manifest's spec describes it."""
    params = spec.get("params") or {}
    return store_class(spec["backend"]).load(path, **params)


def measure_recall(store: VectorStore, queries: np.ndarray, truth: np.ndarray, own: np.ndarray | None = None) -> float:
    """Mean share of each query's true top K (rows of `truth`) that `store.search` finds;
    `own` are the queries' own row ids, left out of what is found."""
    hits = 0
    for row, query in enumerate(queries):
        _, ids = store.search(query, K + (own is not None))
        if own is not None:
            ids = ids[ids != own[row]]
        hits += len(set(ids[:K].tolist()) & set(truth[row].tolist()))
    return hits / (K * len(queries))


def _exact(vectors: np.ndarray, dimension: int, reason: str) -> tuple[VectorStore, dict]:
    store = FaissFlatStore.empty(dimension)
    store.add(vectors)
    return store, {"backend": store.backend, "params": {}, "recall_at_10": 1.0, "measured_on": 0,
                   "rows": len(vectors), "reason": reason}


def _sample(vectors, sample_queries, sample: int, seed: int):
    """The queries to measure recall with, and their own row ids when they are rows."""
    if sample_queries is not None and len(sample_queries):
        return np.ascontiguousarray(sample_queries, dtype=np.float32), None
    own = np.random.default_rng(seed).choice(len(vectors), size=min(sample, len(vectors)), replace=False)
    return vectors[own], own


def _exact_top(vectors: np.ndarray, queries: np.ndarray, own: np.ndarray | None) -> np.ndarray:
    """Each query's true top K ids, by exact inner product; a row query leaves itself out."""
    _, ids = faiss.knn(queries, vectors, K + 1, metric=faiss.METRIC_INNER_PRODUCT)
    if own is None:
        return ids[:, :K]
    return np.vstack([row[row != mine][:K] for row, mine in zip(ids, own)])
