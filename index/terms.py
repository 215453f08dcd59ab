"""Term weights for scoring sentences: inverse document frequency over a generation's chunks."""

from __future__ import annotations

import math

from index.generation import Generation

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
            df = self.generation.db.execute(
                "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (f'"{term}"*',)).fetchone()[0]
            value = math.log(1 + (self.total - df + 0.5) / (df + 0.5))
            self._idf[term] = value
        return value
