"""The vector side of a Milvus generation: search and vectors by id, in the shape of
index/store/spread.py's SpreadVectors; and reading many rows past Milvus's query window."""

from __future__ import annotations

import numpy as np

from index.store.milvus.schema import HNSW, listed

SCAN_BATCH = 2000


class FilterSubset:
    """A dense search's subset given as a Milvus filter expression rather than as ids; its
    length says only whether any chunk passes (0 or 1), which is all a caller asks of it."""

    def __init__(self, expression: str, nonempty: bool):
        self.expression, self.nonempty = expression, nonempty

    def __len__(self) -> int:
        return int(self.nonempty)


class MilvusVectors:
    """Search and vectors by id over one collection's `vector` field (inner product)."""

    def __init__(self, client, collection: str, dimension: int, rows: int = 0, known: dict | None = None):
        self.client, self.collection, self.dimension, self.rows = client, collection, dimension, rows
        self.known = known if known is not None else {}  # rows already read, by id, holding "vector"

    def count(self) -> int:
        return self.rows

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The best `k` (scores, ids); within `subset`: ids, or a FilterSubset of this generation."""
        where = ""
        if subset is not None:
            if not len(subset):
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            where = subset.expression if isinstance(subset, FilterSubset) else f"id in {listed(subset)}"
        hits = self.client.search(self.collection, data=[np.asarray(query, dtype=np.float32).tolist()],
                                  anns_field="vector", limit=min(k, 16_384), filter=where, output_fields=["id"],
                                  search_params={"metric_type": "IP", "params": {"ef": max(k, HNSW["efConstruction"])}})[0]
        found = ordered([(h["distance"], h["id"]) for h in hits])
        return (np.array([s for s, _ in found], dtype=np.float32), np.array([i for _, i in found], dtype=np.int64))

    def vectors(self, ids) -> np.ndarray:
        ids = [int(i) for i in ids]
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        rows = {i: row for i in ids if (row := self.known.get(i)) is not None}
        missing = [i for i in ids if i not in rows]
        if missing:
            rows.update({r["id"]: r for r in self.client.query(self.collection, filter=f"id in {listed(missing)}",
                                                                output_fields=["vector"])})
        for n, i in enumerate(ids):
            out[n] = rows[i]["vector"]
        return out


def ordered(hits: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """Best score first, ties by id (as the local store orders them)."""
    return sorted(hits, key=lambda h: (-h[0], h[1]))


def scan(client, collection: str, where: str, fields: list[str]) -> list[dict]:
    """Every row that matches `where` (a query alone stops at Milvus's 16,384-row window)."""
    iterator = client.query_iterator(collection, batch_size=SCAN_BATCH, filter=where, output_fields=fields)
    rows = []
    try:
        while batch := iterator.next():
            rows += batch
    finally:
        iterator.close()
    return rows
