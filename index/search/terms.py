"""Words: the content terms of a question, a light stemmer, and inverse document frequency
over a generation's chunks."""

from __future__ import annotations

import math
import re

from index.store import Generation

_STOPWORDS = frozenset("""a an and are as at be been being by can could did do does for from had
has have he her his how i if in into is it its me my of on or our she so than that the their them
then there these they this those to us was we were what when where which who whom whose why will
with would you your about after before also any because between both during each few more most
other over same some such through under until up very just not no nor only own too""".split())
_TERM = re.compile(r"\w+", re.UNICODE)


def content_terms(text: str) -> list[str]:
    """The lower-cased words of `text` that carry meaning, in order, without repeats."""
    return list(dict.fromkeys(t for t in _TERM.findall(text.lower()) if t not in _STOPWORDS))


def words(text: str) -> list[str]:
    """Every lower-cased word of `text`, in order."""
    return _TERM.findall(text.lower())

_SUFFIXES = ("ies", "es", "s", "ing", "ed")


def stem(word: str) -> str:
    """A light suffix strip, so that "strikes" and "striking" meet "strike" halfway."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class TermWeights:
    """IDF of stemmed terms, counted with FTS5 and remembered per generation."""

    def __init__(self, generation: Generation):
        self.generation = generation
        self.total = generation.chunk_count()
        self._idf: dict[str, float] = {}

    @classmethod
    def of(cls, generation: Generation) -> TermWeights:
        """The weights of a generation, made once and kept with it."""
        return generation.memo("term_weights", lambda: cls(generation))

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            df = self.generation.chunks_with_prefix(term)
            value = math.log(1 + (self.total - df + 0.5) / (df + 0.5))
            self._idf[term] = value
        return value
