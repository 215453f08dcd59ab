"""Dropping what no kept generation of a Milvus store uses.

Kept: the served generation and the one served before it (requests still on it finish). Every
other generation's meta collection goes, and so do the partitions and families neither of the
two lists: segments folded by a merge, segments of articles long replaced, and whatever a build
that failed before its switch wrote (no published generation ever named it, so no reader holds it).
"""

from __future__ import annotations

from index.store.milvus.address import family_of, generation_of, is_lite
from index.store.milvus.meta import FORMAT, kept_metas

DEFAULT_PARTITION = "_default"  # Milvus makes it with every collection; Footnote writes nothing there


def drop_unused(client) -> list[str]:
    """Drop every generation, partition and family but the kept ones; the names dropped
    (`collection` or `collection/partition`). Call it only while holding the build lease:
    another build's half-written partitions look just like a failed build's."""
    metas = kept_metas(client)
    generations = {m["generation"] for m in metas}
    partitions: dict[str, set[str]] = {}
    for meta in metas:
        if meta.get("format") == FORMAT:
            partitions.setdefault(meta["family"]["name"], set()).update(s["partition"] for s in meta["segments"])
    dropped, lite = [], is_lite(client)
    for collection in client.list_collections():
        generation, family = generation_of(collection), family_of(collection)
        if (generation and generation not in generations) or (family and family not in partitions):
            client.drop_collection(collection)
            dropped.append(collection)
        elif family:
            for partition in client.list_partitions(collection):
                if partition != DEFAULT_PARTITION and partition not in partitions[family]:
                    _drop_partition(client, collection, partition, lite)
                    dropped.append(f"{collection}/{partition}")
    return dropped


def _drop_partition(client, collection: str, partition: str, lite: bool) -> None:
    if not lite:  # Milvus drops only a released partition; Milvus Lite releases whole collections only
        client.release_partitions(collection, [partition])
    client.drop_partition(collection, partition)
