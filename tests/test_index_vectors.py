"""The vector store seam: every backend passes the same contract, checked against brute-force
cosine on random unit vectors (no model). Exact backends must return the best k; approximate
ones (APPROXIMATE) must return true scores, best first, with recall@10 of at least RECALL."""

from __future__ import annotations

import numpy as np
import pytest

from index.store import STORES

TOLERANCE = {"faiss-flat": 1e-5, "npy-f16": 2e-3, "faiss-hnsw": 2e-3}  # half precision keeps about three digits
APPROXIMATE = {"faiss-hnsw"}
RECALL = 0.97


def unit(rng, n, d=32):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(params=sorted(STORES))
def made(request):
    rng = np.random.default_rng(7)
    vectors = unit(rng, 500)
    store = STORES[request.param].empty(32)
    store.add(vectors[:300])
    store.add(vectors[300:])  # ids continue from count()
    return request.param, store, vectors, unit(rng, 20)


def test_search_equals_brute_force_cosine(made):
    backend, store, vectors, queries = made
    assert store.count() == 500 and store.backend == backend
    found = 0
    for query in queries:
        scores, ids = store.search(query, 10)
        brute = vectors @ query
        assert len(ids) == len(set(ids)) == 10
        assert np.allclose(scores, brute[ids], atol=TOLERANCE[backend])
        assert np.all(np.diff(scores) <= TOLERANCE[backend])  # best first
        expected = np.argsort(-brute)[:10]
        found += len(set(ids) & set(expected))
        if backend not in APPROXIMATE:
            assert np.allclose(scores, brute[expected], atol=TOLERANCE[backend])  # the best ten
    assert found / (10 * len(queries)) >= (RECALL if backend in APPROXIMATE else 1.0)


def test_a_subset_limits_the_search_and_deleted_ids_are_never_found(made):
    backend, store, vectors, queries = made
    subset = np.arange(0, 500, 7)
    _, ids = store.search(queries[0], 5, subset=subset)
    assert set(ids) <= set(subset) and len(ids) == 5
    best = store.search(queries[0], 3)[1]
    store.delete(best[:2])
    _, after = store.search(queries[0], 10)
    assert not set(best[:2]) & set(after) and best[2] in after
    assert store.count() == 500  # ids are rows: deleting does not renumber


def test_k_live_ids_come_back_while_there_are_that_many(made):
    backend, store, vectors, queries = made
    store.delete(np.arange(0, 488))  # 12 rows live
    _, ids = store.search(queries[2], 10)
    assert len(ids) == 10 and set(ids) <= set(range(488, 500))
    _, ids = store.search(queries[2], 10, subset=np.array([3, 490, 495, 499, 7]))
    assert sorted(ids) == [490, 495, 499]  # the deleted ones in the subset are not found
    store.delete(np.arange(488, 500))
    assert len(store.search(queries[2], 10)[1]) == 0


def test_vectors_of_ids_and_a_save_load_round_trip(made, tmp_path):
    backend, store, vectors, queries = made
    ids = [3, 499, 0, 250]
    assert np.allclose(store.vectors(ids), vectors[ids], atol=TOLERANCE[backend])
    assert store.vectors([]).shape == (0, 32)
    store.save(tmp_path / "v")
    loaded = STORES[backend].load(tmp_path / "v")
    assert loaded.count() == 500
    assert np.allclose(loaded.vectors(ids), store.vectors(ids))
    assert list(loaded.search(queries[1], 5)[1]) == list(store.search(queries[1], 5)[1])


def test_an_empty_store_finds_nothing():
    for cls in STORES.values():
        scores, ids = cls.empty(8).search(np.ones(8, dtype=np.float32) / 8 ** 0.5, 5)
        assert len(scores) == len(ids) == 0
