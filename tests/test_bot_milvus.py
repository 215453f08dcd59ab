"""The bot over a Milvus store: questions answered from the store, and /reindex's build (in its
worker process) published there, the bot switching to it without a restart."""

from __future__ import annotations

import asyncio

import pytest

from bot.footnote import LocalFootnote
from corpus.chunk import ChunkParams
from index.assemble import open_answerer
from index.embed import HashingEmbedder
from index.stores import open_store
from tests.conftest import article_txt, make_corpus, write

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -e '.[dev]')")

from index.milvus_build import build_into_milvus  # noqa: E402


def test_the_bots_reindex_publishes_to_the_milvus_store(tmp_path, milvus_store):
    corpus = make_corpus(tmp_path / "corpus")
    embedder = HashingEmbedder(64)
    build_into_milvus(milvus_store, corpus, tmp_path / "builder", embedder, params=ChunkParams(128), progress=False)
    store = open_store(tmp_path / "bot", milvus_store)
    service = LocalFootnote(open_answerer(store, embedder), corpus, tmp_path / "bot", store=store)
    write(corpus, {"2026/tram.txt": article_txt("2026-02-01", "The old tram depot will become a museum.")})

    async def quiet(text: str) -> None:
        pass

    async def scenario():
        before = await service.status()
        summary = await service.reindex(quiet)
        answer = await service.ask("What will the old tram depot become?")
        after = await service.status()
        await service.close()
        return before, summary, answer, after

    before, summary, answer, after = asyncio.run(scenario())
    assert (before["generation"], summary["generation"], after["generation"]) == ("000001", "000002", "000002")
    assert after["index"] == milvus_store and summary["articles_total"] == 5
    assert "2026/tram" in [c["article_id"] for c in answer["citations"]]
