"""The vector side of a Milvus generation: search and vectors by global id, in the shape of
index/store/spread.py's SpreadVectors."""

from __future__ import annotations

import numpy as np

from index.store.milvus.schema import HNSW, listed
from index.store.milvus.view import View


class FilterSubset:
    """A dense search's subset given as a Milvus filter expression rather than as ids; its
    length says only whether any chunk passes (0 or 1), which is all a caller asks of it."""

    def __init__(self, expression: str, nonempty: bool):
        self.expression, self.nonempty = expression, nonempty

    def __len__(self) -> int:
        return int(self.nonempty)


class MilvusVectors:
    """Search and vectors by id over the `vector` field of a generation's chunks or sentences
    (`kind` "chunk" or "sentence"; inner product)."""

    def __init__(self, view: View, kind: str, dimension: int, rows: int = 0, known: dict | None = None):
        self.view, self.kind, self.dimension, self.rows = view, kind, dimension, rows
        self.collection = f"{kind}s"
        self.known = known if known is not None else {}  # rows already read, by global id, holding "vector"

    def count(self) -> int:
        return self.rows

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The best `k` live (scores, ids); within `subset`: ids, or a FilterSubset of this generation."""
        where = ""
        if subset is not None:
            if not len(subset):
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            where = subset.expression if isinstance(subset, FilterSubset) else \
                f"id in {listed(self.view.keys(self.kind, subset))}"
        hits = self.view.search(self.collection, [np.asarray(query, dtype=np.float32).tolist()], "vector",
                                min(k, 16_384), where, ["id"],
                                {"metric_type": "IP", "params": {"ef": max(k, HNSW["efConstruction"])}})
        found = ordered([(h["distance"], self.view.global_id(self.kind, h["id"])) for h in hits])
        return (np.array([s for s, _ in found], dtype=np.float32), np.array([i for _, i in found], dtype=np.int64))

    def vectors(self, ids) -> np.ndarray:
        ids = [int(i) for i in ids]
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        rows = {i: row for i in ids if (row := self.known.get(i)) is not None}
        missing = [i for i in ids if i not in rows]
        if missing:
            found = self.view.query(self.collection, f"id in {listed(self.view.keys(self.kind, missing))}",
                                    ["id", "vector"], live=False)
            rows.update({self.view.global_id(self.kind, r["id"]): r for r in found})
        for n, i in enumerate(ids):
            out[n] = rows[i]["vector"]
        return out


def ordered(hits: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """Best score first, ties by id (as the local store orders them)."""
    return sorted(hits, key=lambda h: (-h[0], h[1]))
