"""Answers: verbatim quotes from the best passages, numbered citations, a confidence, or an
honest abstention when the articles do not cover the question."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import asdict, dataclass, field

from index.generation import Generation, Passage
from index.retrieve import MAX_PER_ARTICLE, Filters, Query, Retriever, content_terms, span_text
from index.when import read_time, without_recency_words

MAX_QUESTION_CHARS = 2000
MAX_K = 50
MAX_QUOTES = 3
QUOTE_PASSAGES = 4  # sentences are drawn from this many top passages
KEEP_RATIO = 0.6  # a further quote must score at least this share of the best one
PASSAGE_WEIGHT = 0.5  # how much a sentence's passage rank counts beside its own scores
# Confidence = logistic(BIAS + PASSAGE_COSINE * best passage cosine + COVERAGE * lead sentence
# coverage + SENTENCE_COSINE * lead sentence cosine), fitted by bench/tune_confidence.py on 700
# SQuAD dev questions with 8 articles hidden (AUROC 0.95). At THRESHOLD 0.6 it abstained on
# 78% of the unanswerable questions with precision 0.80, and on 4.6% of the answerable ones.
BIAS, PASSAGE_COSINE, COVERAGE, SENTENCE_COSINE = -3.818, 2.151, 5.067, 3.468
THRESHOLD = 0.6
ABSTAIN_TEXT = "The articles don't cover this."
_ANAPHORA = frozenset("he she him her his hers they them their theirs it its that this those "
                      "these there then same".split())


class QuestionError(ValueError):
    """The question cannot be asked as it is; the message says why and what to do."""


@dataclass(frozen=True)
class Turn:
    """An earlier question in the conversation and the articles its answer cited."""

    question: str
    article_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class AskRequest:
    question: str
    history: tuple[Turn | str, ...] = ()
    as_of: dt.date | None = None
    filters: Filters = field(default_factory=Filters)
    k: int = 5
    max_per_article: int = MAX_PER_ARTICLE


@dataclass
class Quote:
    n: int  # the citation number of its article
    article_id: str
    start: int
    end: int
    text: str
    score: float


@dataclass
class Citation:
    n: int
    article_id: str
    title: str
    published: str | None
    url: str | None
    source: str | None
    duplicates: tuple[str, ...] = ()


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    confidence: float
    quotes: list[Quote]
    citations: list[Citation]
    related: list[Citation]
    passages: list[Passage]
    generation: str
    as_of: str
    timings_ms: dict[str, float]

    def as_dict(self) -> dict:
        """The answer object: what `footnote ask --json`, the API and the bot all use."""
        data = asdict(self)
        data["passages"] = [passage_dict(p) for p in self.passages]
        return data


def passage_dict(p: Passage) -> dict:
    return {"article_id": p.chunk.article_id, "start": p.chunk.start, "end": p.chunk.end,
            "text": p.chunk.text, "score": p.score, "cosine": p.dense, "title": p.title,
            "published": p.published, "url": p.url, "source": p.source,
            "duplicates": list(p.duplicates)}


@dataclass
class _Sentence:
    passage: Passage
    start: int  # offsets into the article
    end: int
    text: str
    coverage: float
    cosine: float
    score: float


class Answerer:
    """Turns a question into an Answer, on the generation current when it starts."""

    def __init__(self, retriever: Retriever, threshold: float = THRESHOLD, today=dt.date.today):
        self.retriever = retriever
        self.threshold = threshold
        self.today = today

    def answer(self, request: AskRequest) -> Answer:
        started = time.perf_counter()
        question = check_request(request)
        generation = self.retriever.live.current()
        as_of = request.as_of or self.today()
        query = self.query(request, question, as_of)
        passages = self.retriever.search(generation, query, k=request.k)
        retrieved = time.perf_counter()
        sentences = best_sentences(passages[:QUOTE_PASSAGES])
        confidence = score_confidence(passages, sentences)
        abstained = confidence < self.threshold or not sentences
        answer = compose(question, passages, sentences, confidence, abstained, generation, as_of)
        done = time.perf_counter()
        answer.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "answer": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        return answer

    def query(self, request: AskRequest, question: str, as_of: dt.date) -> Query:
        """The search for a question: its time words read, its follow-up context added."""
        intent = read_time(question, as_of)
        f = request.filters
        before = _earliest(f.published_before, intent.before, request.as_of)
        after = _latest(f.published_after, intent.after)
        from_words_only = not (f.published_before or f.published_after or request.as_of)
        filters = Filters(after, before, f.sources, f.article_ids, undated=from_words_only)
        text = without_recency_words(question, intent) or question
        turns = [Turn(t) if isinstance(t, str) else t for t in request.history]
        boost: frozenset[str] = frozenset()
        if turns and is_follow_up(text):
            previous = turns[-1]
            text = f"{previous.question} {text}"
            boost = frozenset(previous.article_ids)
        return Query(text=text, filters=filters, prefer_recent=intent.prefer_recent,
                     boost_articles=boost, max_per_article=request.max_per_article)


def _earliest(*days: dt.date | None) -> dt.date | None:
    return min((d for d in days if d), default=None)


def _latest(*days: dt.date | None) -> dt.date | None:
    return max((d for d in days if d), default=None)


def check_question(question: str, k: int) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise QuestionError("the question is empty; ask something, e.g. \"When does the line open?\"")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question)} characters long; keep it under "
                            f"{MAX_QUESTION_CHARS}")
    if not 1 <= k <= MAX_K:
        raise QuestionError(f"k={k} is out of range; ask for 1 to {MAX_K} passages")
    return question


def check_request(request: AskRequest) -> str:
    """The request's question, normalised; QuestionError when the request cannot be answered."""
    if request.max_per_article < 1:
        raise QuestionError(f"max_per_article={request.max_per_article} must be at least 1")
    return check_question(request.question, request.k)


def is_follow_up(question: str) -> bool:
    """A question that leans on the conversation: a pronoun, or too few words of its own."""
    words = [w.lower() for w in question.replace("?", " ").split()]
    return bool(_ANAPHORA.intersection(words)) or len(content_terms(question)) < 3


def best_sentences(passages: list[Passage]) -> list[_Sentence]:
    """The sentences of the passages, scored against the question, best first."""
    if not passages:
        return []
    top = passages[0].score or 1.0
    seen, found = set(), []
    for p in passages:
        for hit in p.sentences:
            key = (p.chunk.article_id, hit.start)
            if key in seen:
                continue  # the overlap sentence of two neighbouring chunks
            seen.add(key)
            score = hit.coverage + hit.cosine + PASSAGE_WEIGHT * p.score / top
            found.append(_Sentence(p, hit.start, hit.end, span_text(p, hit.start, hit.end),
                                   hit.coverage, hit.cosine, score))
    return sorted(found, key=lambda x: -x.score)


def lead_sentence(passages: list[Passage], sentences: list[_Sentence]) -> _Sentence:
    """The best sentence of the top passage: the answer's first quote."""
    return next((s for s in sentences if s.passage is passages[0]), sentences[0])


def score_confidence(passages: list[Passage], sentences: list[_Sentence]) -> float:
    """How likely the articles answer the question, from 0 to 1."""
    if not passages or not sentences:
        return 0.0
    lead = lead_sentence(passages, sentences)
    z = (BIAS + PASSAGE_COSINE * max(p.dense for p in passages[:3]) + COVERAGE * lead.coverage
         + SENTENCE_COSINE * lead.cosine)
    return 1.0 / (1.0 + math.exp(-z))


def compose(question, passages, sentences, confidence, abstained, generation: Generation,
            as_of: dt.date) -> Answer:
    """The answer object: quotes in reading order under numbered citations, or an abstention."""
    common = dict(question=question, confidence=round(confidence, 4), passages=passages,
                  generation=generation.name, as_of=as_of.isoformat(), timings_ms={})
    if abstained:
        related = _citations([p for p in passages], limit=3)
        text = ABSTAIN_TEXT
        if related:
            text += " The closest articles are: " + "; ".join(
                f"{c.title} ({c.published[:10] if c.published else 'undated'})" for c in related) + "."
        return Answer(text=text, abstained=True, quotes=[], citations=[], related=related, **common)
    # The lead quote comes from the top passage, whose rank already weighs its sentences,
    # recency and the conversation; the others are the best-scoring sentences beside it.
    lead = lead_sentence(passages, sentences)
    others = [s for s in sentences if s is not lead and s.score >= KEEP_RATIO * lead.score]
    chosen = [lead, *others[:MAX_QUOTES - 1]]
    citations = _citations([s.passage for s in chosen])
    number = {c.article_id: c.n for c in citations}
    quotes = sorted((Quote(number[s.passage.chunk.article_id], s.passage.chunk.article_id, s.start,
                           s.end, s.text, round(s.score, 4)) for s in chosen),
                    key=lambda q: (q.n, q.start))
    text = " ".join(f"{q.text} [{q.n}]" for q in quotes)
    return Answer(text=text, abstained=False, quotes=quotes, citations=citations, related=[], **common)


def _citations(passages: list[Passage], limit: int | None = None) -> list[Citation]:
    citations: dict[str, Citation] = {}
    for p in passages:
        aid = p.chunk.article_id
        if aid not in citations and (limit is None or len(citations) < limit):
            citations[aid] = Citation(len(citations) + 1, aid, p.title, p.published, p.url, p.source,
                                      p.duplicates)
    return list(citations.values())
