"""Mean pooling over a model's token vectors: a whole text's vector, and one vector per character
span of the text taken from the same forward pass (late chunking), so a build can embed each
token once instead of once for its chunk and again for its sentence."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from index.embed.base import normalise

Spans = list[tuple[int, int]]


def mean_pool(token_vectors: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(batch, tokens, dim) averaged over the tokens `mask` keeps, as sentence-transformers pools."""
    weights = mask[..., None].astype(np.float32)
    return (token_vectors * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def check_spans(texts: list[str], spans: Sequence[Spans]) -> None:
    """Refuse spans that do not fit their texts, naming the text and the span."""
    if len(spans) != len(texts):
        raise ValueError(f"encode_with_spans got {len(texts)} texts but {len(spans)} span lists; "
                         "pass one list of (start, end) spans per text (an empty list for none)")
    for row, (text, text_spans) in enumerate(zip(texts, spans)):
        for start, end in text_spans:
            if not 0 <= start <= end <= len(text):
                raise ValueError(f"span ({start}, {end}) of text {row} lies outside its {len(text)} "
                                 "characters; spans are character offsets with 0 <= start <= end <= len(text)")


def pool_spans(token_vectors: np.ndarray, offsets: Sequence[tuple[int, int]], special: Sequence[int],
               spans: Spans, seen_until: int) -> tuple[np.ndarray, list[int]]:
    """One unit vector per span: the mean of the vectors of the tokens whose characters overlap it.

    `token_vectors` and `offsets` describe the tokens the model saw (special tokens, flagged in
    `special`, belong to no span). `seen_until` is the character where the model's truncation
    cut the text (len(text) or more when nothing was cut): a span reaching past it would be
    pooled from its visible head only, so it is reported as missing, like an empty span and a
    span no token overlaps (only spaces). Returns the vectors (missing rows zero) and the
    indices of the missing spans.
    """
    starts = np.array([start for start, _ in offsets], dtype=np.int64)
    ends = np.array([end for _, end in offsets], dtype=np.int64)
    real = ~np.asarray(special, dtype=bool) & (ends > starts)
    pooled = np.zeros((len(spans), token_vectors.shape[1]), dtype=np.float32)
    missing = []
    for row, (start, end) in enumerate(spans):
        inside = real & (starts < end) & (ends > start)
        if end <= start or end > seen_until or not inside.any():
            missing.append(row)
        else:
            pooled[row] = token_vectors[inside].mean(axis=0)
    return normalise(pooled), missing


def fill_missing(encode: Callable[[list[str]], np.ndarray], texts: list[str], spans: Sequence[Spans],
                 pooled: list[np.ndarray], missing: list[list[int]]) -> list[np.ndarray]:
    """Give every missing span the vector of its own text encoded alone (one batched call)."""
    wanted = [(row, i) for row, rows in enumerate(missing) for i in rows]
    if not wanted:
        return pooled
    alone = encode([texts[row][slice(*spans[row][i])] for row, i in wanted])
    for (row, i), vector in zip(wanted, alone):
        pooled[row][i] = vector
    return pooled


def split_rows(vectors: np.ndarray, counts: Sequence[int]) -> list[np.ndarray]:
    """`vectors` cut into consecutive blocks of `counts` rows (one block per text)."""
    bounds = np.cumsum([0, *counts])
    return [np.ascontiguousarray(vectors[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
