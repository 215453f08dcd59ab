"""Retrieval: dense (FAISS) and lexical (SQLite FTS5 BM25) search over the same chunks, fused,
filtered by date, source and article, at most a few passages per article, syndicated copies
collapsed into one."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import faiss
import numpy as np

from index import store
from index.embed import Embedder
from index.generation import Generation, Passage, SentenceHit
from index.terms import TermWeights, stem

# Weighted reciprocal rank fusion, tuned on SQuAD dev (docs/quality.md): BM25 is the
# stronger ranker at the top on news-like prose, dense recall rescues paraphrases.
RRF_K = 10
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
CANDIDATES = 50  # per ranker, before fusion
# The best fused candidates are reranked by their best sentence: how much of the question's
# term weight it holds and its cosine to the question. On SQuAD dev this lifted passage
# recall@1 from 0.76 to 0.85 (docs/quality.md).
RERANK = 20
COVERAGE_WEIGHT = 1.0
SENTENCE_WEIGHT = 1.0
MAX_PER_ARTICLE = 3
DUPLICATE_JACCARD = 0.5  # word-trigram overlap above which two passages are one story
# "latest": among passages scoring at least this share of the best one, the newest leads.
RECENCY_BAND = 0.8
HISTORY_BOOST = 0.15  # relative lift for articles cited earlier in the conversation
# Time the question names: published inside the window counts 1, decaying by e per TIME_SCALE
# (at least TIME_SCALE_MIN days, or half the window) outside it; a passage that mentions the
# window's year or month adds TIME_MENTION.
TIME_WEIGHT = 0.2
TIME_SCALE_MIN = 14
TIME_MENTION = 0.5
QUOTE_PASSAGES = 4  # quotes are drawn from the sentences of this many top passages...
QUOTE_ARTICLES = 2  # ...and, in this many top articles, from the NEIGHBOURS sentences on each
NEIGHBOURS = 6      # side of the passage (the answer is often just past the words that matched)

_STOPWORDS = frozenset("""a an and are as at be been being by can could did do does for from had
has have he her his how i if in into is it its me my of on or our she so than that the their them
then there these they this those to us was we were what when where which who whom whose why will
with would you your about after before also any because between both during each few more most
other over same some such through under until up very just not no nor only own too""".split())
_TERM = re.compile(r"\w+", re.UNICODE)


def content_terms(text: str) -> list[str]:
    """The lower-cased words of `text` that carry meaning, in order, without repeats."""
    return list(dict.fromkeys(t for t in _TERM.findall(text.lower()) if t not in _STOPWORDS))


def fts_query(text: str) -> str | None:
    """An FTS5 OR query of the content words, each quoted (no operator injection)."""
    return " OR ".join(f'"{t}"' for t in content_terms(text)) or None


@dataclass(frozen=True)
class Filters:
    published_after: dt.date | None = None  # inclusive
    published_before: dt.date | None = None  # inclusive
    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    # A window read from the question's words lets undated articles through (their date is
    # unknown, not out of range); a window the caller sets does not.
    undated: bool = False

    def sql(self) -> tuple[str, list]:
        """A WHERE clause over `articles a` and its parameters ("1" when unfiltered)."""
        clauses, params = [], []
        for op, day in ((">=", self.published_after), ("<=", self.published_before)):
            if day:
                clause = f"substr(a.published, 1, 10) {op} ?"
                clauses.append(f"(a.published IS NULL OR {clause})" if self.undated else clause)
                params.append(day.isoformat())
        if self.sources:
            clauses.append(f"a.source IN ({','.join('?' * len(self.sources))})")
            params.extend(self.sources)
        if self.article_ids:
            clauses.append(f"a.id IN ({','.join('?' * len(self.article_ids))})")
            params.extend(self.article_ids)
        return " AND ".join(clauses) or "1", params

    @property
    def active(self) -> bool:
        return bool(self.published_after or self.published_before or self.sources or self.article_ids)


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


class LiveIndex:
    """The newest complete generation, re-opened when CURRENT changes.

    A caller takes `current()` once per request and keeps using that object, so a
    request that started on one generation finishes on it.
    """

    def __init__(self, index_dir: Path, model: str | None):
        self.index_dir = Path(index_dir)
        self.model = model
        self._lock = threading.Lock()
        self._generation: Generation | None = None

    def current(self) -> Generation:
        name = store.current_name(self.index_dir)
        generation = self._generation
        if generation is not None and generation.name == name:
            return generation
        with self._lock:
            if self._generation is None or self._generation.name != name:
                self._generation = Generation.open(self.index_dir, self.model)
            return self._generation


class Retriever:
    """Finds the passages that best match a query."""

    def __init__(self, live: LiveIndex, embedder: Embedder):
        self.live = live
        self.embedder = embedder
        faiss.omp_set_num_threads(1)  # one thread per query measured fastest (DESIGN.md)

    def search(self, generation: Generation, query: Query, k: int = 5) -> list[Passage]:
        """The top `k` passages for `query` in `generation`, best first."""
        where, params = query.filters.sql()
        subset = None
        if query.filters.active:
            subset = np.array([i for (i,) in generation.db.execute(
                f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}",
                params)], dtype=np.int64)
            if not len(subset):
                return []
        focus = query.focus or query.text
        vectors = self.embedder.encode([query.text] if focus == query.text else [query.text, focus])
        vector, focus_vector = vectors[0], vectors[-1]
        dense = self._dense(generation, vector, subset)
        lexical = self._lexical(generation, query.text, where, params)
        fused = fuse([(dense, DENSE_WEIGHT), (lexical, LEXICAL_WEIGHT)])
        ranked = generation.passages(list(fused)[:CANDIDATES], list(fused.values())[:CANDIDATES])
        dense_rank = {c: r for r, c in enumerate(dense, 1)}
        lexical_rank = {c: r for r, c in enumerate(lexical, 1)}
        ranked = [replace(p, dense_rank=dense_rank.get(p.chunk_id, 0), lexical_rank=lexical_rank.get(p.chunk_id, 0))
                  for p in ranked]
        ranked = rerank(generation, ranked[:RERANK], vector, query.text) + ranked[RERANK:]
        ranked = weigh_time(ranked, query.when)
        ranked = _adjust(ranked, query)
        chosen = _with_cosines(generation, collapse(ranked, k, query.max_per_article), vector)
        return quote_candidates(generation, chosen, focus_vector, focus)

    def _dense(self, generation: Generation, vector: np.ndarray, subset) -> list[int]:
        _, ids = generation.vectors.search(vector, CANDIDATES, subset)
        return [int(i) for i in ids[0] if i >= 0]

    def _lexical(self, generation: Generation, terms: str, where: str, params: list) -> list[int]:
        query = fts_query(terms)
        if query is None:
            return []
        rows = generation.db.execute(
            "SELECT f.rowid FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
            f"JOIN articles a ON a.id = c.article_id WHERE chunks_fts MATCH ? AND {where} "
            "ORDER BY bm25(chunks_fts) LIMIT ?", [query, *params, CANDIDATES])
        return [i for (i,) in rows]


def fuse(rankings: list[tuple[list[int], float]], k: int = RRF_K) -> dict[int, float]:
    """Weighted reciprocal rank fusion: each list adds weight / (k + rank); best first."""
    scores: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, chunk_id in enumerate(ranking, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))


def rerank(generation: Generation, passages: list[Passage], vector: np.ndarray,
           terms_text: str) -> list[Passage]:
    """Score each passage's sentences against the question; reorder by the best of them."""
    if not passages:
        return passages
    scorer = SentenceScorer(generation, terms_text, vector)
    top = passages[0].score or 1.0
    scored = []
    for p in passages:
        hits = scorer.hits(generation.sentences_within(p.chunk), lambda s, e, p=p: span_text(p, s, e))
        best = max((COVERAGE_WEIGHT * h.coverage + SENTENCE_WEIGHT * h.cosine for h in hits), default=0.0)
        scored.append(replace(p, score=p.score / top + best, sentences=tuple(hits)))
    return sorted(scored, key=lambda p: -p.score)


class SentenceScorer:
    """Scores sentences against one question: the share of its term weight each holds (IDF),
    and each one's cosine to the question."""

    def __init__(self, generation: Generation, question: str, vector: np.ndarray):
        self.generation = generation
        self.weights = TermWeights.of(generation)
        self.terms = [stem(t) for t in content_terms(question)]
        self.total = sum(self.weights.idf(t) for t in self.terms) or 1.0
        self.vector = vector

    def hits(self, rows: list[tuple[int, int, int]], text_of, in_passage: bool = True) -> list[SentenceHit]:
        """`rows` are (sentence id, start, end); `text_of(start, end)` gives a sentence's text."""
        if not rows:
            return []
        cosines = self.generation.sentence_vectors[[r[0] for r in rows]].astype(np.float32) @ self.vector
        found = []
        for (_, start, end), cosine in zip(rows, cosines):
            text = text_of(start, end)
            words = {stem(w) for w in content_terms(text)}
            coverage = sum(self.weights.idf(t) for t in self.terms if t in words) / self.total
            found.append(SentenceHit(start, end, coverage, float(cosine), in_passage, text))
        return found


def quote_candidates(generation: Generation, passages: list[Passage], vector: np.ndarray,
                     question: str) -> list[Passage]:
    """The sentences quotes are chosen from, scored against the question alone: those of the
    top passages, and the sentences around the best passages of the top articles (the answer
    is often a sentence or two past the passage that matched the question's words best)."""
    scorer = SentenceScorer(generation, question, vector)
    articles_done: set[str] = set()
    out = []
    for rank, p in enumerate(passages):
        if rank >= QUOTE_PASSAGES:
            out.append(p)
            continue
        hits = scorer.hits(generation.sentences_within(p.chunk), lambda s, e, p=p: span_text(p, s, e))
        aid = p.chunk.article_id
        if aid not in articles_done and len(articles_done) < QUOTE_ARTICLES:
            articles_done.add(aid)
            rows = generation.sentences_around(p.chunk, NEIGHBOURS)
            if rows:
                text = generation.article_text(aid)
                hits += scorer.hits(rows, lambda s, e: text[s:e], in_passage=False)
        out.append(replace(p, sentences=tuple(hits)))
    return out


def span_text(p: Passage, start: int, end: int) -> str:
    """The text of an article span inside passage `p`."""
    return p.chunk.text[start - p.chunk.start:end - p.chunk.start]


def weigh_time(passages: list[Passage], when: tuple[dt.date, dt.date] | None) -> list[Passage]:
    """Lift passages published near the time the question names, and those that mention it."""
    if not passages or when is None:
        return passages
    top = passages[0].score or 1.0
    marks = _time_marks(when)
    lifted = [replace(p, score=p.score + TIME_WEIGHT * top * time_closeness(p, when, marks)) for p in passages]
    return sorted(lifted, key=lambda p: -p.score)


def time_closeness(p: Passage, when: tuple[dt.date, dt.date], marks: re.Pattern | None) -> float:
    """1 inside the window, decaying outside it; plus TIME_MENTION if the text names the time."""
    closeness = 0.0
    if p.published:
        try:
            day = dt.date.fromisoformat(p.published[:10])
        except ValueError:
            day = None
        if day is not None:
            after, before = when
            span = (before - after).days if after > dt.date.min and before < dt.date.max else 0
            # Reports of a period come after it (results weeks or months later), previews
            # shortly before: the lift fades slower after the window than before it.
            if day > before:
                closeness = math.exp(-(day - before).days / max(2 * TIME_SCALE_MIN, span / 2))
            elif day < after:
                closeness = math.exp(-(after - day).days / max(TIME_SCALE_MIN, span / 4))
            else:
                closeness = 1.0
    if marks is not None and marks.search(p.chunk.text):
        closeness += TIME_MENTION
    return closeness


def _time_marks(when: tuple[dt.date, dt.date]) -> re.Pattern | None:
    """How an article would name the window: its year(s), and its month when it is one month."""
    after, before = when
    if after == dt.date.min or before == dt.date.max or (before - after).days > 800:
        return None
    words = {str(y) for y in range(after.year, before.year + 1)}
    if (before - after).days <= 31:
        words |= {calendar.month_name[after.month], calendar.month_abbr[after.month] + "."}
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words)) + r")(?!\w)")


def _adjust(passages: list[Passage], query: Query) -> list[Passage]:
    """Lift articles cited earlier in the conversation; when asked for the latest, put the
    newest of the clearly relevant passages first."""
    if not passages or not (query.boost_articles or query.prefer_recent):
        return passages
    top = passages[0].score
    lifted = sorted((replace(p, score=p.score + HISTORY_BOOST * top)
                     if p.chunk.article_id in query.boost_articles else p for p in passages),
                    key=lambda p: -p.score)
    if not query.prefer_recent:
        return lifted
    best = lifted[0].score
    band = [p for p in lifted if p.score >= RECENCY_BAND * best]
    if not any(p.published for p in band):
        return lifted  # nothing dated to prefer: keep the ranking as it is
    rest = [p for p in lifted if p.score < RECENCY_BAND * best]
    newest_first = sorted(band, key=lambda p: (p.published or "", p.score), reverse=True)
    # Scores stay in rank order, so later steps that weigh them see the new order.
    return [replace(p, score=best * (1 + 0.01 * (len(band) - i))) for i, p in enumerate(newest_first)] + rest


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _TERM.findall(text.lower())
    return {tuple(words[i:i + 3]) for i in range(max(len(words) - 2, 1))}


def collapse(passages: list[Passage], k: int, per_article: int = MAX_PER_ARTICLE) -> list[Passage]:
    """The first `k` passages with at most `per_article` from one article, and passages of
    near-duplicate articles (syndicated copies) folded into the first one seen."""
    kept: list[Passage] = []
    shingles: list[set] = []
    duplicate_of: dict[str, int] = {}  # article id -> index in kept of the passage it copies
    per: dict[str, int] = {}
    for p in passages:
        aid = p.chunk.article_id
        if aid in duplicate_of or per.get(aid, 0) >= per_article:
            continue
        grams = _shingles(p.chunk.text)
        copy = next((i for i, (q, g) in enumerate(zip(kept, shingles))
                     if q.chunk.article_id != aid and _jaccard(grams, g) >= DUPLICATE_JACCARD), None)
        if copy is not None:
            duplicate_of[aid] = copy
            original = kept[copy]
            kept[copy] = replace(original, duplicates=(*original.duplicates, aid))
            continue
        if len(kept) < k:
            kept.append(p)
            shingles.append(grams)
            per[aid] = per.get(aid, 0) + 1
    return kept


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _with_cosines(generation: Generation, passages: list[Passage], vector: np.ndarray) -> list[Passage]:
    if not passages:
        return passages
    vectors = generation.vectors.reconstruct([p.chunk_id for p in passages])
    return [replace(p, dense=float(v @ vector)) for p, v in zip(passages, vectors)]
