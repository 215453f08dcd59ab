"""A generation's meta collection, `footnote_NNNNNN_meta`: what the alias names.

One row, "generation", holds the manifest, the family its segments live in and the segments in
order (partition, fingerprint, counts, the global ids each starts at); rows "deleted:N:K" hold
the article ids tombstoned in segment N, split so that each fits a JSON field (64 KB). A
generation is small however large the collection: an update writes this and its new segments.
"""

from __future__ import annotations

import json

from index.store.milvus.address import ALIAS, generation_of, meta_name
from index.store.milvus.schema import MAX_JSON, STAND_IN, create_meta
from index.store.milvus.view import scan

FORMAT = 2  # 2: segments kept once, as partitions of shared collections; 1: each generation a whole copy
TOMBSTONE_BYTES = MAX_JSON // 2  # article ids per tombstone row, in bytes of JSON: room to spare


def served(client, published: bool = False) -> str | None:
    """The generation the alias names (None before the first publish). `published`: the caller
    has seen the alias before, so one call does (the look-up every request makes)."""
    if not published and ALIAS not in client.list_aliases().get("aliases", []):
        return None
    return generation_of(client.describe_alias(ALIAS)["collection_name"])


def next_generation(client) -> str:
    numbers = [int(g) for g in (generation_of(c) for c in client.list_collections()) if g]
    return f"{max(numbers, default=0) + 1:06d}"


def kept_metas(client) -> list[dict]:
    """The metas of the generations a store keeps, the served one first, then the one it replaced
    (requests still on it finish)."""
    metas, name = [], served(client)
    while name is not None and len(metas) < 2:
        metas.append(read_meta(client, name))
        name = metas[-1].get("previous")
    return metas


def read_meta(client, generation: str) -> dict:
    """The generation's meta, each segment with its sorted `deleted` article ids."""
    rows = scan(client, meta_name(generation), 'key != ""', ["key", "value"])
    meta = next(r["value"] for r in rows if r["key"] == "generation")
    deleted: dict[int, list[str]] = {}
    for r in rows:
        if r["key"].startswith("deleted:"):
            deleted.setdefault(r["value"]["segment"], []).extend(r["value"]["articles"])
    for segment in meta.get("segments", []):
        segment["deleted"] = sorted(deleted.get(segment["number"], []))
    return meta


def write_meta(client, generation: str, meta: dict) -> None:
    """Create the generation's meta collection and write `meta` into it (segments' `deleted`
    lists become tombstone rows), flushed."""
    collection = meta_name(generation)
    create_meta(client, collection)
    head = {**meta, "segments": [{k: v for k, v in s.items() if k != "deleted"} for s in meta["segments"]]}
    rows = [{"key": "generation", "value": head, "stand_in": STAND_IN}]
    for segment in meta["segments"]:
        for n, articles in enumerate(_pieces(segment["deleted"])):
            rows.append({"key": f"deleted:{segment['number']}:{n}", "value": {"segment": segment["number"],
                                                                              "articles": articles},
                         "stand_in": STAND_IN})
    for at in range(0, len(rows), 100):
        client.insert(collection, rows[at:at + 100])
    client.flush(collection)


def _pieces(ids: list[str]):
    """The ids in lists of at most TOMBSTONE_BYTES of JSON each."""
    piece, size = [], 0
    for aid in ids:
        cost = len(json.dumps(aid)) + 2
        if piece and size + cost > TOMBSTONE_BYTES:
            yield piece
            piece, size = [], 0
        piece.append(aid)
        size += cost
    if piece:
        yield piece
