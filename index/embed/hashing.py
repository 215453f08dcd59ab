"""The model-free embedder: hashed bags of words, for tests and for machines without a model."""

from __future__ import annotations

import hashlib
import itertools
import re

import numpy as np

from index.embed.base import normalise
from index.embed.spans import Spans, check_spans, split_rows

_WORD = re.compile(r"\w+|[^\w\s]")
_BAG_WORD = re.compile(r"\w+")  # what a vector counts: words alone, lower-cased
SLOTS_KEPT = 1 << 20  # words whose slot an embedder remembers (a collection's vocabulary is far smaller)
COUNTED_AT_ONCE = 1024  # texts whose counts are one array (1024 x 2 x dimension int64: 4 MB at 256)


def word_spans(texts: list[str]) -> list[list[tuple[int, int]]]:
    """Words and punctuation marks as tokens: the tokenizer of the model-free embedder."""
    return [[m.span() for m in _WORD.finditer(text)] for text in texts]


class HashingEmbedder:
    """A deterministic bag-of-words embedder (feature hashing): no model, no download.

    It exists for tests and for trying Footnote where no model can be loaded; its
    vectors only capture shared words, not meaning.
    """

    special_tokens = 0

    def __init__(self, dimension: int = 256):
        self.dimension = dimension
        self.name = f"hash:{dimension}"
        self._slots = _Slots(dimension)

    def __reduce__(self):
        return HashingEmbedder, (self.dimension,)  # the slots it remembers are not worth shipping

    @property
    def legacy_cache_key(self) -> str:
        """The key caches used before keys named the backend (for vectors of this very backend)."""
        return self.name

    @property
    def cache_key(self) -> str:
        return f"{self.name}|hash|fp32"

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        return word_spans(texts)

    def span_tokenizer(self) -> HashingEmbedder:
        """Itself: it holds no model, and pickles as its dimension."""
        return self

    def encode(self, texts: list[str]) -> np.ndarray:
        """Each word adds +1 or -1 to one bucket (both from its hash); rows scaled to unit length."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for first in range(0, len(texts), COUNTED_AT_ONCE):
            vectors[first:first + COUNTED_AT_ONCE] = self._counts(texts[first:first + COUNTED_AT_ONCE])
        return normalise(vectors)

    def _counts(self, texts: list[str]) -> np.ndarray:
        """Each text's sum of its words' +1s and -1s, counted at once: a word's slot is its
        place in a row of [+buckets | -buckets]."""
        slots, width = self._slots, 2 * self.dimension
        found = [[slots[word] for word in _BAG_WORD.findall(text.lower())] for text in texts]
        lengths = [len(row) for row in found]
        at = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=sum(lengths))
        at += np.repeat(np.arange(len(texts), dtype=np.int64) * width, lengths)
        counts = np.bincount(at, minlength=len(texts) * width).reshape(len(texts), 2, self.dimension)
        return counts[:, 0] - counts[:, 1]

    def encode_with_spans(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode(texts)`, and for each text one vector per character span: a bag of words is
        the same whether read alone or in its text, so each span's vector is its own text's
        (zero, like `encode`'s, for a span without a word)."""
        check_spans(texts, spans)
        pieces = [text[start:end] for text, text_spans in zip(texts, spans) for start, end in text_spans]
        return self.encode(texts), split_rows(self.encode(pieces), [len(s) for s in spans])


class _Slots(dict):
    """word -> where it counts in a vector: its bucket, plus `dimension` when it counts -1. A
    word's blake2b is taken once (the most of encoding's time, before), then looked up."""

    def __init__(self, dimension: int):
        super().__init__()
        self.dimension = dimension

    def __missing__(self, word: str) -> int:
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "little") % self.dimension + (0 if digest[4] & 1 else self.dimension)
        if len(self) < SLOTS_KEPT:
            self[word] = slot
        return slot
