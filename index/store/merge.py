"""Folding segments together, as Lucene's tiered merging does: every update adds a small
segment, and when a size tier holds SEGMENTS_PER_TIER of them they are merged into one of the
next tier; a segment whose rows are mostly tombstones is rewritten without them. A merge copies
rows and vectors (nothing is embedded again) and rebuilds the lexicon of what it keeps.

Measured on Reuters (docs/benchmarks.md): with 8 per tier and tiers of 8x, an update of ten
articles stays a fraction of a second while the number of segments a question visits stays
under about 20 for 20,000 articles.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from corpus import Chunk
from index.store import layout
from index.store.segment import ARTICLE_COLUMNS, Segment, article_from_row
from index.store.integrity import record_whole
from index.store.segment_write import rename_into_place, write_segment

SEGMENTS_PER_TIER = 8
TIER_FACTOR = 8
EXPUNGE_DEAD_SHARE = 0.3  # rewrite a segment once this share of its chunks is tombstoned


def live_chunks(spec: dict) -> int:
    return spec["chunks"] - spec.get("dead_chunks", 0)


def plan(specs: list[dict]) -> list[list[str]]:
    """Groups of segment ids to merge (a group of one: rewrite it without its tombstones)."""
    groups = [[s["id"]] for s in specs if s["chunks"] and s.get("dead_chunks", 0) / s["chunks"] > EXPUNGE_DEAD_SHARE]
    rewritten = {i for g in groups for i in g}
    tiers: dict[int, list[str]] = {}
    for spec in specs:
        if spec["id"] not in rewritten:
            tier = int(math.log(max(live_chunks(spec), 1), TIER_FACTOR))
            tiers.setdefault(tier, []).append(spec["id"])
    groups += [ids for _, ids in sorted(tiers.items()) if len(ids) >= SEGMENTS_PER_TIER]
    return groups


def merge(index_dir: Path, segments: list[Segment], dead: list[set[str]]) -> dict:
    """Write one segment holding the live articles of `segments` (in order); returns its
    manifest entry. `dead[n]` are the tombstoned article ids of `segments[n]`."""
    articles, chunks, sentences, chunk_vectors, sentence_vectors = [], [], [], [], []
    for segment, gone in zip(segments, dead):
        a, c, s, cv, sv = _live_rows(segment, gone)
        articles += a
        chunks += c
        sentences += s
        chunk_vectors.append(cv)
        sentence_vectors.append(sv)
    name = layout.next_segment_name(index_dir)
    final = layout.segments_dir(index_dir) / name
    tmp = final.with_name(f".tmp-{name}")
    spec = write_segment(tmp, articles, chunks, sentences, np.vstack(chunk_vectors), np.vstack(sentence_vectors))
    rename_into_place(tmp, final)
    record_whole(final, spec)
    return entry(name, spec)


def entry(name: str, spec: dict) -> dict:
    """A segment as a generation's manifest lists it."""
    counts = spec["counts"]
    return {"id": name, "articles": counts["articles"], "chunks": counts["chunks"],
            "sentences": counts["sentences"], "deleted": [], "dead_chunks": 0}


def _live_rows(segment: Segment, gone: set[str]):
    """The live articles of a segment with their chunks, sentences and vectors, in row order."""
    db = segment.db
    articles = [article_from_row(row) for row in db.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY row")
                if row[0] not in gone]
    text = {a.id: a.text for a in articles}
    chunk_rows = [r for r in db.execute('SELECT id, article_id, ordinal, start, "end", text FROM chunks ORDER BY id')
                  if r[1] in text]
    sentence_rows = [r for r in db.execute('SELECT id, article_id, ordinal, start, "end" FROM sentences ORDER BY id')
                     if r[1] in text]
    chunks = [Chunk(aid, n, s, e, t) for _, aid, n, s, e, t in chunk_rows]
    sentences = [Chunk(aid, n, s, e, text[aid][s:e]) for _, aid, n, s, e in sentence_rows]
    chunk_vectors = segment.chunks.vectors([r[0] for r in chunk_rows])
    sentence_vectors = segment.sentences.vectors([r[0] for r in sentence_rows])
    return articles, chunks, sentences, chunk_vectors, sentence_vectors
