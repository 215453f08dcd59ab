"""Publishing a generation into Milvus: write only the segments the store lacks, then move the alias.

The store keeps each local segment once, as a partition of its family's five shared collections
(segment_rows.py), and each generation as a small meta collection (meta.py): its segments in
order, the global ids each starts at, its tombstones. A publish writes the partitions of the
local segments that no kept generation holds yet (told by fingerprint), flushes them, writes
the meta collection, and only then moves the alias to it: a reader sees the old generation or
the new one, never a mix. An update of ten articles writes one small partition and a meta
collection; a local merge writes its merged segment as a new partition, and the folded ones
go when no kept generation lists them (cleanup.py).

A family is begun (a whole copy, once) for the first publish, when the vectors' dimension
changes, or when the collection grows past EXACT_BELOW chunks under an exact (FLAT) index: a
collection's vector index is chosen when it is made.
"""

from __future__ import annotations

import re

from index.store.generation import Generation
from index.store.spread import bm25_idf
from index.store.milvus.address import ALIAS, family_names, family_of, is_lite, meta_name
from index.store.milvus.meta import FORMAT, kept_metas, served, write_meta
from index.store.milvus.schema import EXACT_BELOW, create_family
from index.store.milvus.segment_rows import fingerprint, segment_rows

BATCH_ROWS = 1000
BATCH_BYTES = 16 << 20  # well under the default gRPC message limit (64 MB)
_PARTITION = re.compile(r"^s(\d+)$")


def local_segments(local: Generation) -> list[dict]:
    """The segments of `local` as a Milvus generation lists them, less where they are stored."""
    out, chunk_base, sentence_base = [], 0, 0
    for segment, spec in zip(local.segments, local.manifest["segments"]):
        out.append({"fingerprint": fingerprint(segment, local.manifest), "local": segment.id,
                    "chunks": segment.chunk_count, "sentences": segment.sentence_count,
                    "chunk_base": chunk_base, "sentence_base": sentence_base,
                    "deleted": sorted(spec.get("deleted", []))})
        chunk_base += segment.chunk_count
        sentence_base += segment.sentence_count
    return out


def holds(meta: dict, local: Generation) -> bool:
    """Whether a published generation serves what `local` holds: the same segments, tombstones
    and setup (the fingerprint covers the model and the chunking)."""
    if meta.get("format") != FORMAT:
        return False
    mine = [(s["fingerprint"], s["deleted"]) for s in local_segments(local)]
    return mine == [(s["fingerprint"], s["deleted"]) for s in meta["segments"]]


def write_generation(client, local: Generation, name: str) -> dict:
    """Write the segments of `local` the store lacks and the meta collection of generation `name`
    (not yet served); its meta, whose `written` lists the partitions written now."""
    current = served(client)
    kept = [m for m in kept_metas(client) if m.get("format") == FORMAT]
    family = _family(client, kept[0] if kept and kept[0]["generation"] == current else None, local)
    segments, written = _store_segments(client, family, local, kept)
    meta = {"format": FORMAT, "generation": name, "manifest": _slim(local.manifest), "source_generation": local.name,
            "family": family, "segments": segments, "total_chunks": local.total_chunks(),
            "avgdl": bm25_idf(local, [])[1],  # the lexicon's average chunk length, for BM25
            "counts": {"chunks": local.chunk_count(), "articles": local.article_count()},
            "previous": current, "written": written}
    write_meta(client, name, meta)
    return meta


def _store_segments(client, family: dict, local: Generation, kept: list[dict]) -> tuple[list[dict], list[str]]:
    """(the generation's segment list, the partitions written for it): a segment a kept generation
    of the family holds is listed again, the others are written."""
    names = family_names(family["name"])
    held: dict[str, list[dict]] = {}
    for meta in kept:
        if meta["family"]["name"] == family["name"]:
            for s in meta["segments"]:
                held.setdefault(s["fingerprint"], []).append(s)
    number = _next_number(client, names)
    segments, used, written = [], set(), []
    for segment, entry in zip(local.segments, local_segments(local)):
        # A number appears once in a generation (tombstones are per number), yet two segments
        # can be alike: the local build rewrites a segment left with no live article as an
        # empty one, and every empty segment has the same fingerprint.
        stored = next((s for s in held.get(entry["fingerprint"], []) if s["number"] not in used), None)
        if stored is None:
            stored = {"number": number, "partition": f"s{number:06d}"}
            _write_segment(client, names, segment, number, stored["partition"])
            written.append(stored["partition"])
            number += 1
        used.add(stored["number"])
        segments.append({"number": stored["number"], "partition": stored["partition"], **entry})
    if written:
        lite = is_lite(client)
        for collection in names.values():
            client.flush(collection)
            if not lite:  # a partition made in a loaded collection is searched once loaded; Milvus
                client.load_partitions(collection, written)  # Lite loads whole collections only
    return segments, written


def switch(client, name: str) -> None:
    """Point the alias at generation `name`: one metadata change, seen whole by every reader."""
    target = meta_name(name)
    if served(client) is None:
        client.create_alias(target, ALIAS)
    else:
        client.alter_alias(target, ALIAS)


def _family(client, current: dict | None, local: Generation) -> dict:
    """The family the served generation's segments live in, or a new one when it cannot take
    `local`'s (another dimension, or grown past an exact index)."""
    dimension, total = local.manifest["model"]["dimension"], local.total_chunks()
    family = current["family"] if current else None
    if family and family["dimension"] == dimension and (family["dense"] == "HNSW" or total < EXACT_BELOW):
        return family
    numbers = [int(f[1:]) for f in (family_of(c) for c in client.list_collections()) if f]
    family = {"name": f"f{max(numbers, default=0) + 1:06d}", "dimension": dimension,
              "dense": "FLAT" if total < EXACT_BELOW else "HNSW"}
    create_family(client, family_names(family["name"]), dimension, family["dense"])
    return family


def _next_number(client, names: dict[str, str]) -> int:
    """A segment number no partition of the family has."""
    taken = [int(m.group(1)) for p in client.list_partitions(names["chunks"]) if (m := _PARTITION.match(p))]
    return max(taken, default=0) + 1


def _write_segment(client, names: dict[str, str], segment, number: int, partition: str) -> None:
    for kind, rows in segment_rows(segment, number).items():
        client.create_partition(names[kind], partition)
        _insert(client, names[kind], partition, rows)


def _slim(manifest: dict) -> dict:
    """The manifest without its segments' tombstone lists (they can be long; the meta's
    tombstone rows hold them)."""
    segments = [{k: v for k, v in s.items() if k != "deleted"} for s in manifest.get("segments", [])]
    return {**manifest, "segments": segments}


def _insert(client, collection: str, partition: str, rows) -> None:
    batch, size = [], 0
    for row in rows:
        batch.append(row)
        size += sum(len(v.encode()) if isinstance(v, str) else 4 * len(v) if isinstance(v, list) else 8
                    for v in row.values())
        if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
            client.insert(collection, batch, partition_name=partition)
            batch, size = [], 0
    if batch:
        client.insert(collection, batch, partition_name=partition)
