"""A generation's window onto its family's shared collections: the partitions of its segments,
the articles it tombstones, and its global ids.

In Milvus a row's id is a key, `segment << 32 | the row's id inside its segment`: the rows of
two segments never share a primary key (Milvus keeps one row per key in a result), and a segment's
rows need not move when the segments before it change. A generation lists its segments in
order with the global id each starts at, as the local store counts them
(index/store/generation.py), so a global id is that base plus the row's id inside the segment:
both stores answer with the same ids.
"""

from __future__ import annotations

import numpy as np

from index.store.milvus.address import family_names
from index.store.milvus.schema import alive, both

SHIFT = 32
LOCAL = (1 << SHIFT) - 1
SCAN_BATCH = 2000
ARTICLE_FIELD = {"chunks": "article_id", "sentences": "article_id", "texts": "article_id", "articles": "id"}


def key(segment: int, local: int) -> int:
    """A row's id in Milvus: its segment's number and its id inside the segment."""
    return (int(segment) << SHIFT) | int(local)


class View:
    """Reads of one generation: only its partitions, never its tombstoned articles' rows."""

    def __init__(self, client, meta: dict):
        self.client = client
        self.names = family_names(meta["family"]["name"])
        segments = meta["segments"]
        self.partitions = [s["partition"] for s in segments]
        self.numbers = np.array([s["number"] for s in segments], dtype=np.int64)
        self.chunk_counts = {s["number"]: s["chunks"] for s in segments}
        self._bases = {kind: np.array([s[f"{kind}_base"] for s in segments], dtype=np.int64)
                       for kind in ("chunk", "sentence")}
        self._base_of = {kind: dict(zip(self.numbers.tolist(), bases.tolist())) for kind, bases in self._bases.items()}
        deleted = {s["number"]: s["deleted"] for s in segments}
        self._alive = {kind: alive(deleted, field) for kind, field in ARTICLE_FIELD.items()}

    # Ids: global (the local store's) and keys (Milvus's)

    def keys(self, kind: str, ids) -> list[int]:
        """The keys of global chunk or sentence ids (`kind` "chunk" or "sentence")."""
        ids = np.asarray(list(ids), dtype=np.int64)
        if not len(ids):
            return []
        at = np.searchsorted(self._bases[kind], ids, side="right") - 1
        return ((self.numbers[at] << SHIFT) | (ids - self._bases[kind][at])).tolist()

    def global_id(self, kind: str, key_: int) -> int:
        """The global id of a chunk or sentence key."""
        return self._base_of[kind][int(key_) >> SHIFT] + (int(key_) & LOCAL)

    def sentence_range(self, chunk_key: int, first: int, end: int) -> tuple[int, int]:
        """The keys of sentences [first, end) of a chunk's segment."""
        segment = int(chunk_key) >> SHIFT
        return key(segment, first), key(segment, end)

    # Reads

    def where(self, kind: str, expression: str = "") -> str:
        """`expression` within the live rows of this generation."""
        return both(expression, self._alive.get(kind, ""))

    def query(self, kind: str, expression: str, fields: list[str], limit: int | None = None,
              live: bool = True) -> list[dict]:
        """Rows of a kind that match; `live=False` also reads tombstoned rows (rows asked for by id)."""
        if not self.partitions:  # no partition named would mean all of them to Milvus
            return []
        where = (self.where(kind, expression) if live else expression) or "segment >= 0"
        extra = {"limit": limit} if limit is not None else {}
        return self.client.query(self.names[kind], filter=where, output_fields=fields,
                                 partition_names=self.partitions, **extra)

    def scan(self, kind: str, expression: str, fields: list[str]) -> list[dict]:
        """Every live row that matches, however many."""
        if not self.partitions:
            return []
        return scan(self.client, self.names[kind], self.where(kind, expression) or "segment >= 0", fields,
                    self.partitions)

    def search(self, kind: str, data: list, field: str, limit: int, expression: str, fields: list[str],
               params: dict) -> list[dict]:
        """The hits of one search over the live rows of this generation's partitions."""
        if not self.partitions:
            return []
        return self.client.search(self.names[kind], data=data, anns_field=field, limit=limit,
                                  filter=self.where(kind, expression), output_fields=fields,
                                  search_params=params, partition_names=self.partitions)[0]


def scan(client, collection: str, where: str, fields: list[str], partitions: list[str] | None = None) -> list[dict]:
    """Every row that matches `where` (a query alone stops at Milvus's 16,384-row window)."""
    iterator = client.query_iterator(collection, batch_size=SCAN_BATCH, filter=where, output_fields=fields,
                                     partition_names=partitions)
    rows = []
    try:
        while batch := iterator.next():
            rows += batch
    finally:
        iterator.close()
    return rows
