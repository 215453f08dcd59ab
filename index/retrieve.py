"""Retrieval: dense (FAISS) and lexical (SQLite FTS5 BM25) search over the same chunks, fused."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import faiss

from index import store
from index.embed import Embedder
from index.generation import Generation, Passage

# Reciprocal rank fusion constant: the usual 60 flattens rank differences at the top.
RRF_K = 60
CANDIDATES = 50  # per retriever, before fusion

_STOPWORDS = frozenset("""a an and are as at be by did do does for from had has have how i in
into is it its of on or that the their there these this to was were what when where which who
whom whose why will with would you your""".split())
_TERM = re.compile(r"\w+", re.UNICODE)


def fts_query(question: str) -> str | None:
    """An FTS5 OR query of the question's content words, each quoted (no operator injection)."""
    terms = [t for t in _TERM.findall(question.lower()) if t not in _STOPWORDS]
    terms = list(dict.fromkeys(terms))
    return " OR ".join(f'"{t}"' for t in terms) or None


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    score: float


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
    """Finds the passages that best match a question."""

    def __init__(self, live: LiveIndex, embedder: Embedder):
        self.live = live
        self.embedder = embedder
        faiss.omp_set_num_threads(1)  # one thread per query measured fastest (DESIGN.md)

    def search(self, question: str, k: int = 5) -> tuple[Generation, list[Passage]]:
        generation = self.live.current()
        dense = self.dense(generation, question, CANDIDATES)
        lexical = self.lexical(generation, question, CANDIDATES)
        fused = fuse([dense, lexical])[:k]
        passages = generation.passages([h.chunk_id for h in fused], [h.score for h in fused])
        return generation, passages

    def dense(self, generation: Generation, question: str, k: int) -> list[Hit]:
        query = self.embedder.encode([question])
        scores, ids = generation.vectors.search(query, k)
        return [Hit(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def lexical(self, generation: Generation, question: str, k: int) -> list[Hit]:
        query = fts_query(question)
        if query is None:
            return []
        rows = generation.db.execute(
            "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
            "ORDER BY bm25(chunks_fts) LIMIT ?", (query, k))
        return [Hit(int(i), float(s)) for i, s in rows]


def fuse(rankings: list[list[Hit]], k: int = RRF_K) -> list[Hit]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to a chunk's score."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, 1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (k + rank)
    return [Hit(cid, s) for cid, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]
