"""Answers that hold on news, one test per class of miss found on real news questions:
dates as evidence not walls, a date stated in the question, follow-ups quoting the new
question, the answering sentence over the lede, calibrated abstention, headlines."""

from __future__ import annotations

import datetime as dt

import pytest

from corpus.chunk import ChunkParams
from index.answer import Answerer, AskRequest, QuestionError, Turn
from index.build import build_index
from index.embed import HashingEmbedder
from index.search import Filters, LiveIndex, Retriever
from tests.conftest import article_txt, write

NEWS = {
    # 1. dates as evidence
    "2027/fee.txt": article_txt(
        "2027-02-10", "The port authority will charge a harbour entry fee of 12 dollars per vessel.",
        "The fee starts in March 2027 and applies to every boat longer than ten metres."),
    "2025/radio.txt": article_txt(
        "2025-05-02", "Nadia Ferrow presents the Today programme on Harbour Radio.",
        "She took over the morning show from Colm Pike last spring."),
    "2020/museum.txt": article_txt(
        "2020-01-15", "The maritime museum counted 84,000 visitors in 2019, a record for the museum.",
        "The director credited a new exhibition about lighthouses."),
    "2019/museum-roof.txt": article_txt(
        "2019-06-03", "The maritime museum closed its upper floor while the roof was repaired.",
        "Visitors can still see the ground floor galleries."),
    # 2. a state that changes over time
    "2026/grain-march.txt": article_txt(
        "2026-03-02", "The price of Valley wheat stood at 210 dollars a tonne, traders said.",
        "Dry weather in the north kept farmers cautious."),
    "2026/grain-may.txt": article_txt(
        "2026-05-04", "The price of Valley wheat stood at 236 dollars a tonne, traders said.",
        "Rain in April lifted hopes for the harvest."),
    # 3. a follow-up
    "2026/storm.txt": article_txt(
        "2026-09-14", "The storm swept across Alder State and Birch State over the weekend.",
        "In Alder State, 40,000 homes lost power on Saturday night.",
        "Crews in neighbouring Birch State said 12,500 homes lost power there.",
        "Schools in both states will reopen on Wednesday."),
    # 4. the right article, the wrong sentence
    "2026/stadium.txt": article_txt(
        "2026-08-20", "The city council debated the budget for the new stadium on Tuesday night.",
        "Opponents of the new stadium spoke for three hours about traffic and noise.",
        "Councillors finally agreed to spend 310 million dollars on the stadium."),
    # 6. a headline without a full stop
    "2026/tunnel.md": "---\ndate: 2026-07-01\n---\nTunnel costs climb again\nThe Gorse Tunnel will now cost "
                      "92 million dollars, the transport office said.\n",
}


@pytest.fixture(scope="module")
def answerer(tmp_path_factory):
    root = tmp_path_factory.mktemp("news")
    corpus = write(root / "corpus", NEWS)
    embedder = HashingEmbedder(256)
    build_index(corpus, root / "index", embedder, ChunkParams(64), progress=False)
    return Answerer(Retriever(LiveIndex(root / "index", embedder.name), embedder), threshold=0.3,
                    today=lambda: dt.date(2027, 6, 1))


def lead(answer):
    """The first quote by rank (the answer shows its quotes in reading order)."""
    return max(answer.quotes, key=lambda q: q.score)


def test_an_event_date_is_evidence_not_a_wall(answerer):
    fee = answerer.answer(AskRequest("How much is the harbour entry fee that starts in March 2027?"))
    assert not fee.abstained and fee.citations[0].article_id == "2027/fee"  # published a month before
    assert any("12 dollars" in q.text for q in fee.quotes)
    visitors = answerer.answer(AskRequest("How many visitors did the maritime museum have in 2019?"))
    assert visitors.citations[0].article_id == "2020/museum"  # published the year after
    assert any("84,000" in q.text for q in visitors.quotes)


def test_a_name_with_a_time_word_is_not_a_time(answerer):
    answer = answerer.answer(AskRequest("Who presents the Today programme on Harbour Radio?"))
    assert not answer.abstained and any("Nadia Ferrow" in q.text for q in answer.quotes)


def test_a_date_stated_in_the_question_is_its_as_of(answerer):
    april = answerer.answer(AskRequest("As of 3 April 2026, what is the price of Valley wheat?"))
    assert april.as_of == "2026-04-03" and april.citations[0].article_id == "2026/grain-march"
    assert "210 dollars" in lead(april).text
    june = answerer.answer(AskRequest("It's June 1, 2026. What is the price of Valley wheat?"))
    assert june.citations[0].article_id == "2026/grain-may" and "236 dollars" in lead(june).text


@pytest.mark.parametrize("question", [
    "As of 1 January 0001, what happened yesterday?", "It's January 1, 0001. What happened last week?",
    "Today is 1 January 0001. What is the price of Valley wheat?", "As of 9999-12-31, what happens tomorrow?",
    "What happened in January 0000?", "What did wheat cost in Q4 0000?"])
def test_a_stated_date_no_collection_reaches_is_not_taken_as_the_as_of(answerer, question):
    """Year 1 or 9999 would overflow "yesterday" or "tomorrow": such a statement is read as words,
    and the question is answered as of today."""
    answer = answerer.answer(AskRequest(question))
    assert answer.as_of == answerer.today().isoformat()


@pytest.mark.parametrize("field", ["as_of", "published_after", "published_before"])
def test_an_as_of_or_filter_date_out_of_range_is_refused_with_the_range(answerer, field):
    day = dt.date(1, 1, 1)
    request = (AskRequest("What happened yesterday?", as_of=day) if field == "as_of" else
               AskRequest("What happened yesterday?", filters=Filters(**{field: day})))
    with pytest.raises(QuestionError, match=rf"{field}=0001-01-01 is out of range; give a date from 1000-01-01"):
        answerer.answer(request)


def test_a_question_about_a_state_wants_the_newest_report(answerer):
    answer = answerer.answer(AskRequest("What is the price of Valley wheat?"))  # no "latest"
    assert answer.citations[0].article_id == "2026/grain-may"
    assert "236 dollars" in lead(answer).text


def test_a_follow_up_quotes_what_the_new_question_asks(answerer):
    history = (Turn("How many homes lost power in Alder State after the storm?", ("2026/storm",)),)
    answer = answerer.answer(AskRequest("And in Birch State, how many?", history=history))
    assert not answer.abstained and "12,500" in lead(answer).text


def test_the_sentence_that_answers_beats_the_lede(answerer):
    answer = answerer.answer(AskRequest("How much will the city spend on the new stadium?"))
    assert "310 million dollars" in lead(answer).text


def test_the_answer_beyond_the_best_passage_is_found_in_its_article(tmp_path):
    filler = [f"Residents of the Marram district wrote {n} letters about the council plan this week." for n in
              ("nine", "ten", "eleven", "twelve", "many more")]
    corpus = write(tmp_path / "c", {"long.txt": article_txt(
        "2026-02-01", "The Marram district council met about the plan to rebuild the old pier.", *filler,
        "Work on the pier will begin on 4 May, the engineer said.")})
    embedder = HashingEmbedder(256)
    build_index(corpus, tmp_path / "i", embedder, ChunkParams(40), progress=False)
    answerer = Answerer(Retriever(LiveIndex(tmp_path / "i", embedder.name), embedder), threshold=0.0)
    answer = answerer.answer(AskRequest("When will work on the Marram district pier plan begin?"))
    assert any("4 May" in q.text for q in answer.quotes)


def test_an_uncovered_name_lowers_the_confidence(answerer):
    covered = answerer.answer(AskRequest("How many homes lost power in Birch State?"))
    uncovered = answerer.answer(AskRequest("How many homes lost power in Cedar State?"))
    assert covered.features["names_in_passage"] == 1.0 and uncovered.features["names_in_passage"] < 0.5
    assert uncovered.confidence < covered.confidence


def test_a_headline_is_not_glued_to_the_quote(answerer):
    answer = answerer.answer(AskRequest("How much will the Gorse Tunnel cost?"))
    assert lead(answer).text.startswith("The Gorse Tunnel will now cost 92 million dollars")
