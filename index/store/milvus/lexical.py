"""BM25 on Milvus: Milvus's BM25 function finds the candidates (filters applied inside it), and
they are scored again here with the collection's own statistics, by the formula of
index/store/lexicon.py.

Why both: Milvus Lite scores BM25 with each of its segments' own IDF and average length (a
known gap in Milvus Lite), so its order drifts from the local store's as a collection grows
past one segment. Measured on the news dev set (247 questions, 1,319 chunks): Milvus Lite's
own top 10 matched the local store's for 51 questions; rescored, see docs/scale-out.md. The
chunks' stems come back with the search, so the rescoring costs no extra round trip.
"""

from __future__ import annotations

import math
from collections import Counter

from index.store.lexicon import B, K1

OVERFETCH = 2  # candidates asked of Milvus per result wanted: room for its order to differ


def rescore(hits: list[dict], stems: list[str], df: list[int], total: int, avgdl: float) -> list[tuple[float, int]]:
    """(score, chunk id) of each hit (holding "id" and "terms"), best first, ties by id."""
    idf = {s: math.log(1 + (total - n + 0.5) / (n + 0.5)) for s, n in zip(stems, df)}
    scored = []
    for hit in hits:
        words = hit["terms"].split()
        counts = Counter(w for w in words if w in idf)
        norm = K1 * (1 - B + B * len(words) / avgdl)
        score = sum(idf[s] * tf * (K1 + 1) / (tf + norm) for s, tf in counts.items())
        if score > 0:
            scored.append((score, hit["id"]))
    return sorted(scored, key=lambda x: (-x[0], x[1]))
