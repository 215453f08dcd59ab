"""The one interface to a generation (index/store/reader.py), held to by both stores: every
member the Protocol declares exists on the local and the Milvus generation with the same
parameters, names and defaults, and both live switches hand out readers through it. (The same
questions getting the same answers from both stores: tests/test_index_milvus.py.)"""

from __future__ import annotations

import inspect

import pytest

from index.embed import HashingEmbedder
from index.store import Generation, GenerationReader, LiveIndex
from index.stores import FolderStore, MilvusStore, open_store
from tests.conftest import article_txt, write

METHODS = [name for name, member in inspect.getmembers(GenerationReader)
           if inspect.isfunction(member) and (not name.startswith("_") or name in ("__enter__", "__exit__"))]


def parameters(function) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_the_protocol_declares_what_the_answer_path_reads():
    assert {"lexical", "search_subset", "sentence_coverage", "list_articles", "article", "close"} <= set(METHODS)
    assert {"name", "manifest", "vectors", "sentence_vectors", "fan_out", "takes_turns"} <= set(
        GenerationReader.__annotations__)


@pytest.mark.parametrize("name", METHODS)
def test_both_generations_take_each_method_as_the_protocol_says(name):
    pytest.importorskip("pymilvus")
    from index.store.milvus.reader import MilvusGeneration

    declared = parameters(getattr(GenerationReader, name))
    for cls in (Generation, MilvusGeneration):
        assert parameters(getattr(cls, name)) == declared, f"{cls.__name__}.{name}"


def test_a_folder_store_serves_a_reader_and_names_itself(tmp_path):
    corpus = write(tmp_path / "corpus", {"2026/tram.txt": article_txt("2026-02-01", "The tram depot will be a museum.")})
    store = open_store(tmp_path / "index")
    summary = store.build(corpus, HashingEmbedder(32), progress=False)
    live = store.live("hash:32")
    assert isinstance(store, FolderStore) and isinstance(live, LiveIndex)
    with store.current() as generation:
        assert isinstance(generation, GenerationReader) and generation.name == summary.generation
    assert live.current().article("2026/tram").title and store.where == str(tmp_path / "index") and store.address == ""


def test_a_milvus_address_is_checked_before_any_work():
    from index.store.milvus.address import StoreAddressError

    with pytest.raises(StoreAddressError, match=r"milvus://HOST:PORT"):
        open_store(None, "redis://127.0.0.1:6379")
    with pytest.raises(StoreAddressError, match=r"milvus://HOST:PORT"):
        open_store(None, "milvus://nohost")
    store = open_store(None, "milvus://127.0.0.1:19530")
    assert isinstance(store, MilvusStore) and store.where == store.address == "milvus://127.0.0.1:19530/default"
    with pytest.raises(ValueError, match="needs a working folder: give --index"):
        store.build("corpus", HashingEmbedder(32))
