"""Which vector store a set of vectors gets: exact search below EXACT_BELOW rows, an HNSW graph
above it, its efSearch raised until recall@10 against exact search reaches the target on a
sample of queries. The choice and what it measured go into the manifest (`choose_store`'s spec).

Why (bench/vector_index.py; docs/benchmarks.md "Vector index" has the figures):

- Exact search reads every row (~0.1-0.3 us a row, one query on one thread): a few ms below
  EXACT_BELOW, no build, no extra memory, recall 1. Above it, the HNSW graph answers in well
  under a millisecond at 100k and 1M rows, for about a millisecond of CPU per row to build
  (adds cost the same per row later) and ~20 % more memory for its links.
- HNSW, not IVF: on MiniLM vectors IVF needs a large share of its lists probed to reach 0.97,
  so its queries cost several times HNSW's; IVF-PQ without re-ranking stalls near 0.65.
- efConstruction 100, not 200: at 100k rows it reached 0.97 at the same query cost as 200 with
  a slightly wider search, for half the build. The chooser tunes efSearch either way, so a
  weaker graph costs query time, never recall.
- Queries: real questions' vectors are best (pass `sample_queries`). Without them, stand-ins:
  points on the arc between two random rows, at cosine STAND_IN_COSINE to the first (so
  nearer the second). Rows themselves are far too easy (they sit in the graph: 0.99+ recall
  where questions got 0.94). The stand-ins stay within the directions the collection's rows
  span, as questions do: the
  earlier stand-ins (a row plus random noise at cosine 0.6) left the rows' neighbourhood, and
  how far their recall fell from real questions' depended on the collection: 0.04 too low at
  efSearch 512 on the million-passage bench's 250k-row segments (so exact search was chosen
  where HNSW met the target), 0.01 too high at efSearch 128 on full Reuters' 25k real chunks.
  These stand-ins came within 0.03 of real questions (300 Reuters titles) on both, at every
  breadth from 32 to 512: below them on the 250k rows, up to 0.02 above them at breadths
  under 96 on Reuters; so the chooser still searches one step wider than they need.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from index.store.approximate import HnswStore
from index.store.vectors import FaissFlatStore, VectorStore, store_class

EXACT_BELOW = 50_000
TARGET_RECALL = 0.97
HNSW_BUILD = {"m": 32, "ef_construction": 100, "codes": "f16"}
EF_SEARCH_STEPS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
STAND_IN_COSINE = 0.5
K = 10


def choose_store(vectors: np.ndarray, sample_queries: np.ndarray | None = None, dimension: int | None = None, *,
                 exact_below: int | None = None, target: float = TARGET_RECALL, sample: int = 500,
                 seed: int = 0, hnsw_build: dict | None = None) -> tuple[VectorStore, dict]:
    """The store to save, holding `vectors`, and the spec a manifest records for it:
    {"backend", "params", "recall_at_10", "measured_on" (queries), "rows", "reason"}.

    `sample_queries` (real questions' vectors, best) measure recall; without them, `sample`
    stand-ins made from rows do. `hnsw_build` overrides HNSW_BUILD (m, ef_construction, codes)."""
    exact_below = EXACT_BELOW if exact_below is None else exact_below
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = dimension or vectors.shape[1]
    if vectors.ndim != 2 or vectors.shape[1] != dimension:
        raise ValueError(f"choose_store: vectors of shape {vectors.shape} are not rows of dimension {dimension}; "
                         "pass one unit vector per row")
    if len(vectors) < exact_below:
        return _exact(vectors, dimension, f"{len(vectors)} rows < {exact_below}: exact search")
    store = HnswStore.empty(dimension, **(hnsw_build or HNSW_BUILD))
    store.add(vectors)
    given = sample_queries is not None and len(sample_queries) > 0
    queries = np.ascontiguousarray(sample_queries, dtype=np.float32) if given else stand_ins(vectors, sample, seed)
    _, truth = faiss.knn(queries, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)
    for step, ef_search in enumerate(EF_SEARCH_STEPS):
        store.set_ef_search(ef_search)
        recall = measure_recall(store, queries, truth, vectors)
        if recall >= target:
            source = "given queries" if given else "stand-in queries (between two rows)"
            spec = {"backend": store.backend, "params": store.params(), "recall_at_10": round(recall, 4),
                    "measured_on": len(queries), "rows": len(vectors),
                    "reason": f"{len(vectors)} rows >= {exact_below}: HNSW, efSearch {ef_search} for "
                              f"recall@10 >= {target} on {source}"}
            if not given and step + 1 < len(EF_SEARCH_STEPS):
                # Stand-ins are only an estimate: on full Reuters real questions found 0.950 at
                # the breadth where stand-ins found 0.972, and 0.972 a step wider.
                store.set_ef_search(EF_SEARCH_STEPS[step + 1])
                spec["params"] = store.params()
                spec["reason"] += f", then one step wider for questions unlike them: {EF_SEARCH_STEPS[step + 1]}"
            return store, spec
    return _exact(vectors, dimension, f"HNSW reached only recall@10 {recall:.3f} < {target} at efSearch "
                                      f"{EF_SEARCH_STEPS[-1]}: exact search")


def open_store(spec: dict, path: Path) -> VectorStore:
    """Reopen a store saved at `path` as a manifest's spec describes it."""
    return store_class(spec["backend"]).load(path, **(spec.get("params") or {}))


def measure_recall(store: VectorStore, queries: np.ndarray, truth: np.ndarray, vectors: np.ndarray | None = None,
                   exclude: np.ndarray | None = None) -> float:
    """Mean share of each query's true top K (the rows of `truth`) that `store.search` finds.

    With `vectors` (the rows searched), a found row that scores as high as the K-th true one
    counts too: ties at the K-th score (common among sparse vectors) are all equally right.
    `exclude`: one row per query to leave out of what is found (the query's own row)."""
    hits = 0
    for n, (query, best) in enumerate(zip(queries, truth)):
        found = store.search(query, K + (exclude is not None))[1]
        if exclude is not None:
            found = found[found != exclude[n]]
        found = found[:K]
        if vectors is None:
            hits += len(set(found.tolist()) & set(best.tolist()))
        else:
            kth = float((vectors[best] @ query).min())
            hits += min(K, int(((vectors[found] @ query) >= kth - 1e-6).sum()))
    return hits / (K * len(queries))


def stand_ins(vectors: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """`count` unit vectors, each on the arc from a random row to another random row, at cosine
    STAND_IN_COSINE to the first."""
    rng = np.random.default_rng(seed)
    size = min(count, len(vectors))
    rows = vectors[rng.choice(len(vectors), size=size, replace=False)].astype(np.float64)
    towards = vectors[rng.choice(len(vectors), size=size, replace=False)].astype(np.float64)
    towards -= (towards * rows).sum(axis=1, keepdims=True) * rows  # orthogonal to the row
    norms = np.linalg.norm(towards, axis=1, keepdims=True)
    # A row drawn twice (or a duplicate) leaves nothing orthogonal: turn it along noise instead.
    noise = rng.normal(size=rows.shape)
    noise -= (noise * rows).sum(axis=1, keepdims=True) * rows
    towards = np.where(norms > 1e-6, towards, noise)
    towards /= np.linalg.norm(towards, axis=1, keepdims=True)
    return (STAND_IN_COSINE * rows + np.sqrt(1 - STAND_IN_COSINE ** 2) * towards).astype(np.float32)


def _exact(vectors: np.ndarray, dimension: int, reason: str) -> tuple[VectorStore, dict]:
    store = FaissFlatStore.empty(dimension)
    store.add(vectors)
    return store, {"backend": store.backend, "params": {}, "recall_at_10": 1.0, "measured_on": 0,
                   "rows": len(vectors), "reason": reason}
