"""The chooser: exact below its threshold; above it an HNSW store whose efSearch meets the recall
target it reports, measured against exact search; the spec reopens the store as chosen."""

from __future__ import annotations

import numpy as np
import pytest

from index.store import choose
from index.store.choose import choose_store, measure_recall, open_store, stand_ins


def clustered(rng, n, d=48, centres=60):
    middle = rng.normal(size=(centres, d))
    v = middle[rng.integers(0, centres, n)] + 0.7 * rng.normal(size=(n, d))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def vectors():
    return clustered(np.random.default_rng(5), 3000)


@pytest.fixture(scope="module")
def chosen(vectors):
    queries = clustered(np.random.default_rng(6), 80)
    store, spec = choose_store(vectors, queries, 48, exact_below=1000, target=0.97, hnsw_build=FAST)
    return queries, store, spec


FAST = {"m": 16, "ef_construction": 64}  # a quicker graph to build: the tests pass it as hnsw_build


def true_top(vectors, queries, k=10):
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :k]


def test_below_the_threshold_the_store_is_exact(vectors):
    store, spec = choose_store(vectors, None, 48, exact_below=3001)
    assert store.backend == spec["backend"] == "faiss-flat" and store.count() == 3000
    assert spec["params"] == {} and spec["recall_at_10"] == 1.0 and spec["rows"] == 3000
    assert "3000 rows < 3001" in spec["reason"]


def test_above_it_hnsw_meets_the_recall_it_reports_on_given_queries(vectors, chosen, tmp_path):
    queries, store, spec = chosen
    assert store.backend == spec["backend"] == "faiss-hnsw" and store.count() == 3000
    assert spec["params"] == store.params() == {**FAST, "codes": "f16", "ef_search": spec["params"]["ef_search"]}
    assert spec["measured_on"] == 80
    truth = true_top(vectors, queries)
    assert spec["recall_at_10"] == pytest.approx(measure_recall(store, queries, truth), abs=1e-4)
    assert spec["recall_at_10"] >= 0.97
    fresh = clustered(np.random.default_rng(7), 100)  # queries it did not tune on
    assert measure_recall(store, fresh, true_top(vectors, fresh)) >= 0.95
    store.save(tmp_path / "v")
    again = open_store(spec, tmp_path / "v")
    assert again.params() == spec["params"]
    assert list(again.search(queries[0], 10)[1]) == list(store.search(queries[0], 10)[1])


def test_the_smallest_breadth_that_meets_the_target_is_kept(vectors, chosen, monkeypatch):
    queries, _, spec = chosen
    steps = choose.EF_SEARCH_STEPS
    chosen = spec["params"]["ef_search"]
    assert chosen in steps[1:]  # these vectors need more than the narrowest search
    monkeypatch.setattr(choose, "EF_SEARCH_STEPS", steps[:steps.index(chosen)])  # each fell short
    store, spec = choose_store(vectors, queries, 48, exact_below=1000, target=0.97, hnsw_build=FAST)
    assert store.backend == "faiss-flat" and "reached only recall@10" in spec["reason"]


def test_without_questions_stand_ins_off_the_rows_measure_recall(vectors):
    made = stand_ins(vectors, 80, seed=3)
    assert np.allclose(np.linalg.norm(made, axis=1), 1, atol=1e-5)
    draw = np.random.default_rng(3)  # stand_ins' own draws: the first rows, then the second
    first, second = (draw.choice(len(vectors), size=80, replace=False) for _ in range(2))
    nearest = made @ vectors.T
    assert np.allclose(nearest[np.arange(80), first], choose.STAND_IN_COSINE, atol=1e-4)  # each off its row
    assert (nearest.max(axis=1) < 0.999).all()  # on no row
    # ... and in the plane of its two rows: nothing of it is left outside their span.
    for v, a, b in zip(made, vectors[first], vectors[second]):
        basis, _ = np.linalg.qr(np.stack([a, b], axis=1).astype(np.float64))
        assert np.linalg.norm(v - basis @ (basis.T @ v)) < 1e-4
    store, spec = choose_store(vectors, None, 48, exact_below=1000, sample=80, seed=3, hnsw_build=FAST)
    assert spec["measured_on"] == 80 and "stand-in queries" in spec["reason"]
    # Stand-ins are an estimate: the store searches one step wider than where they met the target.
    steps, wider = choose.EF_SEARCH_STEPS, spec["params"]["ef_search"]
    assert f"one step wider for questions unlike them: {wider}" in spec["reason"] and wider in steps[1:]
    truth = true_top(vectors, made)
    assert measure_recall(store, made, truth) >= spec["recall_at_10"] >= 0.97
    store.set_ef_search(steps[steps.index(wider) - 1])
    assert spec["recall_at_10"] == pytest.approx(measure_recall(store, made, truth), abs=1e-4)


def test_vectors_of_the_wrong_shape_are_refused(vectors):
    with pytest.raises(ValueError, match=r"shape \(3000, 48\) are not rows of dimension 384"):
        choose_store(vectors, None, 384)


def test_rows_tied_with_the_tenth_count_as_found():
    """Sparse vectors tie: of 30 rows equally near a query any ten are its true top 10, so
    recall counts them all when the rows are given (and only the listed ten when not)."""
    vectors = np.repeat(np.eye(4, dtype=np.float32), 30, axis=0)  # rows 0-29 are e0, 30-59 e1...
    query = np.array([1, 0, 0, 0], dtype=np.float32)

    class LastTen:  # finds ten of the tied rows, not the ten the truth lists
        def search(self, q, k):
            return np.ones(k, dtype=np.float32), np.arange(29, 29 - k, -1)

    truth = np.arange(10)[None, :]
    assert measure_recall(LastTen(), query[None, :], truth) == 0.0  # none of the ten listed
    assert measure_recall(LastTen(), query[None, :], truth, vectors) == 1.0
    wrong = np.arange(39, 29, -1)  # rows of e1: nowhere near the query
    assert measure_recall(type("Off", (), {"search": lambda self, q, k: (None, wrong[:k])})(),
                          query[None, :], truth, vectors) == 0.0
