"""What is being served: one status for `footnote status`, `GET /v1/index` and the bot's /status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from corpus.load import corpus_files
from index.store import GenerationReader


def index_status(generation: GenerationReader, where: str, corpus: Path) -> dict:
    """The generation, its model and chunking, counts, build time, and corpus files changed since;
    `where` is the store's (index/stores.py): the index folder, or the Milvus address."""
    manifest = generation.manifest
    read_at = dt.datetime.fromisoformat(manifest.get("corpus_read_at", manifest["built_at"])).timestamp()
    newer = []
    if Path(corpus).is_dir():
        newer = [p.relative_to(corpus).as_posix() for p in corpus_files(Path(corpus)) if p.stat().st_mtime > read_at]
    return {"generation": generation.name, "index": str(where), "model": manifest["model"],
            "chunking": manifest["chunking"], "articles": generation.article_count(),
            "chunks": generation.chunk_count(), "built_at": manifest["built_at"], "corpus": str(corpus),
            "newer_than_index": newer}
