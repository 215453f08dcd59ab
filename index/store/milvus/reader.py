"""A generation on Milvus, read through the same methods as a local one (index/store/generation.py).

Everything is asked of Milvus, within the generation's partitions and without its tombstoned
articles (milvus/view.py): dense search on its vector index, BM25 candidates through its BM25
function over the chunks' stems (ordered by the collection's statistics), filters as Milvus
expressions, rows by id. Chunk rows a question has read are kept a while, with their sentences
(milvus/rows.py).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from corpus import Article, Chunk
from corpus.terms import index_terms, stem
from index.store.errors import IndexMismatch, IndexMissing
from index.store.filters import Filters
from index.store.layout import check_manifest
from index.store.reader import OpenedGeneration
from index.store.lexicon import MINHASHES
from index.store.milvus.lexical import OVERFETCH, rescore
from index.store.milvus.meta import FORMAT, read_meta, served
from index.store.milvus.rows import Rows
from index.store.milvus.schema import article_expression, expression, listed, literal, prefix_range
from index.store.milvus.vectors import FilterSubset, MilvusVectors
from index.store.milvus.view import View


class MilvusGeneration(OpenedGeneration):
    """One published generation on Milvus, opened for reading (Milvus spreads a question's work
    itself: no fan-out here)."""

    path = None  # no folder: the generation lives in Milvus

    def __init__(self, client, meta: dict, where: str):
        self.client = client
        self.where = where
        self.meta = meta
        self.name = meta["generation"]
        self.manifest = {**meta["manifest"], "generation": self.name}
        self.view = View(client, meta)
        dimension = self.manifest["model"]["dimension"]
        self.vectors = MilvusVectors(self.view, "chunk", dimension, meta["counts"]["chunks"])
        self.rows = Rows(self.view)
        self.sentence_vectors = MilvusVectors(self.view, "sentence", dimension, known=self.rows.sentences)

    @classmethod
    def open(cls, client, where: str, model: str | None = None) -> MilvusGeneration:
        """The generation the alias names; with `model`, refuse one built with another."""
        name = served(client)
        if name is None:
            raise IndexMissing(f"no index in the Milvus store {where}; build one with "
                               f"`footnote index --store {where}`")
        meta = read_meta(client, name)
        if meta.get("format") != FORMAT:
            raise IndexMismatch(f"generation {name} in the Milvus store {where} was published by an earlier "
                                f"Footnote (store format {meta.get('format', 1)}, this one reads {FORMAT}); "
                                f"publish it again with `footnote index --store {where}`")
        check_manifest(meta["manifest"], where, model)
        return cls(client, meta, where)

    def close(self) -> None:
        """Nothing to release: the client is the store's, shared by its generations."""

    # Counts and articles

    def chunk_count(self) -> int:
        return self.meta["counts"]["chunks"]

    def article_count(self) -> int:
        return self.meta["counts"]["articles"]

    def total_chunks(self) -> int:
        return self.meta["total_chunks"]

    def article(self, article_id: str) -> Article | None:
        rows = self.view.query("articles", f"id == {literal(article_id)}", ["info"])
        return _article(article_id, rows[0]["info"], self.article_text(article_id)) if rows else None

    def articles(self) -> list[Article]:
        parts: dict[str, list[tuple[int, str]]] = {}
        for r in self.view.scan("texts", "", ["article_id", "part", "text"]):
            parts.setdefault(r["article_id"], []).append((r["part"], r["text"]))
        return [_article(r["id"], r["info"], "".join(t for _, t in sorted(parts.get(r["id"], []))))
                for r in sorted(self._article_rows(""), key=lambda r: r["id"])]

    def article_text(self, article_id: str) -> str:
        return self.rows.text(article_id)

    def list_articles(self, filters: Filters, offset: int, limit: int, text: str = "",
                      newest_first: bool = False) -> tuple[int, list[dict]]:
        """As Generation.list_articles: the filters go to Milvus, the words to the chunks' stems."""
        rows = self._article_rows(article_expression(filters))
        if text:
            needle, holding = text.lower(), self._holding_all(text)
            rows = [r for r in rows if needle in r["id"].lower() or needle in (r["info"]["title"] or "").lower()
                    or r["id"] in holding]
        rows.sort(key=lambda r: r["id"])
        if newest_first:
            rows.sort(key=lambda r: r["info"]["published"] or "", reverse=True)
            rows.sort(key=lambda r: r["info"]["published"] is None)
        listed_ = [{"id": r["id"], **{k: r["info"][k] for k in ("title", "title_source", "published", "url", "source",
                                                               "author", "tags", "path")}} for r in rows]
        return len(rows), listed_[offset:offset + limit]

    def sources(self) -> dict[str, int]:
        counts = Counter(r["info"]["source"] for r in self._article_rows('source != ""'))
        return dict(sorted(counts.items()))

    def article_hashes(self) -> dict[str, tuple[str, str]]:
        return {r["id"]: (r["info"]["content_hash"], r["info"]["path"]) for r in self._article_rows("")}

    def chunks_of(self, article_ids: list[str]) -> list[Chunk]:
        rows = self.view.scan("chunks", f"article_id in {listed(article_ids)}",
                              ["article_id", "ordinal", "start", "end", "text"])
        order = {aid: n for n, aid in enumerate(article_ids)}
        rows.sort(key=lambda r: (order[r["article_id"]], r["ordinal"]))
        return [Chunk(r["article_id"], r["ordinal"], r["start"], r["end"], r["text"]) for r in rows]

    def chunks_in(self, article_id: str) -> int:
        return len(self.view.scan("chunks", f"article_id == {literal(article_id)}", ["id"]))

    def home_segment(self, article_id: str) -> str | None:
        return None  # segment ids are the local builder's; a store's partitions are numbered its own way

    # Chunks and sentences (the local generation's global ids)

    def chunk_rows(self, ids: list[int]) -> dict[int, tuple]:
        return {i: (Chunk(r["article_id"], r["ordinal"], r["start"], r["end"], r["text"]), r["info"]["title"],
                    r["info"]["published"], r["info"]["url"], r["info"]["source"])
                for i, r in self.rows.chunk_rows(ids).items()}

    def sentences_within(self, chunk_id: int) -> list[tuple[int, int, int]]:
        row = self.rows.chunk_rows([chunk_id])[chunk_id]
        found = self.rows.sentence_rows(range(row["sent_first"], row["sent_end"]))
        return [(i, r["start"], r["end"]) for i, r in sorted(found.items())]

    def sentences_around(self, chunk_id: int, n: int) -> list[tuple[int, int, int]]:
        """As Generation.sentences_around: the neighbours within the chunk's segment."""
        row = self.rows.chunk_rows([chunk_id])[chunk_id]
        first, end = row["sent_local"]
        before = self.view.sentence_range(row["key"], max(0, first - n), first)
        after = self.view.sentence_range(row["key"], end, end + n)
        where = " or ".join(f"(id >= {low} and id < {high})" for low, high in (before, after))
        where = f"({where}) and article_id == {literal(row['article_id'])}"
        rows = self.rows.sentences_where(where)
        return sorted((r["id"], r["start"], r["end"]) for r in rows)

    def sentence_coverage(self, sentence_ids: list[int], stems: list[str], weights: np.ndarray) -> np.ndarray:
        """For each sentence, the sum of the `weights` of the (distinct) `stems` it holds."""
        rows = self.rows.sentence_rows(sentence_ids)
        weight = dict(zip(stems, np.asarray(weights, dtype=np.float64)))
        return np.array([sum(weight.get(t, 0.0) for t in rows[int(i)]["terms"].split()) for i in sentence_ids],
                        dtype=np.float64)

    def minhashes(self, chunk_ids: list[int]) -> np.ndarray:
        records = self.rows.chunk_rows(chunk_ids)
        out = np.zeros((len(chunk_ids), MINHASHES), dtype=np.uint64)
        for n, i in enumerate(chunk_ids):
            out[n] = np.array(records[int(i)]["minhash"], dtype=np.int64).view(np.uint64)
        return out

    # Search

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """The ids of the chunks that pass the filters."""
        ids = [self.view.global_id("chunk", r["id"]) for r in self.view.scan("chunks", expression(filters), ["id"])]
        return np.array(sorted(ids), dtype=np.int64)

    def search_subset(self, filters: Filters) -> FilterSubset:
        """The filters themselves, for a dense search to apply inside Milvus: no list of ids is
        read; one row is, to tell whether any chunk passes."""
        where = expression(filters)
        any_ = self.view.query("chunks", where, ["id"], limit=1)
        return FilterSubset(where, bool(any_))

    def document_frequency(self, stems: list[str]) -> np.ndarray:
        rows = self.view.scan("terms", f"term in {listed(stems)}", ["term", "df"]) if stems else []
        found = Counter()
        for r in rows:
            found[r["term"]] += r["df"]
        return np.array([found[s] for s in stems], dtype=np.int64)

    def prefix_frequency(self, stems: list[str]) -> np.ndarray:
        """As the lexicon counts it: per segment the sum of the frequencies of the words starting
        with the stem, at most the segment's chunks; summed, at most all chunks. One scan for all."""
        stems_ = [s for s in dict.fromkeys(stems) if s]
        rows = self.view.scan("terms", " or ".join(f"({prefix_range(s)})" for s in stems_),
                              ["term", "segment", "df"]) if stems_ else []
        caps, out = self.view.chunk_counts, []
        for s in stems:
            per_segment = Counter()
            for r in rows:
                if s and r["term"].startswith(s):
                    per_segment[r["segment"]] += r["df"]
            out.append(min(sum(min(v, caps[k]) for k, v in per_segment.items()), self.total_chunks()))
        return np.array(out, dtype=np.int64)

    def lexical(self, terms: list[str], filters: Filters, limit: int) -> list[int]:
        """Chunk ids by BM25 over the stems of `terms`, best first, within the filters: Milvus's
        BM25 function finds them, the collection's statistics order them (milvus/lexical.py)."""
        stems = list(dict.fromkeys(stem(t) for t in terms))
        if not stems:
            return []
        hits = self.view.search("chunks", [" ".join(stems)], "sparse", min(limit * OVERFETCH, 16_384),
                                expression(filters), ["id", "terms"], {"metric_type": "BM25"})
        rows = [{"id": self.view.global_id("chunk", h["id"]), "terms": h["entity"]["terms"]} for h in hits]
        df = self.document_frequency(stems).tolist()
        return [i for _, i in rescore(rows, stems, df, self.total_chunks(), self.meta["avgdl"])[:limit]]

    # Helpers

    def _article_rows(self, where: str) -> list[dict]:
        return self.view.scan("articles", where, ["id", "info"])

    def _holding_all(self, text: str) -> set[str]:
        """Ids of the articles whose chunks hold every content word of `text`."""
        stems = list(dict.fromkeys(index_terms(text)))
        found = None
        for s in stems:
            pattern = literal("% " + s.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + " %")
            ids = {r["article_id"] for r in self.view.scan("chunks", f"terms like {pattern}", ["article_id"])}
            found = ids if found is None else found & ids
            if not found:
                return set()
        return found or set()


def _article(article_id: str, info: dict, text: str) -> Article:
    return Article(article_id, text, info["title"], info["title_source"], info["published"], info["url"],
                   info["source"], info["author"], tuple(info["tags"]), info["path"])
