"""The Milvus store against the local one: the same questions get the same answers (cited
articles, verbatim quotes), the same rows and filters; generations published by moving an
alias (a failed build leaves it alone; one previous generation kept); builders take turns
under a lease. Runs against a Milvus Lite server on 127.0.0.1 (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest

from corpus.chunk import ChunkParams
from index.answer import AskRequest
from index.assemble import open_answerer
from index.build import build_index
from index.embed import HashingEmbedder
from index.store import Filters, Generation, GenerationReader, IndexMismatch
from index.stores import open_store
from tests.conftest import ARTICLES, article_txt, write
from tests.milvus_checks import assert_same_reads, listed_rows, stored_rows

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -e '.[dev]')")

from index.milvus_build import build_into_milvus  # noqa: E402
from index.store.milvus import BuildBusy, Lease, MilvusGeneration, connect, parse_address, served  # noqa: E402
from index import milvus_build  # noqa: E402
from index.store.milvus import segment_rows  # noqa: E402

MORE = {
    "2026/bridge.txt": article_txt(
        "2026-01-10", "The harbour bridge repair budget was set at 40 million dollars by the council.",
        "Engineer Mara Quill said the steel cables were corroded. She expects work to take a year.",
        "Traffic will use one lane while the cables are replaced. Buses keep their usual routes."),
    "2026/ferry-fares.md": "---\ntitle: Ferry fares frozen\ndate: 2026-03-05\nsource: Bay Times\n---\n"
                           "The ferry operator froze fares for the year. Commuters welcomed the decision.\n\n"
                           "The operator's chief, Tom Reyes, said fuel prices had eased.",
    "2025/library.txt": article_txt(
        "2025-11-02", "The city library opened a new reading room for children in November.",
        "Librarian Ada Brook said the room holds four thousand books."),
    # Page furniture: a chunk of teasers alone holds no sentence, and still has neighbours.
    "2026/pier.txt": article_txt(
        "2026-05-05", "By Nora Vance, CNN\nPORTVILLE (CNN) -- The harbour council voted to close the old ferry pier.",
        "Read more: Ferry fares to rise in the spring\nMore:Council spent forty years arguing over the pier\n"
        "Harbour budget:In a surprise move the council cut the harbour budget\nStory continues below advertisement",
        "Demolition of the pier will begin in the autumn."),
}
QUESTIONS = [
    ("How much will the Larkspur Line cost?", Filters()),
    ("Why did tunnel workers strike?", Filters()),
    ("What did the engineer say about the cables?", Filters()),
    ("How many books does the reading room hold?", Filters()),
    ("How often do trains run?", Filters(published_after=dt.date(2026, 1, 1))),
    ("What happened to ferry fares?", Filters(sources=("Bay Times",))),
    ("What did the union say?", Filters(published_before=dt.date(2025, 12, 31))),
    ("Who won the chess tournament?", Filters()),
    ("Why did tunnel workers strike?", Filters(sources=("Nobody",))),  # no chunk passes
]
PARAMS = ChunkParams(40)  # several chunks per article, so sentences cross chunk borders


@pytest.fixture(scope="module")
def both(tmp_path_factory, milvus_server):
    """A local index built in two steps (two segments, a tombstone) and the Milvus store it was
    published to: (local index folder, store address, embedder)."""
    root = tmp_path_factory.mktemp("milvus-contract")
    corpus = write(root / "corpus", {**ARTICLES, **MORE})
    embedder = HashingEmbedder(64)
    build_index(corpus, root / "index", embedder, PARAMS, progress=False)
    write(corpus, {"2026/bridge.txt": MORE["2026/bridge.txt"] + "\nThe council will review the budget in June.\n",
                   "2026/tram.txt": article_txt("2026-02-01", "The old tram depot will become a museum.")})
    store = f"{milvus_server}/contract"
    build_into_milvus(store, corpus, root / "index", embedder, params=PARAMS, progress=False)
    return root / "index", store, embedder


def _answers(index_dir, embedder, store=None):
    answerer = open_answerer(open_store(index_dir, store), embedder, today=lambda: dt.date(2026, 6, 1))
    return [answerer.answer(AskRequest(question=q, filters=f)) for q, f in QUESTIONS]


def test_the_same_questions_get_the_same_answers_from_both_stores(both):
    index_dir, store, embedder = both
    with Generation.open(index_dir) as local:
        assert len(local.segments) == 2 and local.chunk_count() < local.total_chunks()  # a tombstone to skip
    local_answers, milvus_answers = _answers(index_dir, embedder), _answers(index_dir, embedder, store)
    assert sum(not a.abstained for a in local_answers) >= 4  # the contract covers answers, not only abstentions
    generation = MilvusGeneration.open(connect(parse_address(store)), store)
    assert isinstance(generation, GenerationReader)  # the one interface (index/store/reader.py)
    for mine, theirs in zip(local_answers, milvus_answers):
        assert theirs.abstained == mine.abstained, mine.question
        assert [c.article_id for c in theirs.citations] == [c.article_id for c in mine.citations], mine.question
        assert [(q.article_id, q.start, q.end, q.text) for q in theirs.quotes] == \
            [(q.article_id, q.start, q.end, q.text) for q in mine.quotes], mine.question
        assert [p.chunk.text for p in theirs.passages] == [p.chunk.text for p in mine.passages], mine.question
        assert theirs.confidence == pytest.approx(mine.confidence, abs=1e-3)
        for quote in theirs.quotes:  # verbatim, checked against the text Milvus holds
            assert generation.article(quote.article_id).text[quote.start:quote.end] == quote.text


def test_rows_filters_and_rankings_match_the_local_generation(both):
    index_dir, store, embedder = both
    remote = MilvusGeneration.open(connect(parse_address(store)), store, embedder.name)
    with Generation.open(index_dir) as local:
        assert_same_reads(remote, local, embedder)


def test_a_generation_built_with_another_model_is_refused(both):
    _, store, _ = both
    with pytest.raises(IndexMismatch, match="built with model 'hash:64'.*'hash:32' was asked for"):
        open_answerer(open_store(None, store), HashingEmbedder(32)).retriever.live.current()


@pytest.mark.parametrize("failing", ["mid-segment", "before-switch"])
def test_a_failed_build_leaves_the_alias_on_the_old_generation(tmp_path, milvus_store, monkeypatch, failing):
    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    embedder = HashingEmbedder(64)
    client = connect(parse_address(milvus_store))
    first = build_into_milvus(milvus_store, corpus, tmp_path / "index", embedder, progress=False).generation
    write(corpus, {"2026/tram.txt": article_txt("2026-02-01", "The old tram depot will become a museum.")})

    def broken_rows(segment, number):  # dies halfway through writing the new segment's sentences
        rows = real_rows(segment, number)
        yield next(rows)
        raise OSError("the network went away")

    def broken_switch(client, name):  # dies with everything written, right before the switch
        raise OSError("the network went away")

    real_rows = segment_rows._sentences
    if failing == "mid-segment":
        monkeypatch.setattr(segment_rows, "_sentences", broken_rows)
    else:
        monkeypatch.setattr(milvus_build, "switch", broken_switch)
    with pytest.raises(OSError, match="network"):
        build_into_milvus(milvus_store, corpus, tmp_path / "index", embedder, progress=False)
    assert served(client) == first
    left = set(stored_rows(client)) - set(listed_rows(client))
    assert left  # left behind, never served
    answerer = open_answerer(open_store(tmp_path / "index", milvus_store), embedder)
    assert answerer.retriever.live.current().article("2026/tram") is None

    monkeypatch.undo()
    second = build_into_milvus(milvus_store, corpus, tmp_path / "index", embedder, progress=False).generation
    assert served(client) == second != first
    assert answerer.retriever.live.current().article("2026/tram") is not None  # the switch, without a restart
    assert stored_rows(client) == listed_rows(client)  # what the failed build wrote is gone: no row twice
    write(corpus, {"2026/tram.txt": article_txt("2026-02-01", "The tram depot will become a library.")})
    third = build_into_milvus(milvus_store, corpus, tmp_path / "index", embedder, progress=False).generation
    kept = {c.split("_")[1] for c in client.list_collections() if c.startswith("footnote_0")}
    assert kept == {second, third}  # the one served before is kept for readers still on it; older dropped
    again = build_into_milvus(milvus_store, corpus, tmp_path / "index", embedder, progress=False)
    assert again.generation == third and again.up_to_date  # nothing changed: nothing written


def test_a_second_builder_is_refused_or_waits_for_the_lease(tmp_path, milvus_store):
    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    embedder = HashingEmbedder(64)
    client = connect(parse_address(milvus_store))
    with Lease(client, milvus_store):
        with pytest.raises(BuildBusy, match="another build holds the Milvus store .* --wait"):
            build_into_milvus(milvus_store, corpus, tmp_path / "b", embedder, progress=False)
        assert served(client) is None
    order = []
    holder = Lease(client, milvus_store)
    holder.__enter__()

    def second():
        summary = build_into_milvus(milvus_store, corpus, tmp_path / "c", embedder, wait_s=30, progress=False)
        order.append(("built", summary.generation))

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(1.5)
    assert thread.is_alive() and not order  # waiting for the lease
    order.append(("released", None))
    holder.__exit__(None, None, None)
    thread.join(60)
    assert order == [("released", None), ("built", "000001")]


def test_a_lease_whose_builder_stopped_renewing_is_taken_over(milvus_store):
    client = connect(parse_address(milvus_store))
    stalled = Lease(client, milvus_store, ttl_s=6).__enter__()  # long enough for a loaded machine
    stalled._stop.set()  # its builder hangs: no more renewals
    stalled._renewer.join()
    with pytest.raises(BuildBusy):
        Lease(client, milvus_store).__enter__()  # not yet expired
    time.sleep(max(0.0, stalled._holder()[1] - time.time()) + 0.2)
    with Lease(client, milvus_store) as taker:
        assert taker.held() and not stalled.held()
        with pytest.raises(BuildBusy, match="lost"):
            stalled.check()  # the stalled builder would not publish


def test_cli_index_ask_and_status_with_a_milvus_store(tmp_path, milvus_store, monkeypatch, capsys):
    from index.cli import main

    corpus = write(tmp_path / "corpus", dict(ARTICLES))
    common = ["--corpus", corpus, "--model", "hash:64"]
    monkeypatch.setenv("FOOTNOTE_STORE", milvus_store)
    assert main([str(a) for a in ["index", "--quiet", "--index", tmp_path / "builder", *common]]) == 0
    assert "in generation 000001" in capsys.readouterr().out
    nowhere = tmp_path / "no-index-here"  # serving needs no local files
    question = "How much will the Larkspur Line cost?"
    assert main([str(a) for a in ["ask", "--json", "--index", nowhere, *common, question]]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["citations"][0]["article_id"] == "2025/council-approves-line"
    assert not nowhere.exists()
    assert main([str(a) for a in ["status", "--json", "--index", nowhere, *common]]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["generation"], status["articles"], status["index"]) == ("000001", 4, milvus_store)
    monkeypatch.delenv("FOOTNOTE_STORE")
    assert main(["ask", "--store", "milvus://nowhere", "--model", "hash:64", question]) == 2
    assert "write it as milvus://HOST:PORT" in capsys.readouterr().err


def test_the_api_serves_a_milvus_store_with_no_index_folder(tmp_path, milvus_store):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.conftest import make_corpus, make_settings

    corpus = make_corpus(tmp_path / "corpus")
    build_into_milvus(milvus_store, corpus, tmp_path / "builder", HashingEmbedder(64), params=ChunkParams(128),
                      progress=False)
    build_index(corpus, tmp_path / "local", HashingEmbedder(64), ChunkParams(128), progress=False)
    body = {"question": "Why did tunnel workers strike?", "k": 3, "as_of": "2026-06-01"}
    answers = []
    for settings in (make_settings(tmp_path, index=tmp_path / "local"),
                     make_settings(tmp_path, index=tmp_path / "empty", store=milvus_store)):
        with TestClient(create_app(settings)) as client:
            assert client.get("/readyz").json()["generation"] == "000001"
            got = client.post("/v1/ask", json=body).json()
            answers.append(([c["article_id"] for c in got["citations"]], [q["text"] for q in got["quotes"]]))
    assert answers[0] == answers[1] and answers[0][1]
    assert not (tmp_path / "empty").exists()


def test_two_api_replicas_answer_alike_and_both_follow_the_alias(tmp_path, milvus_store):
    import httpx

    from tests.conftest import live_server, make_corpus

    corpus = make_corpus(tmp_path / "corpus")
    embedder = HashingEmbedder(64)
    build_into_milvus(milvus_store, corpus, tmp_path / "builder", embedder, params=ChunkParams(128), progress=False)
    replicas = [tmp_path / "a", tmp_path / "b"]  # each with an empty corpus folder and no index folder
    for replica in replicas:
        (replica / "corpus").mkdir(parents=True)
    env = {"FOOTNOTE_STORE": milvus_store}
    with live_server(replicas[0], env) as first, live_server(replicas[1], env) as second:
        def ask(base, question):
            got = httpx.post(f"{base}/v1/ask", json={"question": question, "as_of": "2026-06-01"}, timeout=60).json()
            return got["text"], [c["article_id"] for c in got["citations"]], [q["text"] for q in got["quotes"]]

        question = "Why did tunnel workers strike?"
        assert ask(first, question) == ask(second, question) and ask(first, question)[2]
        write(corpus, {"2026/tram.txt": article_txt("2026-02-01", "The old tram depot will become a museum.")})
        build_into_milvus(milvus_store, corpus, tmp_path / "builder", embedder, params=ChunkParams(128),
                          progress=False)
        for base in (first, second):
            assert httpx.get(f"{base}/readyz").json()["generation"] == "000002"
            assert "2026/tram" in ask(base, "What will the tram depot become?")[1]
    assert not any((r / "index").exists() for r in replicas)
