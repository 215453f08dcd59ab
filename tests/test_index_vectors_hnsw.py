"""The HNSW store beyond the shared contract: its params survive save and load, filtered graph
searches (subsets, tombstones) keep their recall, and a graph that runs dry falls back to exact;
each with the vectors kept in half precision (the default) and in float32 (older indexes)."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from index.store import approximate
from index.store.approximate import HnswStore


def clustered(rng, n, d=32, centres=40):
    """Unit vectors around a few centres: closer to text embeddings than uniform noise."""
    middle = rng.normal(size=(centres, d))
    v = middle[rng.integers(0, centres, n)] + 0.6 * rng.normal(size=(n, d))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


TOLERANCE = {"f16": 2e-3, "f32": 1e-5}  # of a score against the float32 inner product


@pytest.fixture(scope="module", params=["f16", "f32"])
def data(request):
    rng = np.random.default_rng(11)
    vectors = clustered(rng, 3000)
    store = HnswStore.empty(32, m=16, ef_construction=100, ef_search=32, codes=request.param)
    store.add(vectors)
    return vectors, store, clustered(rng, 30)


def best(vectors, query, allowed, k=10):
    allowed = np.asarray(sorted(allowed))
    return set(allowed[np.argsort(-(vectors[allowed] @ query))[:k]].tolist())


def test_params_survive_save_and_load_and_ef_search_can_change(data, tmp_path):
    vectors, store, queries = data
    codes = store.params()["codes"]
    assert store.params() == {"m": 16, "ef_construction": 100, "ef_search": 32, "codes": codes}
    store.save(tmp_path / "v")
    again = HnswStore.load(tmp_path / "v")
    assert again.params() == store.params() and again.count() == 3000
    assert list(again.search(queries[0], 10)[1]) == list(store.search(queries[0], 10)[1])
    assert np.array_equal(again.vectors([5, 2999]), store.vectors([5, 2999]))
    assert np.allclose(again.vectors([5, 2999]), vectors[[5, 2999]], atol=TOLERANCE[codes])
    assert HnswStore.load(tmp_path / "v", **{**store.params(), "ef_search": 90}).params()["ef_search"] == 90
    # A manifest written before the codes were recorded names no codes: the file says which.
    assert HnswStore.load(tmp_path / "v", m=16, ef_construction=100, ef_search=32).params()["codes"] == codes


def test_the_half_precision_file_is_about_half_the_size(data, tmp_path):
    vectors, _, _ = data
    sizes = {}
    for codes in ("f16", "f32"):
        store = HnswStore.empty(32, m=16, ef_construction=40, codes=codes)
        store.add(vectors)
        store.save(tmp_path / codes)
        sizes[codes] = (tmp_path / codes).stat().st_size
    graph = sizes["f32"] - 3000 * 32 * 4  # what is not the vectors: the links
    assert sizes["f16"] == pytest.approx(graph + 3000 * 32 * 2, rel=0.01)


def test_unknown_codes_and_other_quantisers_are_refused(data, tmp_path):
    vectors, _, _ = data
    with pytest.raises(ValueError, match="codes 'int4' are unknown; use one of f16, f32"):
        HnswStore.empty(32, codes="int4")
    sq8 = faiss.IndexHNSWSQ(32, faiss.ScalarQuantizer.QT_8bit, 16, faiss.METRIC_INNER_PRODUCT)
    sq8.train(vectors)
    sq8.add(vectors[:50])
    faiss.write_index(sq8, str(tmp_path / "sq8"))
    with pytest.raises(ValueError, match="IndexHNSWSQ index, not an inner-product HNSW one over float32 or half"):
        HnswStore.load(tmp_path / "sq8")


def test_params_that_contradict_the_file_or_another_kind_of_file_are_refused(data, tmp_path):
    vectors, store, _ = data
    store.save(tmp_path / "v")
    with pytest.raises(ValueError, match="do not match.*--rebuild"):
        HnswStore.load(tmp_path / "v", m=32)
    with pytest.raises(ValueError, match="do not match"):
        HnswStore.load(tmp_path / "v", nprobe=8)
    flat = faiss.IndexFlatIP(32)
    flat.add(vectors[:10])
    faiss.write_index(flat, str(tmp_path / "flat"))
    with pytest.raises(ValueError, match="IndexFlatIP index, not an inner-product HNSW"):
        HnswStore.load(tmp_path / "flat")


@pytest.mark.parametrize("step_rows", [0, 1e9])  # through the filtered graph, and scored exactly
def test_a_subset_through_the_graph_or_exactly_finds_its_best(data, step_rows, monkeypatch):
    vectors, store, queries = data
    monkeypatch.setattr(store, "graph_step_rows", step_rows, raising=False)
    subset = np.arange(5, 3000, 29)  # about 3 % of the rows: the graph search widens to match
    found = 0
    for query in queries:
        scores, ids = store.search(query, 10, subset=subset)
        assert len(ids) == 10 and set(ids) <= set(subset)
        assert np.allclose(scores, vectors[ids] @ query, atol=TOLERANCE[store.params()["codes"]])
        found += len(set(ids.tolist()) & best(vectors, query, subset))
    assert found / (10 * len(queries)) >= 0.97


def test_tombstones_through_the_graph_keep_recall_and_k(data):
    vectors, made, queries = data
    store = HnswStore.empty(32, m=16, ef_construction=100, ef_search=32, codes=made.params()["codes"])
    store.add(vectors)
    store.graph_step_rows = 0
    dead = np.random.default_rng(3).choice(3000, 2400, replace=False)
    store.delete(dead)
    live = set(range(3000)) - set(dead.tolist())
    found = 0
    for query in queries:
        _, ids = store.search(query, 10)
        assert len(ids) == 10 and set(ids) <= live
        found += len(set(ids.tolist()) & best(vectors, query, live))
    assert found / (10 * len(queries)) >= 0.97


def test_a_graph_that_runs_dry_falls_back_to_exact(data, monkeypatch):
    vectors, store, queries = data
    monkeypatch.setattr(store, "graph_step_rows", 0, raising=False)
    monkeypatch.setattr(approximate, "MAX_EF_SEARCH", 10)  # too narrow to meet 8 scattered rows
    subset = np.array([17, 402, 999, 1500, 2001, 2500, 2750, 2999])
    for query in queries[:5]:
        scores, ids = store.search(query, 10, subset=subset)
        assert sorted(ids) == sorted(subset)
        assert list(ids) == list(subset[np.argsort(-(vectors[subset] @ query))])


def test_bad_ids_and_breadths_are_refused_with_the_fix():
    store = HnswStore.empty(8)
    store.add(np.eye(8, dtype=np.float32))
    with pytest.raises(ValueError, match=r"cannot delete ids \[8\].*rows 0..7"):
        store.delete([2, 8])
    assert store.search(np.eye(8, dtype=np.float32)[2], 3)[1][0] == 2  # nothing was deleted
    with pytest.raises(ValueError, match="outside 1..4096"):
        store.set_ef_search(0)
