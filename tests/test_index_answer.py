"""Answers: verbatim quotes, citations, abstention, dates, follow-ups, duplicate collapse."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus import Chunk
from corpus.chunk import ChunkParams
from index.answer import ABSTAIN_TEXT, Answerer, AskRequest, QuestionError, Turn
from index.build import build_index
from index.embed import HashingEmbedder
from index.search import Filters, LiveIndex, Retriever
from index.search.types import Passage
from tests.conftest import article_txt, write

NEWS = {
    "2026/budget-jan.txt": article_txt(
        "2026-01-10", "The harbour bridge repair budget was set at 40 million dollars by the council.",
        "Engineer Mara Quill said the steel cables were corroded. She expects work to take a year."),
    "2026/budget-jun.txt": article_txt(
        "2026-06-20", "The harbour bridge repair budget rose to 55 million dollars after new inspections.",
        "Engineer Mara Quill said the deck also needs replacing."),
    "2026/ferry.md": "---\ntitle: Ferry fares frozen\ndate: 2026-03-05\nsource: Bay Times\n---\n"
                     "The ferry operator froze fares for the year. Commuters welcomed the decision.\n\n"
                     "The operator's chief, Tom Reyes, said fuel prices had eased.",
    "2026/ferry-copy.md": "---\ntitle: Ferry operator freezes fares\ndate: 2026-03-05\nsource: Coast Wire\n---\n"
                          "The ferry operator froze fares for the year. Commuters welcomed the decision.\n\n"
                          "The operator's chief, Tom Reyes, said that fuel prices had eased.",
    "2025/library.txt": article_txt(
        "2025-11-02", "The city library opened a new reading room for children in November.",
        "Librarian Ada Brook said the room holds four thousand books."),
}


@pytest.fixture(scope="module")
def answerer(tmp_path_factory):
    root = tmp_path_factory.mktemp("answers")
    corpus = write(root / "corpus", NEWS)
    embedder = HashingEmbedder(256)
    build_index(corpus, root / "index", embedder, ChunkParams(40), progress=False)
    retriever = Retriever(LiveIndex(root / "index", embedder.name), embedder)
    return Answerer(retriever, threshold=0.3, today=lambda: dt.date(2026, 11, 24))


def article_text(answerer, article_id):
    return answerer.retriever.live.current().article(article_id).text


def assert_verbatim(answerer, answer):
    for quote in answer.quotes:
        assert article_text(answerer, quote.article_id)[quote.start:quote.end] == quote.text
        assert quote.n in {c.n for c in answer.citations}
    for p in answer.passages:
        assert article_text(answerer, p.chunk.article_id)[p.chunk.start:p.chunk.end] == p.chunk.text


def test_an_answer_quotes_verbatim_with_numbered_dated_citations(answerer):
    answer = answerer.answer(AskRequest("Who is the librarian of the city library reading room?"))
    assert not answer.abstained
    assert any("Ada Brook" in q.text for q in answer.quotes)
    assert_verbatim(answerer, answer)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.citations[0].published == "2025-11-02"
    assert all(f"[{q.n}]" in answer.text and q.text in answer.text for q in answer.quotes)
    assert set(answer.timings_ms) == {"retrieve", "answer", "total"} and 0 <= answer.confidence <= 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("harbour bridge budget ferry fares library room Quill Reyes cables "
                                "deck steel commuters children books fuel what who when how much".split()),
                min_size=1, max_size=8))
def test_quotes_are_always_exact_slices_of_their_articles(answerer, words):
    answer = answerer.answer(AskRequest(" ".join(words) + "?", k=8))
    assert_verbatim(answerer, answer)
    assert len(answer.quotes) <= 3
    if answer.abstained:
        assert answer.quotes == [] and answer.citations == [] and answer.text.startswith(ABSTAIN_TEXT)


def test_questions_the_articles_never_mention_are_declined(answerer):
    answer = answerer.answer(AskRequest("What is the population of Zanzibar?"))
    assert answer.abstained and answer.quotes == [] and answer.text.startswith(ABSTAIN_TEXT)


def test_latest_prefers_the_newer_of_two_articles(answerer):
    answer = answerer.answer(AskRequest("What is the latest harbour bridge repair budget?"))
    assert answer.quotes[0].article_id == "2026/budget-jun"
    assert "55 million" in answer.quotes[0].text
    plain = answerer.answer(AskRequest("What was the harbour bridge repair budget set by the council?"))
    assert plain.citations[0].article_id == "2026/budget-jan"


def test_as_of_hides_later_articles_and_sets_the_clock(answerer):
    answer = answerer.answer(AskRequest("What is the latest harbour bridge repair budget?",
                                        as_of=dt.date(2026, 2, 1)))
    assert {p.chunk.article_id for p in answer.passages} <= {"2026/budget-jan", "2025/library"}
    assert "40 million" in answer.quotes[0].text and answer.as_of == "2026-02-01"


def test_date_words_lift_articles_of_that_time_and_filters_narrow_them(answerer):
    answer = answerer.answer(AskRequest("What happened to fares in March 2026?"))
    assert answer.passages[0].published == "2026-03-05"
    last_year = answerer.answer(AskRequest("What opened last year?"))
    assert last_year.passages[0].chunk.article_id == "2025/library"
    published = answerer.answer(AskRequest("Which articles from March 2026 mention fares?"))
    assert {p.published for p in published.passages} == {"2026-03-05"}  # about publication: a filter
    by_source = answerer.answer(AskRequest("ferry fares", filters=Filters(sources=("Coast Wire",))))
    assert {p.source for p in by_source.passages} == {"Coast Wire"}
    window = answerer.answer(AskRequest("bridge budget", filters=Filters(
        published_after=dt.date(2026, 6, 1), published_before=dt.date(2026, 6, 30))))
    assert {p.chunk.article_id for p in window.passages} == {"2026/budget-jun"}
    nothing = answerer.answer(AskRequest("bridge budget", filters=Filters(article_ids=("no/such",))))
    assert nothing.abstained and nothing.passages == []


def test_syndicated_copies_collapse_into_one_passage_listing_the_copy(answerer):
    answer = answerer.answer(AskRequest("Why did the ferry operator freeze fares?", k=5))
    ferry = [p for p in answer.passages if p.chunk.article_id.startswith("2026/ferry")]
    assert len(ferry) == 1
    other = {"2026/ferry", "2026/ferry-copy"} - {ferry[0].chunk.article_id}
    assert ferry[0].duplicates == tuple(other)


def test_a_follow_up_uses_the_history(answerer):
    """The same follow-up is answered from the article the conversation was about."""
    question = "What did the engineer say about it?"
    june = answerer.answer(AskRequest(question, history=(
        Turn("How far did the repair budget rise in June?", ("2026/budget-jun",)),)))
    january = answerer.answer(AskRequest(question, history=(
        Turn("What was the repair budget set at in January?", ("2026/budget-jan",)),)))
    assert june.citations[0].article_id == "2026/budget-jun" and any("deck" in q.text for q in june.quotes)
    assert january.citations[0].article_id == "2026/budget-jan"
    assert any("corroded" in q.text for q in january.quotes)


def test_per_article_cap(tmp_path):
    long = article_txt("2026-03-01", *(f"The harbour bridge repair crew replaced cable number {n} this week."
                                       for n in range(1, 13)))
    corpus = write(tmp_path / "c", {"long.txt": long, "short.txt": article_txt(
        "2026-03-02", "A short note on the harbour bridge cables.")})
    embedder = HashingEmbedder(128)
    build_index(corpus, tmp_path / "i", embedder, ChunkParams(24), progress=False)
    answerer = Answerer(Retriever(LiveIndex(tmp_path / "i", embedder.name), embedder), threshold=0.0)

    def from_long(cap: int) -> int:
        answer = answerer.answer(AskRequest("harbour bridge cable replaced", k=10, max_per_article=cap))
        return sum(p.chunk.article_id == "long" for p in answer.passages)

    assert from_long(10) > 2  # the long article has passages to spare...
    assert from_long(2) == 2  # ...and the cap keeps two of them


@pytest.mark.parametrize("question, k, message", [
    ("   ", 5, "question is empty"), ("x" * 2001, 5, "2001 characters"), ("fine", 0, "k=0"), ("fine", 51, "k=51")])
def test_bad_questions_are_refused_with_the_reason(answerer, question, k, message):
    with pytest.raises(QuestionError, match=message):
        answerer.answer(AskRequest(question, k=k))


def test_undated_articles_pass_windows_read_from_words_but_not_explicit_ones(tmp_path):
    corpus = write(tmp_path / "c", {"undated.txt": "The lighthouse keeper retired in 2015 after forty years.\n",
                                    "dated.txt": article_txt("2015-06-01", "The lighthouse was painted red.")})
    embedder = HashingEmbedder(128)
    build_index(corpus, tmp_path / "i", embedder, ChunkParams(40), progress=False)
    answerer = Answerer(Retriever(LiveIndex(tmp_path / "i", embedder.name), embedder), threshold=0.0)
    worded = answerer.answer(AskRequest("When did the lighthouse keeper retire in 2015?"))
    assert {p.chunk.article_id for p in worded.passages} == {"undated", "dated"}
    explicit = answerer.answer(AskRequest("When did the lighthouse keeper retire?", filters=Filters(
        published_after=dt.date(2015, 1, 1), published_before=dt.date(2015, 12, 31))))
    assert {p.chunk.article_id for p in explicit.passages} == {"dated"}


def test_a_passage_made_the_fast_way_is_the_dataclass_passage_with_every_field():
    chunk = Chunk("a1", 0, 0, 11, "Hello world")
    made = Passage(chunk, 0.5, "Title", "1987-03-02", "https://example.org/a1", "Wire", chunk_id=7, dense_rank=2,
                   lexical_rank=1)
    found = Passage.found(chunk, 0.5, "Title", "1987-03-02", "https://example.org/a1", "Wire", 7, 2, 1)
    assert found == made and hash(found) == hash(made)
    assert vars(found) == vars(made)  # a field added to Passage must be set by `found` too


def test_answering_threads_take_turns_through_their_python_but_encode_side_by_side(tmp_path, monkeypatch):
    """index/search/lane.py: four threads answer at once; their encodings overlap (each waits at
    a barrier for another to be encoding too, which fails if they take turns there), while the
    Python after the encoding (BM25 here) is never run by two threads at once; the answers are
    those one thread gives."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from index.store import Generation

    corpus = write(tmp_path / "corpus", NEWS)
    inner = HashingEmbedder(256)
    build_index(corpus, tmp_path / "index", inner, ChunkParams(40), progress=False)
    together = threading.Barrier(2, timeout=10)

    class MeetingEmbedder:
        name, dimension = inner.name, inner.dimension

        def encode(self, texts):
            if threading.current_thread() is not threading.main_thread():
                together.wait()  # BrokenBarrierError if no other thread can reach its encoding
            return inner.encode(texts)

    answerer = Answerer(Retriever(LiveIndex(tmp_path / "index", inner.name), MeetingEmbedder()), threshold=0.3,
                        today=lambda: dt.date(2026, 11, 24))
    questions = ["What was the bridge budget?", "Why were ferry fares frozen?", "What did the library open?",
                 "Who is the ferry operator's chief?"] * 2
    alone = [answerer.answer(AskRequest(q)).as_dict()["quotes"] for q in questions]
    busy, most = [0], [0]
    lexical, count = Generation.lexical, threading.Lock()

    def watched(self, *args, **kwargs):
        with count:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        try:
            return lexical(self, *args, **kwargs)
        finally:
            with count:
                busy[0] -= 1

    monkeypatch.setattr(Generation, "lexical", watched)
    with ThreadPoolExecutor(4) as pool:
        side_by_side = list(pool.map(lambda q: answerer.answer(AskRequest(q)).as_dict()["quotes"], questions))
    assert side_by_side == alone and any(alone)
    assert most[0] == 1
