"""Sentences scored against a question: they rerank the best passages, and they are what
quotes are chosen from. Term coverage and cosines are computed for all of a question's
sentences at once, from arrays made at index time."""

from __future__ import annotations


import numpy as np

from index.search.params import RetrievalParams
from index.search.terms import TermWeights, content_terms, stem
from index.search.types import Passage, SentenceHit, span_text
from index.store import GenerationReader


class SentenceScorer:
    """Scores sentences against one question: the share of its term weight each holds (IDF),
    and each one's cosine to the question."""

    def __init__(self, generation: GenerationReader, question: str, vector: np.ndarray):
        self.generation = generation
        weights = TermWeights.of(generation)
        self.stems = list(dict.fromkeys(stem(t) for t in content_terms(question)))
        self.weights = np.array(weights.idfs(self.stems), dtype=np.float64)
        self.total = float(self.weights.sum()) or 1.0
        self.vector = vector
        self._within: dict[int, tuple] = {}  # chunk id -> its sentence rows and their scores

    def _scores(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(coverage, cosine) of each of these sentences."""
        cosines = self.generation.sentence_vectors.vectors(ids) @ self.vector
        return self.generation.sentence_coverage(ids, self.stems, self.weights) / self.total, cosines

    def hits(self, groups: list[tuple[list[tuple[int, int, int]], list[str], bool]]) -> list[list[SentenceHit]]:
        """Each group is (rows of (sentence id, start, end), their texts, whether inside the
        passage); all groups are scored in one go, and their hits come back group by group."""
        ids = [r[0] for rows, _, _ in groups for r in rows]
        if not ids:
            return [[] for _ in groups]
        coverage, cosines = self._scores(ids)
        out, at = [], 0
        for rows, texts, in_passage in groups:
            out.append([SentenceHit(s, e, float(coverage[at + n]), float(cosines[at + n]), in_passage, text)
                        for n, ((_, s, e), text) in enumerate(zip(rows, texts))])
            at += len(rows)
        return out

    def within(self, p: Passage) -> tuple[list[tuple[int, int, int]], list[str], bool]:
        """The group of a passage's own sentences, for `hits`."""
        rows = self.generation.sentences_within(p.chunk_id)
        return rows, [span_text(p, s, e) for _, s, e in rows], True

    def best_within(self, passages: list[Passage], params: RetrievalParams) -> list[float]:
        """Each passage's best sentence score (coverage and cosine, weighted), 0 for a passage
        without sentences. The scores are kept: `sentences_of` makes a passage's hits from them
        when it is asked for, so only the passages that reach the answer pay for their hits."""
        rows = [self.generation.sentences_within(p.chunk_id) for p in passages]
        ids = [r[0] for group in rows for r in group]
        if not ids:
            return [0.0] * len(passages)
        coverage, cosines = self._scores(ids)
        combined = params.coverage_weight * coverage + params.sentence_weight * cosines.astype(np.float64)
        sizes = np.fromiter((len(group) for group in rows), dtype=np.int64, count=len(rows))
        starts = np.cumsum(sizes) - sizes
        filled = sizes > 0
        best = np.zeros(len(rows), dtype=np.float64)
        best[filled] = np.maximum.reduceat(combined, starts[filled])
        for p, group, at in zip(passages, rows, starts.tolist()):
            self._within[p.chunk_id] = (group, coverage[at:at + len(group)], cosines[at:at + len(group)])
        return best.tolist()

    def sentences_of(self, p: Passage) -> tuple[SentenceHit, ...]:
        """The hits of a passage `best_within` scored; the passage's own otherwise."""
        kept = self._within.get(p.chunk_id)
        if kept is None:
            return p.sentences
        rows, coverage, cosines = kept
        return tuple(SentenceHit(s, e, c, q, True, span_text(p, s, e))
                     for (_, s, e), c, q in zip(rows, coverage.tolist(), cosines.tolist()))


def rerank(generation: GenerationReader, passages: list[Passage], vector: np.ndarray, question: str,
           params: RetrievalParams, scorer: SentenceScorer | None = None) -> list[Passage]:
    """Score each passage's sentences against the question (with `scorer` when the caller made
    it for this question and vector); reorder by the best of them. The sentences' scores stay with
    the scorer: `scorer.sentences_of(p)` gives a passage's hits."""
    if not passages:
        return passages
    scorer = scorer or SentenceScorer(generation, question, vector)
    top = passages[0].score or 1.0
    scored = [p.but(score=p.score / top + best) for p, best in zip(passages, scorer.best_within(passages, params))]
    return sorted(scored, key=lambda p: -p.score)


def quote_candidates(generation: GenerationReader, passages: list[Passage], vector: np.ndarray, question: str,
                     params: RetrievalParams, reranked_by: SentenceScorer | None = None) -> list[Passage]:
    """The sentences quotes are chosen from, scored against the question alone: those of the
    top passages, and the sentences around the best passages of the top articles (the answer
    is often a sentence or two past the passage that matched the question's words best).
    `reranked_by`: the scorer `rerank` used, given when it was made for this same question and
    vector; the passages' own sentences it scored are kept rather than computed again."""
    scored = reranked_by is not None
    scorer = reranked_by or SentenceScorer(generation, question, vector)
    head = passages[:params.quote_passages]
    groups, owners = [], []
    found: list[list] = [[] for _ in head]
    articles_done: set[str] = set()
    for n, p in enumerate(head):
        if scored and p.sentences:
            found[n] += p.sentences
        else:
            groups.append(scorer.within(p))
            owners.append(n)
        aid = p.chunk.article_id
        if aid not in articles_done and len(articles_done) < params.quote_articles:
            articles_done.add(aid)
            rows = generation.sentences_around(p.chunk_id, params.neighbours)
            if rows:
                text = generation.article_text(aid)
                groups.append((rows, [text[s:e] for _, s, e in rows], False))
                owners.append(n)
    for n, hits in zip(owners, scorer.hits(groups)):
        found[n] += hits
    return [p.but(sentences=tuple(hits)) for p, hits in zip(head, found)] + passages[params.quote_passages:]
