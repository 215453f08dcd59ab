"""Updates on the Milvus store write only what changed: a publish writes the local segments the
store lacks and a small meta collection; tombstoned articles never come back through any read;
segments folded by a local merge leave Milvus once no kept generation lists them, and until
then the generation that listed them stays readable. Runs against a Milvus Lite server on
127.0.0.1 (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from corpus.chunk import ChunkParams
from index.answer import AskRequest
from index.assemble import open_answerer
from index.embed import HashingEmbedder
from index.store import Filters, Generation, merge
from index.stores import open_store
from tests.conftest import ARTICLES, article_txt, write
from tests.milvus_checks import assert_same_reads, count_inserts, listed_rows, stored_rows

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -e '.[dev]')")

from index.milvus_build import build_into_milvus  # noqa: E402
from index.store.milvus import MilvusGeneration, connect, parse_address, read_meta  # noqa: E402

PARAMS = ChunkParams(40)  # several chunks per article
NEW = {
    "2026/bridge.txt": article_txt(
        "2026-01-10", "The harbour bridge repair budget was set at 40 million dollars by the council.",
        "Engineer Mara Quill said the steel cables were corroded. She expects work to take a year."),
    "2026/tram.txt": article_txt("2026-02-01", "The old tram depot will become a museum."),
}
LINE = "2026/line-opens.txt"
# More articles in the first segment, so that two tombstoned ones stay under the share at which
# the local build rewrites a segment without them (index/store/merge.py, EXPUNGE_DEAD_SHARE).
NOTES = {f"2024/note-{n}.txt": article_txt(f"2024-0{n + 1}-15", f"Traders said {topic} prices moved {n} percent.",
                                           f"The {topic} market closed early on Friday.")
         for n, topic in enumerate(["copper", "wheat", "coffee", "cotton", "sugar", "tin", "zinc", "rubber"])}


def _line(*paragraphs: str) -> dict:
    return {LINE: article_txt("2026-05-02", *paragraphs)}


class _Store:
    """A corpus folder, the builder's index folder and the Milvus store it publishes to."""

    def __init__(self, tmp_path, store: str, files: dict):
        self.corpus = write(tmp_path / "corpus", dict(files))
        self.index, self.store, self.embedder = tmp_path / "index", store, HashingEmbedder(64)
        self.client = connect(parse_address(store))

    def publish(self, files: dict | None = None, gone: tuple[str, ...] = ()) -> dict:
        """Change the corpus, build into the store; the new generation's meta."""
        write(self.corpus, files or {})
        for rel in gone:
            (self.corpus / rel).unlink()
        summary = build_into_milvus(self.store, self.corpus, self.index, self.embedder, params=PARAMS, progress=False)
        return read_meta(self.client, summary.generation)

    def remote(self) -> MilvusGeneration:
        return MilvusGeneration.open(self.client, self.store, self.embedder.name)


def test_an_update_writes_only_its_new_segment(tmp_path, milvus_store, monkeypatch):
    store = _Store(tmp_path, milvus_store, ARTICLES)
    first = store.publish()
    inserted = count_inserts(monkeypatch)
    second = store.publish(NEW)
    with Generation.open(store.index) as local:
        new = local.segments[-1]
        assert len(local.segments) == 2 and new.chunk_count < local.total_chunks()
        assert second["written"] == [second["segments"][-1]["partition"]]
        assert second["segments"][0]["partition"] == first["segments"][0]["partition"]  # shared, not copied
        assert (inserted["chunks"], inserted["sentences"]) == (new.chunk_count, new.sentence_count)
        assert (inserted["articles"], inserted["texts"]) == (len(NEW), len(NEW))
        assert inserted["terms"] == len(new.lexicon.terms)
        assert inserted["meta"] == 1  # one row: no tombstones yet
        assert stored_rows(store.client) == listed_rows(store.client)
        assert_same_reads(store.remote(), local, store.embedder)


def test_deleted_and_replaced_articles_never_come_back(tmp_path, milvus_store):
    store = _Store(tmp_path, milvus_store, {**ARTICLES, **NEW, **NOTES})
    store.publish()
    meta = store.publish(_line("The Larkspur Line opening was delayed by a signal fault.",
                               "Passengers were offered buses instead."), gone=("2025/tunnel-strike.md",))
    assert {aid for s in meta["segments"] for aid in s["deleted"]} == {"2025/tunnel-strike", "2026/line-opens"}
    remote = store.remote()
    with Generation.open(store.index) as local:
        assert_same_reads(remote, local, store.embedder)
        live = set(local.chunk_ids(Filters()).tolist())
    assert remote.article("2025/tunnel-strike") is None
    assert "signal fault" in remote.article("2026/line-opens").text
    assert "Valley Herald" not in remote.sources()
    assert remote.list_articles(Filters(), 0, 50, text="Marigold") == (0, [])
    assert remote.list_articles(Filters(), 0, 50, text="eight minutes") == (0, [])
    assert remote.chunks_of(["2025/tunnel-strike"]) == [] and remote.chunks_in("2025/tunnel-strike") == 0
    for old in ("Tunnel workers went on strike over night shifts. The union said the boring machine Marigold",
                "Trains run every eight minutes between the harbour and the university."):
        found = remote.vectors.search(store.embedder.encode([old])[0], 50)[1].tolist()
        assert found and set(found) <= live
        hits = remote.lexical(old.split(), Filters(), 50)
        assert hits and set(hits) <= live
        assert all("eight minutes" not in c.text and "Marigold" not in c.text
                   for c, *_ in remote.chunk_rows(hits).values())
    answerer = open_answerer(open_store(None, store.store), store.embedder, today=lambda: dt.date(2026, 6, 1))
    answer = answerer.answer(AskRequest(question="Why did tunnel workers strike?"))
    assert "2025/tunnel-strike" not in [c.article_id for c in answer.citations]


def test_an_article_changed_and_changed_back(tmp_path, milvus_store, monkeypatch):
    """Each change tombstones the article's last copy, and the local build rewrites the segment
    it leaves with no live article as an empty one: a generation then lists two alike (empty)
    segments. A change undone while the first copy's segment is kept costs no rows at all."""
    store = _Store(tmp_path, milvus_store, ARTICLES)
    store.publish()
    inserted = count_inserts(monkeypatch)
    metas, chunks = [], []
    for text in ("The opening was delayed.", "The opening was delayed again.", "The opening was delayed."):
        inserted.clear()
        metas.append(store.publish({"2026/late.txt": article_txt("2026-05-02", text)}))
        chunks.append(inserted["chunks"])
        with Generation.open(store.index) as local:
            assert_same_reads(store.remote(), local, store.embedder)
            assert chunks[-1] <= local.segments[-1].chunk_count  # the new copy at most, nothing else
        assert store.remote().article("2026/late").text.strip() == text
    assert chunks[0] and chunks[1] and chunks[2] == 0
    assert metas[2]["segments"][-1]["partition"] == metas[0]["segments"][-1]["partition"]  # the first copy's
    numbers = [s["number"] for s in metas[2]["segments"]]
    assert len(set(numbers)) == len(numbers)  # tombstones are per number: each segment has its own
    empty = [s for s in metas[2]["segments"] if not s["chunks"]]
    assert len(empty) == 2 and empty[0]["fingerprint"] == empty[1]["fingerprint"]
    assert stored_rows(store.client) == listed_rows(store.client)


def test_a_merge_drops_the_folded_segments_once_no_generation_uses_them(tmp_path, milvus_store, monkeypatch):
    monkeypatch.setattr(merge, "SEGMENTS_PER_TIER", 3)  # a merge on the third segment ...
    monkeypatch.setattr(merge, "TIER_FACTOR", 10**9)  # ... of any size
    store = _Store(tmp_path, milvus_store, ARTICLES)
    store.publish()
    second = store.publish({"2026/bridge.txt": NEW["2026/bridge.txt"]})
    folded = {s["partition"] for s in second["segments"]}
    before = store.remote()  # a reader on the second generation
    articles = before.articles()
    third = store.publish({"2026/tram.txt": NEW["2026/tram.txt"]})
    assert len(third["segments"]) == 1 and third["written"] == [third["segments"][0]["partition"]]
    assert folded <= {p for _, p in stored_rows(store.client)}  # the previous generation still uses them
    assert before.articles() == articles and before.lexical(["cables"], Filters(), 5)
    assert before.vectors.search(store.embedder.encode(["tram depot"])[0], 5)[1].size
    with Generation.open(store.index) as local:
        assert_same_reads(store.remote(), local, store.embedder)

    fourth = store.publish({"2026/ferry-late.txt": article_txt("2026-03-01", "The ferry left an hour late.")})
    assert fourth["written"] == [fourth["segments"][-1]["partition"]]
    assert not folded & {p for _, p in stored_rows(store.client)}  # gone from every collection
    assert stored_rows(store.client) == listed_rows(store.client)
    numbers = [s["number"] for s in second["segments"]]
    chunks = f"footnote_{fourth['family']['name']}_chunks"
    assert store.client.query(chunks, filter=f"segment in {numbers}", output_fields=["count(*)"])[0]["count(*)"] == 0
    with Generation.open(store.index) as local:
        assert_same_reads(store.remote(), local, store.embedder)


def test_a_store_published_in_the_earlier_format_is_refused_then_replaced(tmp_path, milvus_store):
    from index.store import IndexMismatch
    from index.store.milvus.schema import STAND_IN, create_meta

    store = _Store(tmp_path, milvus_store, ARTICLES)
    create_meta(store.client, "footnote_000001_meta")  # as a store of whole copies left it: no format
    store.client.insert("footnote_000001_meta", [{"key": "generation", "stand_in": STAND_IN, "value": {
        "generation": "000001", "manifest": {}, "previous": None}}])
    store.client.create_alias("footnote_000001_meta", "footnote")
    with pytest.raises(IndexMismatch, match="published by an earlier Footnote.*footnote index --store"):
        store.remote()
    second = store.publish()
    assert second["generation"] == "000002" and second["previous"] == "000001"
    assert "footnote_000001_meta" in store.client.list_collections()  # readers still on it finish
    store.publish({"2026/tram.txt": NEW["2026/tram.txt"]})
    assert "footnote_000001_meta" not in store.client.list_collections()
    with Generation.open(store.index) as local:
        assert_same_reads(store.remote(), local, store.embedder)
