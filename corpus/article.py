"""The two records everything else is built from: an article and a chunk of it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from corpus.furniture import Span, find_furniture


class ArticleError(ValueError):
    """An article file cannot be read; the message names the file and the fix.

    `keep_previous`: whether the articles the file held in the last build should stay
    indexed while it is bad (not for a file that leads out of the corpus folder)."""

    def __init__(self, message: str, keep_previous: bool = True):
        super().__init__(message)
        self.keep_previous = keep_previous


@dataclass(frozen=True)
class Article:
    """One article: its text is what every offset in the index points into."""

    id: str
    text: str
    title: str
    title_source: str  # "metadata" or "first_sentence"
    published: str | None = None  # ISO 8601 date or date-time
    url: str | None = None
    source: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    path: str = ""  # the file, relative to the corpus root

    @property
    def content_hash(self) -> str:
        """A hash of everything stored about the article; a change means re-indexing it."""
        digest = hashlib.sha256()
        for part in (self.id, self.title, self.title_source, self.published or "",
                     self.url or "", self.source or "", self.author or "",
                     "\x1f".join(self.tags), self.text):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        return digest.hexdigest()

    @cached_property
    def furniture(self) -> tuple[Span, ...]:
        """Spans of page furniture in `text` (bylines, datelines, captions, teasers): they stay
        in the text and its chunks, but are never quoted. Derived from the text alone, so it is
        neither stored nor compared."""
        return find_furniture(self.text)


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: `article.text[start:end] == text` always."""

    article_id: str
    ordinal: int
    start: int
    end: int
    text: str = field(repr=False)
