"""What is being served: one status for `footnote status`, `GET /v1/index` and the bot's /status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.load import corpus_files

if TYPE_CHECKING:
    from index.store import GenerationReader


def index_status(generation: GenerationReader, where: str, corpus: Path) -> dict:
    """What an open generation serves (the API and the bot have one open)."""
    return status_of({**generation.manifest, "generation": generation.name}, where, corpus,
                     generation.article_count(), generation.chunk_count())


def status_of(manifest: dict, where: str, corpus: Path, articles: int | None = None, chunks: int | None = None) -> dict:
    """The generation a manifest describes: its model and chunking, counts (the manifest's unless
    given), build time, and the corpus files changed since; `where` is the store's
    (index/stores.py): the index folder, or the Milvus address."""
    counts = manifest.get("counts", {})
    read_at = dt.datetime.fromisoformat(manifest.get("corpus_read_at", manifest["built_at"])).timestamp()
    newer = []
    if Path(corpus).is_dir():
        newer = [p.relative_to(corpus).as_posix() for p in corpus_files(Path(corpus)) if p.stat().st_mtime > read_at]
    return {"generation": manifest["generation"], "index": str(where), "model": manifest["model"],
            "chunking": manifest["chunking"], "articles": counts.get("articles") if articles is None else articles,
            "chunks": counts.get("chunks") if chunks is None else chunks, "built_at": manifest["built_at"],
            "corpus": str(corpus), "newer_than_index": newer}


def feeds_status(corpus: Path) -> dict:
    """The feeds in the corpus folder's feeds.toml with what their polls left (corpus/feeds), or
    why they cannot be read."""
    from corpus.feeds import FeedsFileError, load_feeds
    from corpus.feeds.state import FeedsState

    try:
        return {"feeds": FeedsState.load(corpus).overview(load_feeds(corpus)), "error": None}
    except (FeedsFileError, OSError) as exc:
        return {"feeds": [], "error": str(exc)}
