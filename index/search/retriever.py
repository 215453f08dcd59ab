"""Retrieval: dense and lexical search over the same chunks, fused, reranked by sentences,
lifted by time, conversation and recency, capped per article, syndicated copies collapsed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from index.search.fusion import collapse, fuse, lift
from index.search.lane import Lane
from index.search.params import MAX_PER_ARTICLE, RetrievalParams
from index.search.sentences import SentenceScorer, quote_candidates, rerank
from index.search.terms import content_terms
from index.search.when import weigh_time
from index.search.types import Passage
from index.store import Filters, GenerationReader, LiveReader, fanout


@dataclass(frozen=True)
class Query:
    text: str  # embedded for the dense search, its words matched by BM25
    filters: Filters = field(default_factory=Filters)
    prefer_recent: bool = False
    boost_articles: frozenset[str] = frozenset()
    max_per_article: int = MAX_PER_ARTICLE
    # The words that decide which sentences are quoted: a follow-up's own question, while
    # `text` also carries the conversation for retrieval. None: the same as `text`.
    focus: str | None = None
    # The time the question's words name ("in March 2026"): evidence that lifts articles
    # published near it and passages that mention it, never a filter.
    when: tuple[dt.date, dt.date] | None = None


class Retriever:
    """Finds the passages that best match a query. FAISS's thread count is the caller's to set
    (one per query thread measured fastest; DESIGN.md)."""

    def __init__(self, live: LiveReader, embedder: Embedder, params: RetrievalParams = RetrievalParams()):
        self.live = live
        self.embedder = embedder
        self.params = params
        self.lane = Lane()  # the answerer's threads take turns through their Python (lane.py)

    def search(self, generation: GenerationReader, query: Query, k: int = 5) -> list[Passage]:
        """The top `k` passages for `query` in `generation`, best first."""
        if not generation.takes_turns:  # a large or remote collection's search waits on threads or a server
            with self.lane.outside():
                return self._search(generation, query, k)
        return self._search(generation, query, k)

    def _search(self, generation: GenerationReader, query: Query, k: int) -> list[Passage]:
        params = self.params
        subset = generation.search_subset(query.filters) if query.filters.active else None
        if subset is not None and not len(subset):
            return []
        focus = query.focus or query.text
        lexical_args = (content_terms(query.text), query.filters, params.candidates)
        # On a large collection BM25 runs beside the encoding and the dense search (fanout.py).
        pending = fanout.pool().submit(generation.lexical, *lexical_args) if generation.fan_out else None
        with self.lane.outside():  # the model needs no GIL: other questions' Python runs meanwhile
            vectors = self.embedder.encode([query.text] if focus == query.text else [query.text, focus])
        vector, focus_vector = vectors[0], vectors[-1]
        dense_scores, dense_ids = generation.vectors.search(vector, params.candidates, subset)
        dense = [int(i) for i in dense_ids]
        lexical = pending.result() if pending is not None else generation.lexical(*lexical_args)
        fused = fuse([(dense, params.dense_weight), (lexical, params.lexical_weight)], k=params.rrf_k)
        ranked = _passages(generation, dict(list(fused.items())[:params.candidates]), dense, lexical)
        scorer = SentenceScorer(generation, query.text, vector)
        ranked = rerank(generation, ranked[:params.rerank], vector, query.text, params, scorer) + ranked[params.rerank:]
        ranked = weigh_time(ranked, query.when, params)
        ranked = lift(ranked, query.boost_articles, query.prefer_recent, params)
        chosen = collapse(ranked, k, query.max_per_article, params.duplicate_jaccard,
                          generation.minhashes([p.chunk_id for p in ranked]))
        chosen = _with_cosines(chosen, dict(zip(dense, (float(s) for s in dense_scores))), generation, vector)
        chosen = [p.but(sentences=scorer.sentences_of(p)) for p in chosen]  # the reranked ones' sentences
        return quote_candidates(generation, chosen, focus_vector, focus, params,
                                reranked_by=scorer if focus == query.text else None)


def _passages(generation: GenerationReader, fused: dict[int, float], dense: list[int], lexical: list[int]) -> list[Passage]:
    """Passages for the fused chunk ids, in fused order, with their rank in each ranker."""
    rows = generation.chunk_rows(list(fused))
    dense_rank = {c: r for r, c in enumerate(dense, 1)}
    lexical_rank = {c: r for r, c in enumerate(lexical, 1)}
    return [Passage.found(rows[i][0], score, *rows[i][1:], i, dense_rank.get(i, 0), lexical_rank.get(i, 0))
            for i, score in fused.items() if i in rows]


def _with_cosines(passages: list[Passage], known: dict[int, float], generation: GenerationReader,
                  vector: np.ndarray) -> list[Passage]:
    """Each passage's cosine to the question: from the dense search's scores, else the store."""
    missing = [p.chunk_id for p in passages if p.chunk_id not in known]
    if missing:
        known = {**known, **dict(zip(missing, (float(v @ vector) for v in generation.vectors.vectors(missing))))}
    return [p.but(dense=known[p.chunk_id]) for p in passages]
