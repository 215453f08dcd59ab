"""Quotes: the question's sentences scored, the lead and its companions chosen, and the answer
object composed in reading order under numbered citations (or an abstention)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from corpus.dates import date_part
from index.answer.kinds import DATE, NAME, NUMBER, PLACE, answer_type, has_answer_type
from index.answer.types import Answer, Citation, Quote
from index.search import Passage

ABSTAIN_TEXT = "The articles don't cover this."


@dataclass(frozen=True)
class AnswerParams:
    max_quotes: int = 3
    keep_ratio: float = 0.6  # a further quote must score at least this share of the best one
    passage_weight: float = 0.5  # how much a sentence's passage rank counts beside its own scores
    # What a sentence holding what the question asks for is worth, by kind: numbers and dates
    # are rarer in a passage than capitalised words, so finding one says more
    # (bench/tune_answers.py).
    type_weights: dict = field(default_factory=lambda: {NUMBER: 0.6, DATE: 0.6, NAME: 0.3, PLACE: 0.3})
    # With a reader: how many of the best sentences it reads, the share of the lead's
    # probability a further quote needs, and how its judgement and the retriever's score make
    # the probability that a sentence answers (index/answer/reading.py; bench/tune_reader.py).
    reader_candidates: int = 8
    reader_keep: float = 0.1
    # "latest" questions: among read sentences at least this share of the best probability,
    # the newest article's lead (index/answer/reading.py)
    reader_recent_band: float = 0.5
    reader_weights: dict = field(default_factory=lambda: {
        "bias": -2.058, "reader_logit": 0.216, "retriever_score": 0.533, "retriever_first": 0.958,
        "retriever_rank": -1.262})


@dataclass
class Sentence:
    passage: Passage
    start: int  # offsets into the article
    end: int
    text: str
    coverage: float
    cosine: float
    score: float
    reader: float | None = None  # the reader's probability that it answers; None: not read


def best_sentences(passages: list[Passage], question: str, params: AnswerParams = AnswerParams()) -> list[Sentence]:
    """The sentences of the passages (and next to them), scored against the question, best first."""
    if not passages:
        return []
    top = passages[0].score or 1.0
    wanted = answer_type(question)
    asked = set(question.lower().split())
    seen, found = set(), []
    for p in passages:
        for hit in p.sentences:
            key = (p.chunk.article_id, hit.start)
            if key in seen:
                continue  # the overlap sentence of two neighbouring chunks
            seen.add(key)
            score = hit.coverage + hit.cosine + (params.passage_weight * p.score / top if hit.in_passage else 0.0)
            if wanted and has_answer_type(hit.text, wanted, asked):
                score += params.type_weights[wanted]
            found.append(Sentence(p, hit.start, hit.end, hit.text, hit.coverage, hit.cosine, score))
    return sorted(found, key=lambda x: -x.score)


def lead_sentence(passages: list[Passage], sentences: list[Sentence]) -> Sentence:
    """The best sentence of the top passage: the answer's first quote."""
    return next((s for s in sentences if s.passage is passages[0]), sentences[0])


def lead_first(passages: list[Passage], lead: Sentence) -> list[Passage]:
    """The passages with the lead sentence's own first: the reader found the answer there."""
    if not passages or lead.passage is passages[0]:
        return passages
    return [lead.passage, *(p for p in passages if p is not lead.passage)]


def compose(question: str, passages: list[Passage], sentences: list[Sentence], confidence: float,
            abstained: bool, generation: str, as_of: dt.date, params: AnswerParams = AnswerParams()) -> Answer:
    """The answer object: quotes in reading order under numbered citations, or an abstention."""
    common = dict(question=question, confidence=round(confidence, 4), passages=passages,
                  generation=generation, as_of=as_of.isoformat(), timings_ms={})
    if abstained:
        related = citations_of(passages, limit=3)
        text = ABSTAIN_TEXT
        if related:
            text += " The closest articles are: " + "; ".join(
                f"{c.title} ({date_part(c.published) or 'undated'})" for c in related) + "."
        return Answer(text=text, abstained=True, quotes=[], citations=[], related=related, **common)
    # The lead quote comes from the top passage, whose rank already weighs its sentences,
    # recency and the conversation; the others are the best-scoring sentences beside it.
    lead = lead_sentence(passages, sentences)
    if lead.reader is None:
        others = [s for s in sentences if s is not lead and s.score >= params.keep_ratio * lead.score]
    else:  # read: a further quote must be likely to answer too
        others = [s for s in sentences if s is not lead and s.reader is not None
                  and s.reader >= params.reader_keep * lead.reader]
    chosen = [lead, *others[:params.max_quotes - 1]]
    citations = citations_of([s.passage for s in chosen])
    number = {c.article_id: c.n for c in citations}
    quotes = sorted((Quote(number[s.passage.chunk.article_id], s.passage.chunk.article_id, s.start,
                           s.end, s.text, round(s.score, 4)) for s in chosen),
                    key=lambda q: (q.n, q.start))
    text = " ".join(f"{q.text} [{q.n}]" for q in quotes)
    return Answer(text=text, abstained=False, quotes=quotes, citations=citations, related=[], **common)


def citations_of(passages: list[Passage], limit: int | None = None) -> list[Citation]:
    """Numbered citations, one per article, in the order the passages name them."""
    citations: dict[str, Citation] = {}
    for p in passages:
        aid = p.chunk.article_id
        if aid not in citations and (limit is None or len(citations) < limit):
            citations[aid] = Citation(len(citations) + 1, aid, p.title, p.published, p.url, p.source,
                                      p.duplicates)
    return list(citations.values())
