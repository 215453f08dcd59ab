"""The Answerer: a question in, an Answer out, on the generation current when it starts."""

from __future__ import annotations

import datetime as dt
import time

from index.answer.confidence import score as confidence_score, signals
from index.answer.quotes import AnswerParams, best_sentences, compose, lead_sentence
from index.answer.types import Answer, AskRequest, Turn, check_request
from index.search import Filters, Query, Retriever, TermWeights, content_terms
from index.search.when import TimeIntent, read_time

# Abstain below this confidence (index/answer/confidence.py; the sweep is in docs/quality.md):
# at 0.5 it declines 2.5% of answerable SQuAD and 3.4% of answerable news dev questions.
THRESHOLD = 0.5
# Words that ask without saying what about: a follow-up of only these leans on the history.
_GENERIC = frozenset("say says said tell told think thinks thought mean means meant happen happens happened "
                     "make makes making made get gets getting got go goes going went come comes coming came "
                     "take takes taking took else next".split())


class Answerer:
    """Turns a question into an Answer, on the generation current when it starts."""

    def __init__(self, retriever: Retriever, threshold: float = THRESHOLD, today=dt.date.today,
                 params: AnswerParams = AnswerParams()):
        self.retriever = retriever
        self.threshold = threshold
        self.today = today
        self.params = params

    def answer(self, request: AskRequest) -> Answer:
        started = time.perf_counter()
        question = check_request(request)
        generation = self.retriever.live.current()
        intent = read_time(question, request.as_of or self.today())
        as_of = intent.as_of or request.as_of or self.today()
        query = self.query(request, question, intent)
        passages = self.retriever.search(generation, query, k=request.k)
        retrieved = time.perf_counter()
        focus = query.focus or query.text
        sentences = best_sentences(passages[:self.retriever.params.quote_passages], focus, self.params)
        features = {}
        if passages and sentences:
            features = signals(focus, passages, lead_sentence(passages, sentences), TermWeights.of(generation),
                               query.when)
        confidence = confidence_score(features) if features else 0.0
        abstained = confidence < self.threshold or not sentences
        answer = compose(question, passages, sentences, confidence, abstained, generation.name, as_of, self.params)
        answer.features = features
        done = time.perf_counter()
        answer.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "answer": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        return answer

    def query(self, request: AskRequest, question: str, intent: TimeIntent) -> Query:
        """The search for a question: its time words read (`intent`), its conversation added."""
        f = request.filters
        before = _earliest(f.published_before, request.as_of, intent.as_of,
                           intent.before if intent.about_publication else None)
        after = _latest(f.published_after, intent.after if intent.about_publication else None)
        # Only a window read from words about publication lets undated articles through (their
        # date is unknown, not out of range); a window the caller sets does not.
        from_words_only = not (f.published_before or f.published_after or request.as_of or intent.as_of)
        filters = Filters(after, before, f.sources, f.article_ids, undated=from_words_only)
        text = focus = intent.text or question
        turns = [Turn(t) if isinstance(t, str) else t for t in request.history]
        boost: frozenset[str] = frozenset()
        if turns:  # a conversation: the earlier question is context for the search
            previous = turns[-1]
            text = f"{previous.question} {text}"
            boost = frozenset(previous.article_ids)
            if not [t for t in content_terms(focus) if t not in _GENERIC]:
                focus = text  # "what did she say about it?": its own words cannot pick a quote
        return Query(text=text, filters=filters, prefer_recent=intent.prefer_recent, boost_articles=boost,
                     max_per_article=request.max_per_article, focus=focus if focus != text else None,
                     when=None if intent.about_publication else intent.window)


def _earliest(*days: dt.date | None) -> dt.date | None:
    return min((d for d in days if d), default=None)


def _latest(*days: dt.date | None) -> dt.date | None:
    return max((d for d in days if d), default=None)
