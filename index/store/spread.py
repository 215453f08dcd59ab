"""One index spread over segments: global ids, tombstones, and searches that ask every segment
and merge what they find."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.store import fanout
from index.store.segment import Segment
from index.store.vectors import VectorStore


@dataclass
class Part:
    """A segment's vector store seen from the whole generation."""

    segment: Segment
    store: VectorStore
    base: int  # its first global id
    count: int  # rows stored, tombstoned ones included
    live: np.ndarray | None  # False for tombstoned rows; None when none is

    def dead_count(self) -> int:
        return 0 if self.live is None else int(self.count - self.live.sum())


class SpreadVectors:
    """The read side of the vector store seam (search, vectors, count) over all segments."""

    def __init__(self, parts: list[Part]):
        self.parts = parts
        self._bases = np.array([p.base for p in parts], dtype=np.int64)

    def count(self) -> int:
        return sum(p.count for p in self.parts)

    @property
    def dimension(self) -> int:
        return self.parts[0].store.dimension if self.parts else 0

    def locate(self, gid: int) -> tuple[Part, int]:
        if len(self.parts) == 1:
            return self.parts[0], int(gid) - self.parts[0].base
        n = int(np.searchsorted(self._bases, gid, side="right")) - 1
        return self.parts[n], int(gid) - self.parts[n].base

    def split(self, ids, positions: bool = False):
        """(part, local ids[, positions in `ids`]) for every part that some of `ids` fall in."""
        ids = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        if not len(ids):
            return []
        if len(self.parts) == 1:  # most collections: one segment, and its ids are the global ones
            part = self.parts[0]
            local = ids - part.base if part.base else ids
            return [(part, local, np.arange(len(ids))) if positions else (part, local)]
        owner = np.searchsorted(self._bases, ids, side="right") - 1
        out = []
        for n in np.unique(owner):
            where = np.flatnonzero(owner == n)
            local = ids[where] - self.parts[n].base
            out.append((self.parts[n], local, where) if positions else (self.parts[n], local))
        return out

    def vectors(self, ids) -> np.ndarray:
        ids = list(ids)
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(self.parts) == 1:  # one segment: its rows as they are, without the gather
            part = self.parts[0]
            return part.store.vectors(np.asarray(ids, dtype=np.int64) - part.base)
        out = None
        for part, local, where in self.split(ids, positions=True):
            rows = part.store.vectors(local)
            if out is None:
                out = np.zeros((len(ids), rows.shape[1]), dtype=np.float32)
            out[where] = rows
        return out

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The best `k` live (scores, global ids), asking every segment and merging."""
        found: list[tuple[float, int]] = []
        pieces = self.split(subset) if subset is not None else [(p, None) for p in self.parts]
        if len(pieces) > 1 and fanout.worth_it(self.count()):  # the segments side by side
            answers = list(fanout.pool().map(lambda piece: _search_part(piece[0], query, k, piece[1]), pieces))
        else:
            answers = [_search_part(part, query, k, local) for part, local in pieces]
        if len(pieces) == 1:  # one segment: its answer in the same order, without the merge
            scores = np.asarray(answers[0][0], dtype=np.float32)
            ids = np.asarray(answers[0][1], dtype=np.int64) + pieces[0][0].base
            order = np.lexsort((ids, -scores))[:k]  # best first, ties by id
            return scores[order], ids[order]
        for (part, _), (scores, ids) in zip(pieces, answers):
            found += [(float(s), part.base + int(i)) for s, i in zip(scores, ids)]
        found.sort(key=lambda x: (-x[0], x[1]))
        found = found[:k]
        return (np.array([s for s, _ in found], dtype=np.float32), np.array([i for _, i in found], dtype=np.int64))


def _search_part(part: Part, query: np.ndarray, k: int, local: np.ndarray | None):
    """A segment's best `k` live rows, within `local` when given."""
    if local is not None:
        if part.live is not None:
            local = local[part.live[local]]
        return part.store.search(query, k, local) if len(local) else (np.zeros(0), np.zeros(0, dtype=np.int64))
    dead = part.dead_count()
    if not dead:
        return part.store.search(query, k)
    if dead <= 4 * k:  # few tombstones: ask for more and drop them
        scores, ids = part.store.search(query, k + dead)
        keep = part.live[ids]
        return scores[keep][:k], ids[keep][:k]
    return part.store.search(query, k, np.flatnonzero(part.live))


def dead_mask(segment: Segment, deleted: set[str], kind: str, count: int) -> np.ndarray | None:
    """The live rows of a segment's chunks or sentences, given its tombstoned article ids."""
    if not deleted:
        return None
    live = np.ones(count, dtype=bool)
    table = "chunks" if kind == "chunks" else "sentences"
    names = sorted(deleted)
    for i in range(0, len(names), 500):
        batch = names[i:i + 500]
        rows = segment.db.execute(f"SELECT id FROM {table} WHERE article_id IN ({','.join('?' * len(batch))})", batch)
        live[[r for (r,) in rows]] = False
    return live


def bm25_idf(generation, stems: list[str]) -> tuple[np.ndarray, float]:
    """Collection-wide BM25 IDF of each stem, and the average chunk length in terms."""
    total = max(generation.total_chunks(), 1)
    df = generation.document_frequency(stems)
    idf = np.log(1 + (total - df + 0.5) / (df + 0.5))
    return idf.astype(np.float32), generation.memo("avgdl", lambda: _average_length(generation, total))


def _average_length(generation, total: int) -> float:
    lengths = sum(float(np.asarray(seg.lexicon.doc_len).sum()) for seg in generation.segments)
    return max(lengths / total, 1.0) if math.isfinite(lengths) else 1.0
