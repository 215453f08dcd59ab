"""The model-free embedder: hashed bags of words, for tests and for machines without a model."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from index.embed.base import normalise
from index.embed.spans import Spans, check_spans, split_rows

_WORD = re.compile(r"\w+|[^\w\s]")


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
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                vectors[row, bucket] += 1.0 if digest[4] & 1 else -1.0
        return normalise(vectors)

    def encode_with_spans(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode(texts)`, and for each text one vector per character span: a bag of words is
        the same whether read alone or in its text, so each span's vector is its own text's
        (zero, like `encode`'s, for a span without a word)."""
        check_spans(texts, spans)
        pieces = [text[start:end] for text, text_spans in zip(texts, spans) for start, end in text_spans]
        return self.encode(texts), split_rows(self.encode(pieces), [len(s) for s in spans])
