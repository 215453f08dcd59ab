"""Request and response bodies of the /v1 API. Responses are validated against these models
before they are sent, and the answer's models forbid unknown fields: if the core's answer
object and its documented shape drift apart, the tests fail rather than clients."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from index.answer import MAX_K, MAX_QUESTION_CHARS, AskRequest, Turn
from index.search import FIRST_DAY, LAST_DAY, MAX_PER_ARTICLE, Filters

# Dates far outside any collection only overflow date arithmetic ("last year" of year 1).
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Name = Annotated[str, Field(min_length=1, max_length=500)]
Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
K = Annotated[int, Field(ge=1, le=MAX_K, description=f"passages to retrieve, 1 to {MAX_K}")]


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    published_after: Day | None = Field(None, description="inclusive")
    published_before: Day | None = Field(None, description="inclusive")
    sources: list[Name] = Field([], max_length=100)
    article_ids: list[Name] = Field([], max_length=1000)

    def to_filters(self) -> Filters:
        return Filters(self.published_after, self.published_before, tuple(self.sources),
                       tuple(self.article_ids))


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(max_length=MAX_QUESTION_CHARS)]
    article_ids: list[Name] = Field([], max_length=50, description="the articles its answer cited")


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question
    history: list[TurnIn | Annotated[str, Field(max_length=MAX_QUESTION_CHARS)]] = Field(
        [], max_length=50, description="earlier questions, oldest first (a follow-up leans on the last one)")
    as_of: Day | None = Field(None, description="answer as of this date (default: today)")
    filters: FiltersIn = FiltersIn()
    k: K = 5
    max_per_article: int = Field(MAX_PER_ARTICLE, ge=1, le=50,
                                 description="the most passages one article may hold in the results")

    def to_request(self) -> AskRequest:
        history = tuple(h if isinstance(h, str) else Turn(h.question, tuple(h.article_ids))
                        for h in self.history)
        return AskRequest(self.question, history, self.as_of, self.filters.to_filters(), self.k,
                          self.max_per_article)


class PassageOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: str
    start: int
    end: int
    text: str
    score: float
    cosine: float
    title: str
    published: str | None
    url: str | None
    source: str | None
    duplicates: list[str]


class QuoteOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int
    article_id: str
    start: int
    end: int
    text: str
    score: float


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int
    article_id: str
    title: str
    published: str | None
    url: str | None
    source: str | None
    duplicates: list[str]


class AnswerOut(BaseModel):
    """The answer object, exactly as `footnote ask --json` prints it."""

    model_config = ConfigDict(extra="forbid")

    question: str
    text: str
    abstained: bool
    confidence: float
    quotes: list[QuoteOut]
    citations: list[CitationOut]
    related: list[CitationOut]
    passages: list[PassageOut]
    generation: str
    as_of: str
    timings_ms: dict[str, float]


class SearchOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str
    generation: str
    passages: list[PassageOut]


class ArticleMeta(BaseModel):
    id: str
    title: str
    title_source: str
    published: str | None
    url: str | None
    source: str | None
    author: str | None
    tags: list[str]
    path: str


class Span(BaseModel):
    start: int
    end: int
    text: str
    before: str = Field(description="up to `context` characters before the span")
    after: str = Field(description="up to `context` characters after the span")


class ArticleOut(ArticleMeta):
    generation: str
    text: str
    span: Span | None = None


class ArticlePage(BaseModel):
    generation: str
    total: int
    offset: int
    limit: int
    articles: list[ArticleMeta]


class ArticleIn(BaseModel):
    """One article as JSON; stored as `<id>.json` in the corpus folder."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1)]
    title: Name | None = None
    date: Annotated[str, Field(min_length=1, max_length=40)] | None = Field(
        None, description="publication date, e.g. 2026-02-26 or 2026-02-26T09:30:00Z")
    published: Annotated[str, Field(min_length=1, max_length=40)] | None = Field(
        None, description="the same as `date` (the name GET /v1/articles/{id} uses); give one of the two")
    url: Name | None = None
    source: Name | None = None
    author: Name | None = None
    tags: list[Name] = Field([], max_length=100)

    @model_validator(mode="after")
    def _one_date(self) -> ArticleIn:
        if self.date and self.published and self.date != self.published:
            raise ValueError(f"`date` ({self.date}) and `published` ({self.published}) disagree; give one of them")
        return self


class JobOut(BaseModel):
    id: str
    reason: str
    status: str = Field(description="queued, running, succeeded or failed")
    created_at: str
    started_at: str | None
    finished_at: str | None
    duration_s: float | None
    summary: dict | None = Field(description="when succeeded: the same object as `footnote index --json`")
    error: str | None = Field(description="when failed: why (the previous generation keeps serving)")
    rebuild: bool
    progress: dict | None = Field(default=None, description='while running: {"stage": "chunking" or '
                                  '"embedding", "done": n, "total": n}')


class ArticleWritten(BaseModel):
    id: str
    path: str | None = Field(description="the file written, relative to the corpus folder")
    removed: list[str] = Field(description="files removed (other formats of the same id, or the deleted one)")
    job: JobOut


class IndexStatus(BaseModel):
    generation: str
    index: str | None = Field(description="the index folder or Milvus address; null without an API key")
    model: dict
    chunking: dict
    articles: int
    chunks: int
    built_at: str
    corpus: str | None = Field(description="the corpus folder; null without an API key")
    newer_than_index: list[str]


class Health(BaseModel):
    status: str
    generation: str | None = None
    detail: str | None = None
