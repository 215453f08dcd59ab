"""A loaded generation: its manifest and the segments it lists, seen as one index.

Chunk and sentence ids are global: a segment's local ids shifted by the counts of the segments
before it in the manifest. Articles tombstoned in a segment (deleted or replaced by a later
segment) are invisible: their rows, vectors and postings are never returned. Everything that
reads a generation goes through these methods; no SQL leaves this package.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.terms import stem
from index.store import fanout, layout
from index.store.errors import IndexCorrupt, IndexMissing
from index.store.filters import Filters, where
from index.store.lexicon import MINHASHES
from index.store.layout import check_manifest
from index.store.reader import OpenedGeneration
from index.store.segment import MemoryBudget, Segment, article_from_row
from index.store.spread import Part, SpreadVectors, bm25_idf, dead_mask

_LISTED = ("id", "title", "title_source", "published", "url", "source", "author", "tags", "path")


class Generation(OpenedGeneration):
    """One immutable generation, opened for reading."""

    def __init__(self, path: Path, manifest: dict, segments: list[Segment]):
        self.path = path
        self.name = manifest["generation"]
        self.manifest = manifest
        self.segments = segments
        deleted = {s["id"]: set(s.get("deleted", ())) for s in manifest["segments"]}
        self._dead = [deleted.get(seg.id, set()) for seg in segments]
        self._chunk_parts = _parts(segments, self._dead, "chunks")
        self._sentence_parts = _parts(segments, self._dead, "sentences")
        self.vectors = SpreadVectors(self._chunk_parts)
        self.fan_out = fanout.worth_it(self.total_chunks())  # a question's work side by side (fanout.py)
        self.takes_turns = not self.fan_out
        self.sentence_vectors = SpreadVectors(self._sentence_parts)
        self._sentence_base = {part.segment.id: part.base for part in self._sentence_parts}
        self._home = {aid: n for n, seg in enumerate(segments) for aid in seg.article_ids() if aid not in self._dead[n]}

    @staticmethod
    def served_manifest(index_dir: Path) -> dict:
        """The manifest of the generation CURRENT names, read without opening its segments."""
        name = layout.current_name(index_dir)
        if name is None:
            raise IndexMissing(f"no index in {index_dir}; build one with `footnote index`")
        return {**layout.read_manifest(layout.generations_dir(index_dir) / name), "generation": name}

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None) -> Generation:
        """Open the generation CURRENT names; with `model`, refuse an index built with another."""
        manifest = cls.served_manifest(index_dir)
        name = manifest["generation"]
        path = layout.generations_dir(index_dir) / name
        check_manifest(manifest, index_dir, model)
        segments = []
        budget = MemoryBudget(Segment.SMALL_TOTAL_BYTES)
        try:
            for spec in manifest["segments"]:
                segments.append(Segment.open(layout.segments_dir(index_dir) / spec["id"],
                                             manifest["model"]["dimension"], budget))
        except (KeyError, TypeError) as exc:
            raise IndexCorrupt(f"the manifest of generation {name} is unreadable ({exc}); "
                               "rebuild with `footnote index --rebuild`") from None
        return cls(path, manifest, segments)

    def close(self) -> None:
        for segment in self.segments:
            segment.close()

    # Counts and articles

    def chunk_count(self) -> int:
        return sum(int(p.live.sum()) if p.live is not None else p.count for p in self._chunk_parts)

    def article_count(self) -> int:
        return len(self._home)

    def article(self, article_id: str) -> Article | None:
        n = self._home.get(article_id)
        if n is None:
            return None
        return article_from_row(self.segments[n].article_row(article_id))

    def articles(self) -> list[Article]:
        found = [article_from_row(row) for n, seg in enumerate(self.segments)
                 for row in seg.article_rows() if row[0] not in self._dead[n]]
        return sorted(found, key=lambda a: a.id)

    def article_text(self, article_id: str) -> str:
        return self.segments[self._home[article_id]].article_text(article_id)

    def list_articles(self, filters: Filters, offset: int, limit: int, text: str = "",
                      newest_first: bool = False) -> tuple[int, list[dict]]:
        """(how many match, one page of their metadata), in id order or newest first (undated
        last). `text`: the title or id holds it, or the article holds every one of its words."""
        clause, params = where(filters)
        rows = []
        for n, seg in enumerate(self.segments):
            holding = seg.articles_holding(text) if text else None
            rows += [row for row in seg.listed(_LISTED, clause, params)
                     if row[0] not in self._dead[n] and (not text or _mentions(row, text) or row[0] in holding)]
        if newest_first:
            rows.sort(key=lambda r: r[0])
            rows.sort(key=lambda r: r[3] or "", reverse=True)  # stable: ties stay in id order
            rows.sort(key=lambda r: r[3] is None)
        else:
            rows.sort(key=lambda r: r[0])
        page = rows[offset:offset + limit]
        return len(rows), [{**dict(zip(_LISTED, row)), "tags": json.loads(row[7])} for row in page]

    def sources(self) -> dict[str, int]:
        """How many live articles each source has."""
        counts: dict[str, int] = {}
        for n, seg in enumerate(self.segments):
            for aid, source in seg.sources():
                if aid not in self._dead[n]:
                    counts[source] = counts.get(source, 0) + 1
        return dict(sorted(counts.items()))

    def article_hashes(self) -> dict[str, tuple[str, str]]:
        """`{article id: (content hash, file path)}` for every live article."""
        return {aid: (h, p) for n, seg in enumerate(self.segments)
                for aid, h, p in seg.article_hashes()
                if aid not in self._dead[n]}

    def chunks_of(self, article_ids: list[str]) -> list[Chunk]:
        """The chunks of these (live) articles, in the order given, then by ordinal."""
        return [chunk for aid in article_ids for chunk in self.segments[self._home[aid]].chunks_of(aid)]

    def chunks_in(self, article_id: str) -> int:
        """How many chunks an article has."""
        return self.segments[self._home[article_id]].chunk_count_of(article_id)

    def home_segment(self, article_id: str) -> str | None:
        """The id of the segment that holds an article's live copy."""
        n = self._home.get(article_id)
        return None if n is None else self.segments[n].id

    # Chunks and sentences (global ids)

    def chunk_rows(self, ids: list[int]) -> dict[int, tuple]:
        """`{chunk id: (Chunk, title, published, url, source)}` for these live ids."""
        return {part.base + row[0]: row[1:] for part, local in self.vectors.split(ids)
                for row in part.segment.chunks_with_articles(local)}

    def sentences_within(self, chunk_id: int) -> list[tuple[int, int, int]]:
        """`(id, start, end)` of the sentence units inside a chunk, in order."""
        part, local = self.vectors.locate(chunk_id)
        lexicon = part.segment.lexicon
        first, end = lexicon.chunk_sent[local].tolist()
        return self._sentence_rows(part, first, end, None)

    def sentences_around(self, chunk_id: int, n: int) -> list[tuple[int, int, int]]:
        """The `n` sentence units just before a chunk and the `n` just after it, in its article."""
        part, local = self.vectors.locate(chunk_id)
        lexicon = part.segment.lexicon
        first, end = (int(x) for x in lexicon.chunk_sent[local])
        article = int(lexicon.sent_span[first][2]) if end > first else self._article_row(part, local)
        before = self._sentence_rows(part, max(0, first - n), first, article)
        after = self._sentence_rows(part, end, min(part.segment.sentence_count, end + n), article)
        return before + after

    @staticmethod
    def _article_row(part: Part, local: int) -> int:
        """The segment row of a chunk's article (for a chunk that holds no sentence of its own)."""
        return part.segment.article_row_of(local)

    def _sentence_rows(self, chunk_part: Part, first: int, end: int, article: int | None):
        base = self._sentence_base[chunk_part.segment.id] + first
        spans = chunk_part.segment.lexicon.sent_span[first:end].tolist()  # plain ints: numpy's cost per item
        return [(base + i, s, e) for i, (s, e, a) in enumerate(spans) if article is None or a == article]

    def sentence_coverage(self, sentence_ids: list[int], stems: list[str], weights: np.ndarray) -> np.ndarray:
        """For each sentence, the sum of the `weights` of the (distinct) `stems` it holds."""
        out = np.zeros(len(sentence_ids), dtype=np.float64)
        for part, local, positions in self.sentence_vectors.split(sentence_ids, positions=True):
            lexicon = part.segment.lexicon
            ids = lexicon.term_ids(stems)
            known = ids >= 0
            if not known.any():
                continue
            order = np.argsort(ids[known])
            query_ids, query_weights = ids[known][order], np.asarray(weights, dtype=np.float64)[known][order]
            terms, owner = lexicon.sentence_terms(local)
            at = np.minimum(np.searchsorted(query_ids, terms), len(query_ids) - 1)
            hit = query_ids[at] == terms
            out[positions] = np.bincount(owner[hit], weights=query_weights[at[hit]], minlength=len(local))
        return out

    def minhashes(self, chunk_ids: list[int]) -> np.ndarray:
        """The MinHash signatures of these chunks (rows in the order given)."""
        out = np.zeros((len(chunk_ids), MINHASHES), dtype=np.uint64)
        for part, local, positions in self.vectors.split(chunk_ids, positions=True):
            out[positions] = part.segment.lexicon.minhash[local]
        return out

    # Search

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """The ids of the live chunks whose articles pass the filters."""
        clause, params = where(filters)
        found = []
        for part in self._chunk_parts:
            local = part.segment.chunk_ids_where(clause, params)
            if part.live is not None and len(local):
                local = local[part.live[local]]
            found.append(local + part.base)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def search_subset(self, filters: Filters) -> np.ndarray:
        """What a dense search within the filters takes as its subset (here: the chunk ids);
        empty when no chunk passes."""
        return self.chunk_ids(filters)

    def document_frequency(self, stems: list[str]) -> np.ndarray:
        """How many chunks of the generation hold each stem (tombstoned ones included)."""
        return sum((seg.lexicon.frequencies(stems) for seg in self.segments), np.zeros(len(stems), dtype=np.int64))

    def prefix_frequency(self, stems: list[str]) -> np.ndarray:
        """How many chunks hold a word starting with each stem (see Lexicon.prefix_frequencies)."""
        total = self.total_chunks()
        found = sum((seg.lexicon.prefix_frequencies(stems) for seg in self.segments), np.zeros(len(stems), dtype=np.int64))
        return np.minimum(found, total)

    def total_chunks(self) -> int:
        """Chunks stored, tombstoned ones included (the N of IDF, matching document_frequency)."""
        return sum(seg.chunk_count for seg in self.segments)

    def lexical(self, terms: list[str], filters: Filters, limit: int) -> list[int]:
        """Live chunk ids by BM25 over the stems of `terms`, best first, within the filters."""
        stems = list(dict.fromkeys(stem(t) for t in terms))
        if not stems or not self.segments:
            return []
        idf, avgdl = bm25_idf(self, stems)
        allowed = self._allowed(filters) if filters.active else None
        best_scores, best_ids = [], []
        for n, part in enumerate(self._chunk_parts):
            live = part.live if allowed is None else allowed[n]
            scores = part.segment.lexicon.bm25(stems, idf, avgdl, live)
            top = _best(scores, limit)
            best_scores.append(scores[top])
            best_ids.append(top + part.base)
        if len(best_ids) <= 1:  # one segment: _best's order is already the answer's
            return best_ids[0].tolist() if best_ids else []
        scores, ids = np.concatenate(best_scores), np.concatenate(best_ids)
        return ids[np.lexsort((ids, -scores))][:limit].tolist()

    def _allowed(self, filters: Filters) -> list[np.ndarray]:
        ids = self.chunk_ids(filters)
        masks = []
        for part in self._chunk_parts:
            mask = np.zeros(part.count, dtype=bool)
            inside = ids[(ids >= part.base) & (ids < part.base + part.count)] - part.base
            mask[inside] = True
            masks.append(mask)
        return masks


def _best(scores: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the `limit` best positive scores, best first, ties by index: what a stable
    sort of the whole array would give, for the cost of a partition (segments hold ~10^5 rows)."""
    hits = np.flatnonzero(scores > 0)
    if len(hits) > limit:
        found = scores[hits]
        kth = np.partition(found, len(found) - limit)[len(found) - limit]
        above = hits[found > kth]
        hits = np.concatenate([above, hits[found == kth][:limit - len(above)]])
    return hits[np.lexsort((hits, -scores[hits]))]


def _parts(segments: list[Segment], dead: list[set[str]], kind: str) -> list[Part]:
    parts, base = [], 0
    for seg, gone in zip(segments, dead):
        store = seg.chunks if kind == "chunks" else seg.sentences
        count = seg.chunk_count if kind == "chunks" else seg.sentence_count
        parts.append(Part(seg, store, base, count, dead_mask(seg, gone, kind, count)))
        base += count
    return parts


def _mentions(row, text: str) -> bool:
    """Whether an article's id or title (row of _LISTED) holds `text`, ignoring case."""
    needle = text.lower()
    return needle in row[0].lower() or needle in (row[1] or "").lower()
