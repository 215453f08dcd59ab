"""The Answerer: a question in, an Answer out, on the generation current when it starts."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from index.answer.confidence import READER_WEIGHTS, WEIGHTS, reader_signals, score as confidence_score, signals
from index.answer.quotes import AnswerParams, Sentence, best_sentences, compose, lead_first, lead_sentence
from index.answer.reading import read
from index.answer.types import Answer, AskRequest, Turn, check_request
from index.search import Filters, Passage, Query, Retriever, TermWeights, content_terms
from index.search.when import TimeIntent, read_time

# Abstain below this confidence (index/answer/confidence.py; the sweep is in docs/quality.md):
# at 0.5 it declines 2.5% of answerable SQuAD and 3.4% of answerable news dev questions.
THRESHOLD = 0.5
# Words that ask without saying what about: a follow-up of only these leans on the history.
_GENERIC = frozenset("say says said tell told think thinks thought mean means meant happen happens happened "
                     "make makes making made get gets getting got go goes going went come comes coming came "
                     "take takes taking took else next".split())


@dataclass(frozen=True)
class Draft:
    """A question's retrieval, before the answer is chosen."""

    question: str
    history: tuple[str, ...]  # the earlier questions of the conversation
    query: Query
    passages: list[Passage]
    sentences: list[Sentence]  # of the top passages, best first by the retriever's scores
    generation: object
    as_of: dt.date


class Answerer:
    """Turns a question into an Answer, on the generation current when it starts."""

    def __init__(self, retriever: Retriever, threshold: float = THRESHOLD, today=dt.date.today,
                 params: AnswerParams = AnswerParams(), reader=None):
        self.retriever = retriever
        self.threshold = threshold
        self.today = today
        self.params = params
        self.reader = reader  # index.reader.OnnxReader, or None: the retriever's choice alone

    def answer(self, request: AskRequest) -> Answer:
        with self.retriever.lane.inside():  # threads take turns through the Python (index/search/lane.py)
            return self._answer(request)

    def _answer(self, request: AskRequest) -> Answer:
        started = time.perf_counter()
        draft = self.draft(request)
        retrieved = time.perf_counter()
        passages, sentences, query = draft.passages, draft.sentences, draft.query
        focus = query.focus or query.text
        weights = WEIGHTS
        if self.reader is not None and sentences:
            with self.retriever.lane.outside():  # the reader's model runs beside other questions
                sentences = read(self.reader, draft.question, draft.history, passages, sentences, self.params,
                                 query.prefer_recent)
            passages = lead_first(passages, sentences[0])
            weights = READER_WEIGHTS
        features = {}
        if passages and sentences:
            lead = lead_sentence(passages, sentences)
            features = signals(focus, passages, lead, TermWeights.of(draft.generation), query.when)
            if self.reader is not None:
                features |= reader_signals(sentences)
        confidence = confidence_score(features, weights) if features else 0.0
        abstained = confidence < self.threshold or not sentences
        answer = compose(draft.question, passages, sentences, confidence, abstained, draft.generation.name,
                         draft.as_of, self.params)
        answer.features = features
        done = time.perf_counter()
        answer.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "answer": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        return answer

    def draft(self, request: AskRequest) -> Draft:
        """What an answer is chosen from: the passages, and their sentences scored by the
        retriever, best first (the reader's candidates, and its training data)."""
        question = check_request(request)
        generation = self.retriever.live.current()
        intent = read_time(question, request.as_of or self.today())
        as_of = intent.as_of or request.as_of or self.today()
        query = self.query(request, question, intent)
        passages = self.retriever.search(generation, query, k=request.k)
        focus = query.focus or query.text
        sentences = best_sentences(passages[:self.retriever.params.quote_passages], focus, self.params)
        history = tuple(t if isinstance(t, str) else t.question for t in request.history)
        return Draft(question, history, query, passages, sentences, generation, as_of)

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
