"""What a search returns: passages, each with the sentences quotes may be chosen from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from corpus import Chunk


class SentenceHit(NamedTuple):
    """A sentence scored against the question. A named tuple rather than a frozen dataclass: a
    question makes a hundred or more, and a frozen dataclass's __init__ sets each field through
    object.__setattr__ (about 1.5 µs a hit against 0.3)."""

    start: int  # offsets into the article
    end: int
    coverage: float  # the share of the question's term weight found in the sentence
    cosine: float  # between the question and the sentence
    in_passage: bool = True  # inside the retrieved passage, or next to it in its article
    text: str = ""  # article.text[start:end]


@dataclass(frozen=True)
class Passage:
    """A chunk found by a search, with its article's citation fields."""

    chunk: Chunk
    score: float
    title: str
    published: str | None
    url: str | None
    source: str | None
    chunk_id: int = -1
    dense: float = 0.0  # cosine between the question and the passage
    duplicates: tuple[str, ...] = ()  # articles carrying the same story, folded into this one
    sentences: tuple[SentenceHit, ...] = ()
    dense_rank: int = 0  # 1-based rank in the dense and the lexical candidates; 0: not among them
    lexical_rank: int = 0

    @classmethod
    def found(cls, chunk: Chunk, score: float, title: str, published: str | None, url: str | None,
              source: str | None, chunk_id: int, dense_rank: int, lexical_rank: int) -> Passage:
        """A passage as a search first finds it, made without the frozen __init__'s per-field
        object.__setattr__ (a question makes fifty)."""
        made = object.__new__(cls)
        made.__dict__.update(chunk=chunk, score=score, title=title, published=published, url=url, source=source,
                             chunk_id=chunk_id, dense=0.0, duplicates=(), sentences=(), dense_rank=dense_rank,
                             lexical_rank=lexical_rank)
        return made

    def but(self, **changes) -> Passage:
        """A copy with `changes`: dataclasses.replace without its per-field work, which a
        question, making dozens of copies, noticed (bench/api_load.py)."""
        copy = object.__new__(Passage)
        copy.__dict__.update(self.__dict__, **changes)
        return copy


def span_text(p: Passage, start: int, end: int) -> str:
    """The text of an article span inside passage `p`."""
    return p.chunk.text[start - p.chunk.start:end - p.chunk.start]
