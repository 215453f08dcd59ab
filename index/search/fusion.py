"""Putting rankings together: reciprocal rank fusion, the conversation and recency lifts, the
per-article cap and the collapse of syndicated copies."""

from __future__ import annotations


import numpy as np

from corpus.terms import shingle_hashes
from index.store.lexicon import minhash_of
from index.search.params import RetrievalParams
from index.search.types import Passage


def fuse(rankings: list[tuple[list[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal rank fusion: each list adds weight / (k + rank); best first."""
    scores: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, chunk_id in enumerate(ranking, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))


def lift(passages: list[Passage], boost_articles: frozenset[str], prefer_recent: bool,
         params: RetrievalParams) -> list[Passage]:
    """Lift articles cited earlier in the conversation; when the newest report is wanted, put
    the newest of the clearly relevant passages first."""
    if not passages or not (boost_articles or prefer_recent):
        return passages
    top = passages[0].score
    lifted = sorted((p.but(score=p.score + params.history_boost * top)
                     if p.chunk.article_id in boost_articles else p for p in passages),
                    key=lambda p: -p.score)
    if not prefer_recent:
        return lifted
    best = lifted[0].score
    band = [p for p in lifted if p.score >= params.recency_band * best]
    if not any(p.published for p in band):
        return lifted  # nothing dated to prefer: keep the ranking as it is
    rest = [p for p in lifted if p.score < params.recency_band * best]
    newest_first = sorted(band, key=lambda p: (p.published or "", p.score), reverse=True)
    # Scores stay in rank order, so later steps that weigh them see the new order.
    return [p.but(score=best * (1 + 0.01 * (len(band) - i))) for i, p in enumerate(newest_first)] + rest


def collapse(passages: list[Passage], k: int, per_article: int, duplicate_jaccard: float = 0.5,
             signatures: np.ndarray | None = None) -> list[Passage]:
    """The first `k` passages with at most `per_article` from one article, and passages of
    near-duplicate articles (syndicated copies) folded into the first one seen. `signatures`
    are the passages' MinHash rows (the index stores them); made from the text when not given."""
    if signatures is None:
        signatures = np.array([minhash_of(shingle_hashes(p.chunk.text)) for p in passages], dtype=np.uint64)
    # A passage is compared with the passages kept so far only: each kept one's estimated Jaccard
    # similarity to every passage (the share of equal MinHash slots) is worked out when it is kept.
    least = duplicate_jaccard * (signatures.shape[1] if signatures.ndim == 2 else 0)
    kept: list[Passage] = []
    like_kept: list[list[bool]] = []  # for each kept passage, which passages copy it
    duplicate_of: dict[str, int] = {}  # article id -> index in kept of the passage it copies
    per: dict[str, int] = {}
    for row, p in enumerate(passages):
        aid = p.chunk.article_id
        if aid in duplicate_of or per.get(aid, 0) >= per_article:
            continue
        copy = next((i for i, like in enumerate(like_kept)
                     if like[row] and kept[i].chunk.article_id != aid), None)
        if copy is not None:
            duplicate_of[aid] = copy
            original = kept[copy]
            kept[copy] = original.but(duplicates=(*original.duplicates, aid))
            continue
        if len(kept) < k:
            kept.append(p)
            like_kept.append((np.count_nonzero(signatures == signatures[row], axis=1) >= least).tolist())
            per[aid] = per.get(aid, 0) + 1
    return kept
