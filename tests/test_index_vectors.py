"""The vector store seam: every backend passes the same contract, checked against brute-force
cosine on random unit vectors (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from index.store import STORES

TOLERANCE = {"faiss-flat": 1e-5, "npy-f16": 2e-3}  # half precision keeps about three digits


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
    for query in queries:
        scores, ids = store.search(query, 10)
        brute = vectors @ query
        assert np.allclose(scores, brute[ids], atol=TOLERANCE[backend])
        expected = np.sort(brute)[::-1][:10]
        assert np.allclose(scores, expected, atol=TOLERANCE[backend])  # the best ten, best first


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
