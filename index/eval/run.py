"""Answering a questions file as a chat would, and recording what the metrics need."""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from tqdm import tqdm

from index.answer import Answerer, AskRequest, QuestionError, Turn
from index.eval.metrics import Record
from index.eval.outcomes import Outcome
from index.eval.questions import Question, QuestionsError
from index.search import MAX_PER_ARTICLE, Filters

TOP_K = 10  # passages per question: enough for recall@10 and MRR@10


def answer_all(answerer: Answerer, questions: list[Question], progress: bool = True,
               per_article: int = MAX_PER_ARTICLE) -> list[Outcome]:
    """Answer every question and record what the metrics and the details need."""
    articles: dict[str, str | None] = {}
    outcomes = []
    if questions:
        ask(answerer, questions[0], (), per_article)  # loads the model and the term weights: not timed
    for question in tqdm(questions, desc="answering", unit="question", disable=not progress, file=sys.stderr):
        history = conversation(answerer, question, per_article)
        started = time.perf_counter()
        answer = ask(answerer, question, history, per_article).as_dict()
        latency_ms = (time.perf_counter() - started) * 1000
        record = to_record(question, answer, latency_ms, lambda aid: _article_text(answerer, articles, aid))
        outcomes.append(Outcome(question.id, question.question, question.kind, question.history,
                                question.as_of.isoformat() if question.as_of else None, record, answer,
                                question.style))
    return outcomes


def conversation(answerer: Answerer, question: Question, per_article: int) -> tuple[Turn, ...]:
    """The history as a chat would have it: each earlier question answered in turn, its cited
    articles passed on to the next."""
    turns: list[Turn] = []
    for earlier in question.history:
        answer = ask(answerer, replace(question, question=earlier), tuple(turns), per_article)
        turns.append(Turn(earlier, tuple(c.article_id for c in answer.citations)))
    return tuple(turns)


def ask(answerer: Answerer, question: Question, history: tuple[Turn, ...], per_article: int = MAX_PER_ARTICLE):
    """The answer to one question of a questions file, after `history` (see `conversation`)."""
    try:
        return answerer.answer(request_for(question, history, per_article))
    except QuestionError as exc:
        raise QuestionsError(f"question {question.id!r} cannot be asked: {exc}") from None


def request_for(question: Question, history: tuple[Turn, ...], per_article: int = MAX_PER_ARTICLE) -> AskRequest:
    """The request `footnote eval` makes for a question of a questions file."""
    return AskRequest(question=question.question, history=history,
                      as_of=question.as_of, filters=Filters(), k=TOP_K, max_per_article=per_article)


def _article_text(answerer: Answerer, cache: dict, article_id: str) -> str | None:
    if article_id not in cache:
        article = answerer.retriever.live.current().article(article_id)
        cache[article_id] = article.text if article else None
    return cache[article_id]


def to_record(question: Question, answer: dict, latency_ms: float, article_text) -> Record:
    """A Record from a question and its answer's JSON; `article_text(id)` checks the quotes."""
    quotes = []
    for quote in answer["quotes"]:
        text = article_text(quote["article_id"])
        quotes.append((quote["text"], text is not None and text[quote["start"]:quote["end"]] == quote["text"]))
    return Record(id=question.id, answers=question.answers, article_id=question.article_id,
                  passages=tuple((p["article_id"], p["text"]) for p in answer["passages"]),
                  quotes=tuple(quotes), abstained=bool(answer["abstained"]),
                  confidence=float(answer["confidence"]), latency_ms=latency_ms)
