"""The retrieval knobs, in one value passed to the Retriever (bench/tune_*.py sweep copies of it).
Each default was measured: docs/quality.md says on what."""

from __future__ import annotations

from dataclasses import dataclass

from index.defaults import MAX_PER_ARTICLE


@dataclass(frozen=True)
class RetrievalParams:
    # Weighted reciprocal rank fusion, tuned on SQuAD dev: BM25 is the stronger ranker at the
    # top on news-like prose, dense recall rescues paraphrases.
    rrf_k: int = 10
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    candidates: int = 50  # per ranker, before fusion
    # The best fused candidates are reranked by their best sentence: the share of the
    # question's term weight it holds and its cosine (SQuAD recall@1 0.76 -> 0.85).
    rerank: int = 20
    coverage_weight: float = 1.0
    sentence_weight: float = 1.0
    max_per_article: int = MAX_PER_ARTICLE
    duplicate_jaccard: float = 0.5  # word-trigram overlap above which two passages are one story
    # "latest" and state questions: among passages scoring at least this share of the best
    # one, the newest leads.
    recency_band: float = 0.8
    history_boost: float = 0.15  # relative lift for articles cited earlier in the conversation
    # Time the question names: published inside the window counts 1, fading outside it (slower
    # after it than before, at least time_scale_min days); naming the window's year or month
    # adds time_mention.
    time_weight: float = 0.2
    time_scale_min: int = 14
    time_mention: float = 0.5
    quote_passages: int = 4  # quotes come from the sentences of this many top passages...
    quote_articles: int = 2  # ...and, in this many top articles, from `neighbours` sentences
    neighbours: int = 6  # on each side of the passage (the answer is often just past it)
