"""Gaps: declined questions and 👎 answers kept in a real SQLite file, grouped by topic with the
index's embedder, each server's kept apart, and closed by themselves once a newer index answers them."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from index.answer import AskRequest
from index.assemble import open_answerer
from index.embed import HashingEmbedder
from index.gaps import GapStore, Gaps, Place, group_questions, record_answer
from tests.conftest import make_corpus, make_index, write

POOL = ["When does the swimming pool reopen?", "When does the swimming pool reopen after the repairs?",
        "when will the swimming pool reopen"]
ZOO = ["How much is a ticket to the zoo?", "How much is a zoo ticket for children?"]
CHESS = "Who won the chess tournament?"
POOL_ARTICLE = ("---\ntitle: Swimming pool reopens\ndate: 2026-06-01\n---\nThe swimming pool reopens on the third of "
                "June after repairs to its roof. Swimming lessons start again in July.\n")
A, B = 111, 222  # two Discord servers


@pytest.fixture
def world(tmp_path):
    """A small index, an answerer over it (the model-free embedder) and the gap store beside it."""
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    answerer = open_answerer(tmp_path / "index", HashingEmbedder(64), threshold=0.3)
    store = GapStore.beside(tmp_path / "index")
    yield tmp_path, answerer, store
    store.close()


def ask_and_keep(answerer, store, question, origin="api", **where):
    return record_answer(store, answerer.answer(AskRequest(question)), origin, **where)


def test_declined_questions_are_kept_and_grouped_by_topic(world):
    _, answerer, store = world
    for q in [*POOL, *ZOO, CHESS]:
        assert ask_and_keep(answerer, store, q) is not None
    assert ask_and_keep(answerer, store, "How long is the Larkspur Line?") is None  # answered: no gap
    gaps = Gaps(store, answerer).list()
    assert [sorted(q["question"] for q in g.questions) for g in gaps] == [sorted(POOL), sorted(ZOO), [CHESS]]
    pool = gaps[0]
    assert pool.count == 3 and pool.label in POOL and not pool.closed
    assert pool.last_asked >= pool.first_asked
    assert all(q["origin"] == "api" and q["kind"] == "declined" for q in pool.questions)


def test_grouping_is_deterministic_and_cuts_at_the_similarity():
    vectors = HashingEmbedder(64).encode([*POOL, *ZOO, CHESS])
    assert group_questions(vectors) == group_questions(vectors.copy()) == [[0, 1, 2], [3, 4], [5]]
    assert group_questions(vectors, similarity=0.99) == [[i] for i in range(6)]
    assert group_questions(vectors, similarity=-1.0) == [[0, 1, 2, 3, 4, 5]]
    assert group_questions(vectors[:0]) == []


def test_a_gap_closes_once_new_articles_answer_it(world):
    tmp, answerer, store = world
    for q in POOL[:2]:
        ask_and_keep(answerer, store, q)
    ask_and_keep(answerer, store, ZOO[0])
    gaps = Gaps(store, answerer)
    assert [g.count for g in gaps.list()] == [2, 1]  # the same index: nothing is answered yet
    assert all(r.closed_at is None for r in store.rows())

    write(tmp / "corpus", {"2026/pool.md": POOL_ARTICLE})
    make_index(tmp / "corpus", tmp / "index")
    [zoo] = gaps.list()  # the pool's gap closed; the zoo's is still open
    assert zoo.label == ZOO[0]
    [_, pool] = gaps.list(closed=True)  # open gaps first
    assert pool.closed and pool.closed_by == "2026/pool" and pool.count == 2
    closed = [r for r in store.rows() if r.closed_at]
    assert {r.question for r in closed} == set(POOL[:2]) and {r.closed_generation for r in closed} == {"000002"}

    ask_and_keep(answerer, store, "Is the zoo open on Mondays and how much is a zoo ticket?")
    assert gaps.list()[0].count == 2  # still open: the new question joined the zoo's gap


def test_a_thumbs_down_closes_only_on_an_article_it_did_not_cite(world):
    tmp, answerer, store = world
    answer = answerer.answer(AskRequest("How long is the Larkspur Line?"))
    assert not answer.abstained
    record_answer(store, answer, "discord", kind="down", guild_id=A, answer_id=7)
    assert record_answer(store, answer, "discord", kind="down", guild_id=A, answer_id=7) is None  # once per answer
    write(tmp / "corpus", {"2026/pool.md": POOL_ARTICLE})
    make_index(tmp / "corpus", tmp / "index")  # a new generation, which answers it as before
    [gap] = Gaps(store, answerer).list()
    assert not gap.closed and gap.questions[0]["kind"] == "down"


def test_each_server_sees_only_its_own_and_shared_lists_leave_private_ones_out(world):
    _, answerer, store = world
    ask_and_keep(answerer, store, POOL[0], "discord", guild_id=A)
    ask_and_keep(answerer, store, POOL[1], "discord", guild_id=B)
    ask_and_keep(answerer, store, POOL[2], "discord", guild_id=A, private=True)
    ask_and_keep(answerer, store, ZOO[0], "web")
    gaps = Gaps(store, answerer)
    only_a = [q["question"] for g in gaps.list(Place(guild=A)) for q in g.questions]
    assert sorted(only_a) == sorted([POOL[0], POOL[2]])
    shared_a = [q["question"] for g in gaps.list(Place(guild=A, shared=True)) for q in g.questions]
    assert shared_a == [POOL[0]]
    assert [q["question"] for g in gaps.list(Place(guild=B)) for q in g.questions] == [POOL[1]]
    assert sum(g.count for g in gaps.list()) == 4  # the operator's view: everything


def test_since_and_prune_and_forget(world):
    _, answerer, store = world
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)
    store.record(POOL[0], "declined", "discord", guild_id=A, answer_id=1, at=old)
    store.record(POOL[1], "declined", "discord", guild_id=A, answer_id=2)
    store.record(ZOO[0], "declined", "web", at=old)
    gaps = Gaps(store, answerer)
    week = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7)
    assert [q["question"] for g in gaps.list(since=week) for q in g.questions] == [POOL[1]]
    assert store.prune(7, "discord") == 1 and len(store.rows()) == 2  # the web's old row stays
    assert store.forget_answers([2]) == 1 and [r.question for r in store.rows()] == [ZOO[0]]


def test_a_file_from_before_the_closing_columns_is_brought_up_to_date(tmp_path):
    with sqlite3.connect(tmp_path / "gaps.sqlite") as db:
        db.execute("CREATE TABLE asked (id INTEGER PRIMARY KEY, question TEXT NOT NULL, kind TEXT NOT NULL, "
                   "origin TEXT NOT NULL, guild_id INTEGER, private INTEGER NOT NULL DEFAULT 0, user_id INTEGER, "
                   "answer_id INTEGER, generation TEXT, created_at TEXT NOT NULL)")
        db.execute("INSERT INTO asked (question, kind, origin, created_at) VALUES ('old one?', 'declined', 'api', "
                   "'2026-01-01T00:00:00+00:00')")
    db.close()
    store = GapStore(tmp_path / "gaps.sqlite")
    [row] = store.rows()
    assert row.question == "old one?" and row.closed_at is None and row.related == ()
    store.close_rows([row.id], "2026/x", "000009")
    assert store.rows()[0].closed_by == "2026/x"


def test_unknown_kind_or_origin_is_refused(world):
    _, _, store = world
    with pytest.raises(ValueError, match="kind declined/down from api/web/discord"):
        store.record("q?", "maybe", "api")


@pytest.mark.model
def test_the_chosen_similarity_keeps_topics_apart_with_the_bundled_model(real_embedder):
    """bench/gap_questions.jsonl, grouped at the default similarity: no group mixes two topics,
    and most topics asked several ways stay whole (docs/gaps.md has the sweep)."""
    import json
    from pathlib import Path

    rows = [json.loads(line) for line in (Path(__file__).parents[1] / "bench" / "gap_questions.jsonl").open()]
    groups = group_questions(real_embedder.encode([r["question"] for r in rows]))
    topics = [{rows[i]["topic"] for i in members} for members in groups]
    assert all(len(t) == 1 for t in topics), topics
    asked_often = {r["topic"] for r in rows if sum(x["topic"] == r["topic"] for x in rows) > 1}
    whole = [t for t in asked_often if sum(t in g for g in topics) == 1]
    assert len(whole) >= len(asked_often) - 3, sorted(asked_often - set(whole))


def test_each_question_is_embedded_once_per_model(world):
    _, answerer, store = world
    for q in POOL:
        ask_and_keep(answerer, store, q)
    embedder = answerer.retriever.embedder
    calls = []
    encode = embedder.encode
    embedder.encode = lambda texts: calls.append(list(texts)) or encode(texts)
    try:
        first = Gaps(store, answerer).list()
        ask_and_keep(answerer, store, ZOO[0])
        calls.clear()
        second = Gaps(store, answerer).list()
    finally:
        del embedder.encode
    assert [ZOO[0]] in calls and all(POOL[0] not in c for c in calls)  # only the new question
    assert [g.label for g in first] == [g.label for g in second if g.count > 1]


def test_a_store_nobody_wrote_to_leaves_no_file(tmp_path):
    store = GapStore.beside(tmp_path / "nowhere")
    assert store.rows() == [] and store.prune(1, "discord") == 0 and store.forget_answers([1]) == 0
    assert not (tmp_path / "nowhere").exists()
    store.record("q?", "declined", "api")
    assert (tmp_path / "nowhere" / "gaps.sqlite").is_file() and len(store.rows()) == 1
    store.close()
