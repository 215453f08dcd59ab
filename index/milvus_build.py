"""Building into a Milvus store: the local build (index/build/) brings the builder's own
index folder up to date, incrementally and with its vector cache; the segments of its
generation that the store lacks are then written, with a new generation listing them, and
published by moving the alias (index/store/milvus/publish.py). All of it runs under the store's
build lease, so builders on different machines take turns."""

from __future__ import annotations

from pathlib import Path

from index.build import BuildSummary, build_index
from index.embed import Embedder
from index.store import Generation
from index.store.milvus import (Lease, connect, drop_unused, holds, next_generation, parse_address, read_meta,
                                served, switch, write_generation)


def build_into_milvus(store: str, corpus_dir: Path, index_dir: Path, embedder: Embedder, wait_s: float = 0.0,
                      **options) -> BuildSummary:
    """Bring the Milvus store `store` up to date with `corpus_dir`; `index_dir` is this builder's
    working folder, `options` go to build_index."""
    address = parse_address(store)
    client = connect(address)
    with Lease(client, str(address), wait_s) as lease:
        name = next_generation(client)  # before the drop: a failed build's name is never used again
        drop_unused(client)  # what a failed build left: never served, so no reader holds it
        summary = build_index(corpus_dir, index_dir, embedder, **options)
        with Generation.open(index_dir, embedder.name) as local:
            current = served(client)
            if current is not None and holds(read_meta(client, current), local):
                summary.generation = current
                return summary
            write_generation(client, local, name)
            lease.check()
            switch(client, name)
        drop_unused(client)
    summary.generation, summary.up_to_date = name, False
    return summary

