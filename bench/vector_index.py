"""Benchmark of the vector stores on real-looking MiniLM vectors, and of the chooser's decisions.

Prints figures, judges nothing. The collection at each size is real all-MiniLM-L6-v2 vectors
read from the eval vector cache (read-only) while there are enough of them, and above that real
vectors recombined: a random convex combination of two real ones plus Gaussian noise (sd 0.02 a
dimension), renormalised. The queries are real questions' vectors (news-dev and SQuAD dev,
encoded once by the bundled model): one half tunes IVF's nprobe, the other half measures.

For each size: build time (wall, and CPU in brackets), memory (the serialised index), query
p50/p99 through the store's `search` (one query at a time, one FAISS thread) and recall@10
against exact search, for exact (faiss-flat), HNSW at the efSearch the chooser picked, and IVF
(nlist 4*sqrt(N), the smallest nprobe that reaches 0.97 on the tuning questions); then the
recall the chooser measured on rows beside the recall on questions for each efSearch, filtered
searches (subsets; 10 % tombstones) and the chooser's decision at its default threshold.

    .venv/bin/python bench/vector_index.py --cache .footnote/eval/cache.sqlite [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np

from index.store import FaissFlatStore
from index.store.choose import EF_SEARCH_STEPS, EXACT_BELOW, choose_store, measure_recall

ROOT = Path(__file__).resolve().parents[1]
NEWS_QUESTIONS = ROOT / "docs" / "news-dev" / "questions.jsonl"
SQUAD = ROOT / ".." / "shared" / "data" / "squad-v1.1-dev" / "dev-v1.1.json"
MODEL_KEY = "all-MiniLM-L6-v2|torch|fp32"
K = 10


def real_vectors(cache: Path, dimension: int = 384) -> np.ndarray:
    """Every cached vector of the bundled model (the rows of the cache's vector file for
    MODEL_KEY, index/embed/cache.py), read without writing to the cache."""
    vector_file = cache.with_name(f"{cache.name}.{hashlib.sha1(MODEL_KEY.encode()).hexdigest()[:12]}.f32")
    if not vector_file.exists():
        sys.exit(f"{vector_file}: the cache holds no vectors of {MODEL_KEY}; fill it with `footnote eval` "
                 "or bench/costs.py --model all-MiniLM-L6-v2 --cache PATH")
    return unit_rows(vector_file, dimension)


def unit_rows(vector_file: Path, dimension: int = 384) -> np.ndarray:
    """The rows of a cache's vector file that are unit vectors: the ones written whole."""
    flat = np.fromfile(vector_file, dtype=np.float32)
    matrix = flat[: len(flat) // dimension * dimension].reshape(-1, dimension)
    return matrix[np.abs(np.linalg.norm(matrix, axis=1) - 1) < 1e-3]


def question_vectors(count: int, saved: Path | None) -> np.ndarray:
    """Real questions' vectors: all of news-dev, then SQuAD dev questions drawn at random from
    every article (most of them about articles the collection does not hold); kept in `saved`."""
    if saved and saved.exists():
        return np.load(saved)[:count]
    from index.embed import DEFAULT_MODEL, load_embedder
    texts = [json.loads(line)["question"] for line in NEWS_QUESTIONS.read_text().splitlines() if line.strip()]
    squad = json.loads(SQUAD.read_text())["data"]
    asked = [qa["question"] for article in squad for p in article["paragraphs"] for qa in p["qas"]]
    texts += [asked[i] for i in np.random.default_rng(0).permutation(len(asked))[:max(0, count - len(texts))]]
    vectors = np.asarray(load_embedder(DEFAULT_MODEL, threads=2).encode(texts[:count]), dtype=np.float32)
    if saved:
        np.save(saved, vectors)
    return vectors


def collection(real: np.ndarray, n: int, rng) -> np.ndarray:
    """`n` real vectors when there are that many, else `n` recombined from them."""
    if n <= len(real):
        return real[rng.choice(len(real), n, replace=False)]
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        weights = rng.dirichlet([1.0, 1.0], size=m).astype(np.float32)
        mixed = np.einsum("mp,mpd->md", weights, real[rng.integers(0, len(real), (m, 2))])
        mixed += rng.normal(0, 0.02, size=mixed.shape).astype(np.float32)
        out[start:start + m] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def latency_ms(search, queries) -> tuple[float, float]:
    """p50 and p99 of one query at a time, on one FAISS thread."""
    faiss.omp_set_num_threads(1)
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        times.append(time.perf_counter() - start)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3)


def recall(search, queries, truth, vectors) -> float:
    """Share of the exact top K found; a row scoring as high as the K-th true one counts too
    (Reuters repeats stories word for word: duplicate rows tie, and any of them is right)."""
    hits = 0
    for q, t in zip(queries, truth):
        kth = float((vectors[t] @ q).min())
        found = search(q)[1][:K]
        hits += min(K, int(((vectors[found[found >= 0]] @ q) >= kth - 1e-6).sum()))
    return hits / (K * len(queries))


def row(n, name, params, build, memory_mb, search, queries, truth, latency_queries, vectors):
    p50, p99 = latency_ms(search, latency_queries)
    print(f"{n:>8} {name:<11} {params:<24} {build[0]:7.1f} ({build[1]:7.1f}) {memory_mb:8.0f} "
          f"{p50:8.2f} {p99:8.2f} {recall(search, queries, truth, vectors):9.3f}", flush=True)


def mb(index) -> float:
    return faiss.serialize_index(index).nbytes / 2**20


def ivf(vectors, tune, tune_truth):
    """IVF-Flat, nlist 4*sqrt(N), trained on up to 64 rows a list; nprobe raised until 0.97."""
    nlist = int(4 * np.sqrt(len(vectors)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], nlist,
                               faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid, index.cp.niter = 64, 10
    index.train(vectors)
    index.add(vectors)
    for nprobe in (8, 16, 32, 64, 128, 256, 512):
        index.nprobe = nprobe
        if recall(lambda q: ivf_search(index, q), tune, tune_truth, vectors) >= 0.97:
            break
    return index


def ivf_search(index, query):
    scores, ids = index.search(query.reshape(1, -1), K)
    return scores[0], ids[0]


def size(n, real, questions, rng, latency_cap, hnsw_build):
    vectors = collection(real, n, rng)
    tune, test = questions[: len(questions) // 2], questions[len(questions) // 2:]
    _, tune_truth = faiss.knn(tune, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)
    _, truth = faiss.knn(test, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)
    few = test[:latency_cap]
    flat, wall, cpu = timed(lambda: (s := FaissFlatStore.empty(vectors.shape[1]), s.add(vectors))[0])
    row(n, "faiss-flat", "exact", (wall, cpu), mb(flat._index), lambda q: flat.search(q, K), test, truth, few, vectors)
    del flat
    (hnsw, spec), wall, cpu = timed(choose_store, vectors, None, vectors.shape[1], exact_below=0,
                                    hnsw_build=hnsw_build)
    p = spec["params"]
    row(n, "faiss-hnsw", f"M{p['m']} efC{p['ef_construction']} ef{p['ef_search']}", (wall, cpu),
        mb(hnsw._index), lambda q: hnsw.search(q, K), test, truth, test, vectors)
    index, wall, cpu = timed(ivf, vectors, tune, tune_truth)
    row(n, "faiss-ivf", f"nlist{index.nlist} nprobe{index.nprobe}", (wall, cpu), mb(index),
        lambda q: ivf_search(index, q), test, truth, test, vectors)
    del index
    breadths(n, hnsw, spec, vectors, tune, tune_truth)
    filtered(n, hnsw, vectors, test[:100], rng)
    # At or above the threshold the chooser's default run is the one measured above.
    decision = spec if n >= EXACT_BELOW else choose_store(vectors, None, vectors.shape[1])[1]
    print(f"{n:>8} chooser at its default threshold: {decision['backend']} ({decision['reason']})", flush=True)


def ladder(real, questions, rng, sizes=(5_000, 10_000, 20_000, 50_000, 100_000, 200_000)):
    """Exact search's p50 as the collection grows: where the threshold comes from."""
    vectors = collection(real, sizes[-1], rng)
    cells = []
    for n in sizes:
        flat = FaissFlatStore.empty(vectors.shape[1])
        flat.add(vectors[:n])
        cells.append(f"{n // 1000}k {latency_ms(lambda q: flat.search(q, K), questions[:100])[0]:.2f}")
    print("exact p50 ms by rows: " + ", ".join(cells), flush=True)


def breadths(n, hnsw, spec, vectors, tune, tune_truth):
    """Recall on rows of the collection (what the chooser measured) beside recall on questions."""
    own = np.random.default_rng(0).choice(len(vectors), 200, replace=False)
    _, ids = faiss.knn(vectors[own], vectors, K + 1, metric=faiss.METRIC_INNER_PRODUCT)
    row_truth = np.vstack([r[r != o][:K] for r, o in zip(ids, own)])
    cells = []
    for ef in EF_SEARCH_STEPS[: EF_SEARCH_STEPS.index(spec["params"]["ef_search"]) + 2]:
        hnsw.set_ef_search(ef)
        cells.append(f"ef{ef} {measure_recall(hnsw, vectors[own], row_truth, vectors, exclude=own):.3f}/"
                     f"{measure_recall(hnsw, tune, tune_truth, vectors):.3f}")
    hnsw.set_ef_search(spec["params"]["ef_search"])
    print(f"{n:>8} recall@10 rows/questions by efSearch: " + ", ".join(cells), flush=True)


def filtered(n, hnsw, vectors, queries, rng):
    """Subsets scored exactly vs through the widened graph, and which the store's rule picks;
    then 10 % of the rows deleted."""
    ef = hnsw.params()["ef_search"]
    for share in (0.001, 0.01, 0.05, 0.2, 0.5):
        subset = np.sort(rng.choice(n, max(K, int(n * share)), replace=False))
        _, truth = faiss.knn(queries, vectors[subset], K, metric=faiss.METRIC_INNER_PRODUCT)
        cells = []
        for path, step_rows in (("exact", float("inf")), ("graph", 0)):
            hnsw.graph_step_rows = step_rows
            search = lambda q: hnsw.search(q, K, subset=subset)  # noqa: E731
            cells.append(f"{path} p50 {latency_ms(search, queries)[0]:6.2f} ms r {recall(search, queries, subset[truth], vectors):.3f}")
        del hnsw.graph_step_rows
        rule = "exact" if len(subset) ** 2 <= hnsw.graph_step_rows * ef * n else "graph"
        print(f"{n:>8} subset {len(subset):>7} rows: " + "; ".join(cells) + f"; rule: {rule}", flush=True)
    dead = rng.choice(n, n // 10, replace=False)
    hnsw.delete(dead)
    live = np.setdiff1d(np.arange(n), dead)
    _, truth = faiss.knn(queries, vectors[live], K, metric=faiss.METRIC_INNER_PRODUCT)
    search = lambda q: hnsw.search(q, K)  # noqa: E731
    print(f"{n:>8} 10% deleted: p50 {latency_ms(search, queries)[0]:.2f} ms, recall "
          f"{recall(search, queries, live[truth], vectors):.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".footnote" / "eval" / "cache.sqlite")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--questions", type=int, default=600, help="question vectors: half tune, half measure")
    parser.add_argument("--saved-questions", type=Path, help="an .npy to keep the encoded questions in")
    parser.add_argument("--hnsw-build", help="M,efConstruction instead of the chooser's HNSW_BUILD")
    parser.add_argument("--exact-latency-queries", type=int, default=100, help="exact search is slow at 1M")
    args = parser.parse_args()
    if not args.cache.exists():
        sys.exit(f"{args.cache}: no vector cache; run `footnote eval` first or pass --cache PATH")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    real = real_vectors(args.cache)
    questions = question_vectors(args.questions, args.saved_questions)
    questions = questions[np.random.default_rng(1).permutation(len(questions))]  # news and SQuAD in both halves
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; commit {commit}; faiss {faiss.__version__}; "
          f"{len(real)} real vectors, {len(questions)} questions")
    print(f"{'rows':>8} {'store':<11} {'params':<24} {'build s (cpu s)':>17} {'MB':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'recall@10':>9}")
    build = None
    if args.hnsw_build:
        m, ef_construction = (int(x) for x in args.hnsw_build.split(","))
        build = {"m": m, "ef_construction": ef_construction}
    rng = np.random.default_rng(0)
    ladder(real, questions, rng)
    for n in (int(s) for s in args.sizes.split(",")):
        size(n, real, questions, rng, args.exact_latency_queries, build)
    print(f"load at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
