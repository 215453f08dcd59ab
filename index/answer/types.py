"""The answer step's values: a request (with its conversation), and the answer object that
`footnote ask --json`, the API and the bot all return."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields

from index.search import FIRST_DAY, LAST_DAY, MAX_PER_ARTICLE, Filters, Passage

MAX_QUESTION_CHARS = 2000
MAX_K = 50


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
        # Field by field: asdict() would first deep-copy the passages (with every scored
        # sentence), only for them to be replaced; that copy cost more than the answer itself.
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("passages", "features")}
        for name in ("quotes", "citations", "related"):
            data[name] = [asdict(item) for item in data[name]]
        data["timings_ms"] = dict(self.timings_ms)
        data["passages"] = [passage_dict(p) for p in self.passages]
        return data


def passage_dict(p: Passage) -> dict:
    return {"article_id": p.chunk.article_id, "start": p.chunk.start, "end": p.chunk.end,
            "text": p.chunk.text, "score": p.score, "cosine": p.dense, "title": p.title,
            "published": p.published, "url": p.url, "source": p.source,
            "duplicates": list(p.duplicates)}


def check_question(question: str, k: int) -> str:
    """The question with its whitespace normalised; QuestionError when it cannot be asked."""
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
    f = request.filters
    for name, day in (("as_of", request.as_of), ("published_after", f.published_after),
                      ("published_before", f.published_before)):
        check_day(day, name)
    return check_question(request.question, request.k)


def check_day(day: dt.date | None, name: str) -> None:
    """QuestionError when `day` lies outside the days Footnote reasons about."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise QuestionError(f"{name}={day.isoformat()} is out of range; give a date from "
                            f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
