"""Answers: verbatim quotes from the best passages, numbered citations, a confidence, or an
honest abstention when the articles do not cover the question."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field

from index.generation import Generation, Passage
from index.answer_type import DATE, NAME, NUMBER, PLACE, answer_type, has_answer_type
from index.confidence import score as confidence_score, signals
from index.terms import TermWeights
from index.retrieve import MAX_PER_ARTICLE, QUOTE_PASSAGES, Filters, Query, Retriever, content_terms
from index.when import TimeIntent, read_time

MAX_QUESTION_CHARS = 2000
MAX_K = 50
MAX_QUOTES = 3
KEEP_RATIO = 0.6  # a further quote must score at least this share of the best one
PASSAGE_WEIGHT = 0.5  # how much a sentence's passage rank counts beside its own scores
# What a sentence holding what the question asks for is worth, by kind: numbers and dates are
# rarer in a passage than capitalised words, so finding one says more (bench/tune_answers.py).
TYPE_WEIGHTS = {NUMBER: 0.6, DATE: 0.6, NAME: 0.3, PLACE: 0.3}
# Abstain below this confidence (index/confidence.py; the sweep is in docs/quality.md): at 0.5 it
# declines 2.5% of answerable SQuAD and 3.4% of answerable news dev questions.
THRESHOLD = 0.5
ABSTAIN_TEXT = "The articles don't cover this."


# Words that ask without saying what about: a follow-up of only these leans on the history.
_GENERIC = frozenset("say says said tell told think thinks thought mean means meant happen happens happened "
                     "make makes making made get gets getting got go goes going went come comes coming came "
                     "take takes taking took else next".split())


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
    features: dict[str, float] = field(default_factory=dict, repr=False)  # the confidence's inputs

    def as_dict(self) -> dict:
        """The answer object: what `footnote ask --json`, the API and the bot all use."""
        data = asdict(self)
        del data["features"]
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
        intent = read_time(question, request.as_of or self.today())
        as_of = intent.as_of or request.as_of or self.today()
        query = self.query(request, question, intent)
        passages = self.retriever.search(generation, query, k=request.k)
        retrieved = time.perf_counter()
        sentences = best_sentences(passages[:QUOTE_PASSAGES], query.focus or query.text)
        features = answer_signals(query, passages, sentences, TermWeights.of(generation))
        confidence = confidence_score(features) if features else 0.0
        abstained = confidence < self.threshold or not sentences
        answer = compose(question, passages, sentences, confidence, abstained, generation, as_of)
        answer.features = features
        done = time.perf_counter()
        answer.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "answer": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        return answer

    def query(self, request: AskRequest, question: str, intent: TimeIntent) -> Query:
        """The search for a question: its time words read (`intent`), its follow-up context added."""
        f = request.filters
        window = intent.window
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
                     when=None if intent.about_publication else window)


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


def best_sentences(passages: list[Passage], question: str) -> list[_Sentence]:
    """The sentences of the passages (and of their articles), scored against the question,
    best first."""
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
            sentence = hit.text
            score = hit.coverage + hit.cosine + (PASSAGE_WEIGHT * p.score / top if hit.in_passage else 0.0)
            if wanted and has_answer_type(sentence, wanted, asked):
                score += TYPE_WEIGHTS[wanted]
            found.append(_Sentence(p, hit.start, hit.end, sentence, hit.coverage, hit.cosine, score))
    return sorted(found, key=lambda x: -x.score)


def lead_sentence(passages: list[Passage], sentences: list[_Sentence]) -> _Sentence:
    """The best sentence of the top passage: the answer's first quote."""
    return next((s for s in sentences if s.passage is passages[0]), sentences[0])


def answer_signals(query: Query, passages: list[Passage], sentences: list[_Sentence],
                   weights: TermWeights) -> dict[str, float]:
    """The confidence model's features for an answer; empty when there is nothing to quote."""
    if not passages or not sentences:
        return {}
    return signals(query.focus or query.text, passages, lead_sentence(passages, sentences), weights, query.when)


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
