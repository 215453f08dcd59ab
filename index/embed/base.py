"""What every embedder is: text in, L2-normalised float32 vectors out, plus the model's token
spans (for chunk budgets) and a key that tells its vectors apart in the shared cache."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str  # the model, as the manifest records it and `--model` names it
    dimension: int
    special_tokens: int  # tokens the model adds around every input ([CLS], [SEP])

    @property
    def cache_key(self) -> str:
        """Model + backend + precision: vectors cached under one key never mix with another's
        (an ONNX or int8 run of the same model gives other vectors)."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts`: shape (len(texts), dimension), float32, unit length."""

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """For each text, the character span of every token the model would see."""

    def span_tokenizer(self):
        """`token_spans` and `special_tokens` alone, without the model (corpus.chunk.TokenSpans):
        picklable, for workers that chunk and never embed."""

    def encode_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                          ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode(texts)`, and for each text one unit vector per character span of it, pooled
        from the same pass over the text (index/embed/spans.py)."""


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
