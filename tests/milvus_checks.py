"""A Milvus generation read every way the answer path and the API read a generation, against the
local generation it was published from: the same rows, ids, filters and rankings, row by row."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np

from index.store import Filters

QUERY_TEXT = "cables budget council"
TERMS = ["council", "budget", "line"]
STEMS = ["council", "cabl", "ferr", "zzz", "the"]


def filters_for(local) -> list[Filters]:
    """No filter, dates, a source, and two article ids of the local generation."""
    ids = tuple(sorted(local.article_hashes())[:2])
    sources = tuple(list(local.sources())[:1]) or ("Nobody",)
    return [Filters(), Filters(published_after=dt.date(2026, 1, 1)), Filters(sources=sources),
            Filters(published_before=dt.date(2025, 12, 31), undated=True), Filters(article_ids=ids)]


def assert_same_hits(mine: tuple, theirs: tuple) -> None:
    """Two dense searches' (scores, ids) agree: the same scores, and the same ids wherever a score
    is above the last one kept (of several chunks tied there, which make the cut is a store's choice)."""
    np.testing.assert_allclose(mine[0], theirs[0], atol=1e-5)
    sure = mine[0] > mine[0][-1] + 1e-5 if len(mine[0]) else np.zeros(0, dtype=bool)
    assert mine[1][sure].tolist() == theirs[1][sure].tolist()


def assert_same_reads(remote, local, embedder) -> None:
    assert remote.articles() == local.articles()
    assert remote.article_hashes() == local.article_hashes()
    assert remote.sources() == local.sources()
    assert (remote.chunk_count(), remote.article_count()) == (local.chunk_count(), local.article_count())
    query = embedder.encode([QUERY_TEXT])[0]
    for filters in filters_for(local):
        ids = local.chunk_ids(filters)
        assert sorted(remote.chunk_ids(filters).tolist()) == sorted(ids.tolist()), filters
        assert remote.list_articles(filters, 0, 50) == local.list_articles(filters, 0, 50)
        subset = None if not filters.active else remote.search_subset(filters)
        local_subset = None if not filters.active else ids
        assert_same_hits(remote.vectors.search(query, 5, subset), local.vectors.search(query, 5, local_subset))
        assert remote.lexical(TERMS, filters, 10) == local.lexical(TERMS, filters, 10), filters
    for text in ("cables corroded", "tram"):
        assert remote.list_articles(Filters(), 0, 50, text=text) == local.list_articles(Filters(), 0, 50, text=text)
    assert remote.list_articles(Filters(), 1, 3, newest_first=True) == \
        local.list_articles(Filters(), 1, 3, newest_first=True)
    assert len(remote.search_subset(Filters(sources=("Nobody",)))) == 0
    chunk_ids = local.chunk_ids(Filters()).tolist()
    assert remote.chunk_rows(chunk_ids) == local.chunk_rows(chunk_ids)
    assert np.array_equal(remote.minhashes(chunk_ids), local.minhashes(chunk_ids))
    np.testing.assert_allclose(remote.vectors.vectors(chunk_ids), local.vectors.vectors(chunk_ids), atol=1e-6)
    for chunk_id in chunk_ids:
        assert remote.sentences_within(chunk_id) == local.sentences_within(chunk_id)
        assert remote.sentences_around(chunk_id, 2) == local.sentences_around(chunk_id, 2)
    sentence_ids = [i for c in chunk_ids[:5] for i, _, _ in local.sentences_within(c)]
    np.testing.assert_allclose(remote.sentence_vectors.vectors(sentence_ids),
                               local.sentence_vectors.vectors(sentence_ids), atol=2e-3)  # stored in half precision
    assert remote.prefix_frequency(STEMS).tolist() == local.prefix_frequency(STEMS).tolist()
    assert remote.document_frequency(STEMS).tolist() == local.document_frequency(STEMS).tolist()
    assert remote.total_chunks() == local.total_chunks()
    some = sorted(local.article_hashes())[:3]
    assert remote.chunks_of(some) == local.chunks_of(some)
    assert [remote.chunks_in(a) for a in some] == [local.chunks_in(a) for a in some]
    for aid in some:
        assert remote.article(aid) == local.article(aid)


def stored_rows(client) -> dict[tuple[str, str], int]:
    """{(kind, partition): rows} of every chunks and sentences collection of the store's families."""
    from index.store.milvus.address import family_of

    out = {}
    for collection in client.list_collections():
        kind = collection.rsplit("_", 1)[-1]
        if family_of(collection) and kind in ("chunks", "sentences"):
            for partition in client.list_partitions(collection):
                n = client.query(collection, filter="segment >= 0", output_fields=["count(*)"],
                                 partition_names=[partition])[0]["count(*)"]
                if n or partition != "_default":
                    out[(kind, partition)] = out.get((kind, partition), 0) + n
    return out


def listed_rows(client) -> dict[tuple[str, str], int]:
    """{(kind, partition): rows} the kept generations (served and previous) say they hold."""
    from index.store.milvus.meta import kept_metas

    out = {}
    for meta in kept_metas(client):
        for s in meta["segments"]:
            out[("chunks", s["partition"])], out[("sentences", s["partition"])] = s["chunks"], s["sentences"]
    return out


def count_inserts(monkeypatch) -> Counter:
    """From now on, count the rows sent to Milvus by kind of collection (chunks, meta, ...)."""
    from pymilvus import MilvusClient

    rows: Counter = Counter()
    real = MilvusClient.insert

    def insert(self, collection_name, data, *args, **kwargs):
        rows[collection_name.rsplit("_", 1)[-1]] += len(data)
        return real(self, collection_name, data, *args, **kwargs)

    monkeypatch.setattr(MilvusClient, "insert", insert)
    return rows
