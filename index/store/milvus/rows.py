"""Rows of a Milvus generation read by id, and kept a while: a question asks for the same chunks'
rows, sentence ranges, MinHash signatures, and their sentences' terms and vectors several times
over; read together, they cost a few round trips, not one per passage.

Rows are kept by global id (the local store's), with `key` (Milvus's id) beside it; a chunk's
`sent_first` and `sent_end` are global too, and `sent_local` holds them inside its segment.
"""

from __future__ import annotations

from index.store.milvus.schema import listed, literal
from index.store.milvus.view import View

CHUNK_FIELDS = ["id", "article_id", "ordinal", "start", "end", "text", "info", "sent_first", "sent_end", "minhash"]
SENTENCE_FIELDS = ["id", "article_id", "start", "end", "terms", "vector"]
KEEP = 20_000  # chunk rows, and sentence rows, kept per generation; past it, start over
KEEP_TEXTS = 256  # article texts


class Rows:
    """The chunk and sentence rows and article texts of one generation, read once."""

    def __init__(self, view: View):
        self.view = view
        self.chunks: dict[int, dict] = {}
        self.sentences: dict[int, dict] = {}  # also what the sentence vectors are read from
        self.texts: dict[str, str] = {}

    def chunk_rows(self, ids) -> dict[int, dict]:
        """Chunk rows by global id, with their sentences read in the same go."""
        found, missing = _known(self.chunks, ids)
        if missing:
            rows = self.view.query("chunks", f"id in {listed(self.view.keys('chunk', missing))}", CHUNK_FIELDS,
                                   live=False)
            rows = [self._chunk(r) for r in rows]
            found.update(_remember(self.chunks, rows))
            self.sentence_rows([s for r in rows for s in range(r["sent_first"], r["sent_end"])])
        return found

    def sentence_rows(self, ids) -> dict[int, dict]:
        found, missing = _known(self.sentences, ids)
        if missing:
            where = f"id in {listed(self.view.keys('sentence', missing))}"
            found.update(_remember(self.sentences, self._sentences(where)))
        return found

    def sentences_where(self, where: str) -> list[dict]:
        """The sentence rows a filter expression picks (on keys), kept with the others."""
        rows = self._sentences(where)
        _remember(self.sentences, rows)
        return rows

    def text(self, article_id: str) -> str:
        text = self.texts.get(article_id)
        if text is None:
            rows = self.view.query("texts", f"article_id == {literal(article_id)}", ["part", "text"])
            text = "".join(r["text"] for r in sorted(rows, key=lambda r: r["part"]))
            if len(self.texts) >= KEEP_TEXTS:
                self.texts.clear()
            self.texts[article_id] = text
        return text

    def _chunk(self, row: dict) -> dict:
        """A chunk row of Milvus with global ids."""
        first, end = row["sent_first"], row["sent_end"]
        low = self.view.global_id("sentence", self.view.sentence_range(row["id"], first, end)[0])
        return {**row, "id": self.view.global_id("chunk", row["id"]), "key": row["id"], "sent_local": (first, end),
                "sent_first": low, "sent_end": low + end - first}

    def _sentences(self, where: str) -> list[dict]:
        rows = self.view.query("sentences", where, SENTENCE_FIELDS, live=False)
        return [{**r, "id": self.view.global_id("sentence", r["id"])} for r in rows]


def _known(kept: dict[int, dict], ids) -> tuple[dict[int, dict], list[int]]:
    """(the rows of `ids` already kept, the ids still to read)."""
    found = {}
    for i in map(int, ids):
        row = kept.get(i)  # one look-up: another thread may start the dict over meanwhile
        if row is not None:
            found[i] = row
    return found, [i for i in map(int, ids) if i not in found]


def _remember(kept: dict[int, dict], rows: list[dict]) -> dict[int, dict]:
    """Keep rows by id; returns them by id."""
    if len(kept) > KEEP:
        kept.clear()
    fresh = {r["id"]: r for r in rows}
    kept.update(fresh)
    return fresh
