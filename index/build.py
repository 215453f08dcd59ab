"""Bringing the index up to date with the corpus folder, incrementally."""

from __future__ import annotations

import datetime as dt
import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from corpus import Article, Chunk
from corpus.chunk import ChunkParams, chunk_article
from corpus.load import Skipped, load_corpus
from index import store
from index.cache import VectorCache, text_hash
from index.embed import Embedder
from index.generation import Generation
from index.store import IndexError_

# all-MiniLM-L6-v2 was trained on inputs of up to 128 tokens and truncates at 256. On
# SQuAD dev (docs/quality.md) 128-token chunks retrieved better than 256-token ones and
# embed about twice as fast per token, so 128 it is.
DEFAULT_MAX_TOKENS = 128
EMBED_BATCH = 256  # chunks per progress step and per cache write


@dataclass
class BuildSummary:
    added: int = 0
    changed: int = 0
    removed: int = 0
    skipped: list[dict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # articles kept from the last build: their file went bad
    chunks_embedded: int = 0
    chunks_total: int = 0
    articles_total: int = 0
    generation: str | None = None
    up_to_date: bool = False
    model: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's build lock; a second build waits for the first to finish."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(index_dir) / "build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(corpus_dir: Path, index_dir: Path, embedder: Embedder,
                params: ChunkParams = ChunkParams(DEFAULT_MAX_TOKENS),
                rebuild: bool = False, progress: bool = True) -> BuildSummary:
    """Bring the index in `index_dir` up to date with the articles in `corpus_dir`."""
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        store.cleanup(index_dir)
        previous = _open_previous(index_dir)
        try:
            return _build(corpus_dir, index_dir, embedder, params, previous, rebuild, progress)
        finally:
            if previous is not None:
                previous.close()


def _open_previous(index_dir: Path) -> Generation | None:
    try:
        return Generation.open(index_dir)
    except IndexError_:
        return None  # nothing to reuse: a missing or damaged index is built afresh


def _build(corpus_dir, index_dir, embedder, params, previous, rebuild, progress) -> BuildSummary:
    read_at = dt.datetime.now(dt.timezone.utc).isoformat()
    loaded = load_corpus(corpus_dir)
    summary = BuildSummary(skipped=[asdict(s) for s in loaded.skipped], model=embedder.name)
    before = previous.article_hashes() if previous else {}
    articles = {a.id: a for a in loaded.articles}
    _keep_articles_of_bad_files(previous, before, articles, loaded.skipped, summary)
    same_setup = (previous is not None and not rebuild
                  and previous.manifest["model"]["name"] == embedder.name
                  and previous.manifest["chunking"] == _chunking(params))
    summary.added = sum(1 for aid in articles if aid not in before)
    summary.changed = sum(1 for aid, a in articles.items()
                          if aid in before and before[aid][0] != a.content_hash)
    summary.removed = sum(1 for aid in before if aid not in articles)
    if same_setup and not (summary.added or summary.changed or summary.removed):
        summary.up_to_date = True
        summary.generation = previous.name
        summary.chunks_total = previous.chunk_count()
        summary.articles_total = len(articles)
        return summary

    ordered = [articles[aid] for aid in sorted(articles)]
    chunks = _chunks(ordered, before, previous if same_setup else None, embedder, params, progress)
    vectors, summary.chunks_embedded = _vectors(index_dir, embedder, chunks, progress)
    name = store.next_name(index_dir)
    manifest = {
        "format_version": store.FORMAT_VERSION,
        "model": {"name": embedder.name, "dimension": embedder.dimension},
        "chunking": _chunking(params),
        "counts": {"articles": len(ordered), "chunks": len(chunks)},
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "corpus_read_at": read_at,  # files changed after this are newer than the index
        "corpus": str(Path(corpus_dir).resolve()),
    }
    store.write_generation(index_dir, name, ordered, chunks, vectors, manifest)
    store.cleanup(index_dir)
    summary.generation = name
    summary.chunks_total = len(chunks)
    summary.articles_total = len(ordered)
    return summary


def _keep_articles_of_bad_files(previous, before, articles, skipped: list[Skipped], summary) -> None:
    """An article whose file went bad stays as it was last indexed, rather than vanish."""
    bad_paths = {s.path for s in skipped}
    for aid, (_, path) in sorted(before.items()):
        if path in bad_paths and aid not in articles:
            articles[aid] = previous.article(aid)
            summary.kept.append(aid)


def _chunking(params: ChunkParams) -> dict:
    return {"max_tokens": params.max_tokens, "overlap_sentences": params.overlap_sentences}


def _chunks(articles: list[Article], before, previous: Generation | None, embedder,
            params, progress) -> list[Chunk]:
    """Chunks of every article: reused from the previous generation when unchanged."""
    reuse = set()
    if previous is not None:
        reuse = {a.id for a in articles if a.id in before and before[a.id][0] == a.content_hash}
    reused = {}
    for chunk in previous.chunks_of(sorted(reuse)) if reuse else []:
        reused.setdefault(chunk.article_id, []).append(chunk)
    chunks: list[Chunk] = []
    fresh = [a for a in articles if a.id not in reuse]
    bar = tqdm(total=len(fresh), desc="chunking", unit="article", disable=not progress or not fresh,
               file=sys.stderr)
    for article in articles:
        if article.id in reuse:
            chunks.extend(reused.get(article.id, []))
        else:
            chunks.extend(chunk_article(article, embedder, params))
            bar.update()
    bar.close()
    return chunks


def _vectors(index_dir: Path, embedder: Embedder, chunks: list[Chunk], progress) -> tuple[np.ndarray, int]:
    """Vectors for every chunk, from the cache where possible; returns (vectors, embedded)."""
    cache = VectorCache(Path(index_dir) / "cache.sqlite", embedder.name, embedder.dimension)
    try:
        hashes = [text_hash(c.text) for c in chunks]
        known = cache.get_many(hashes)
        missing: dict[bytes, str] = {}
        for h, chunk in zip(hashes, chunks):
            if h not in known:
                missing.setdefault(h, chunk.text)
        todo = list(missing.items())
        bar = tqdm(total=len(todo), desc="embedding", unit="chunk", disable=not progress or not todo,
                   file=sys.stderr)
        for i in range(0, len(todo), EMBED_BATCH):
            batch = todo[i:i + EMBED_BATCH]
            vectors = embedder.encode([text for _, text in batch])
            cache.put_many([h for h, _ in batch], vectors)
            known.update(zip((h for h, _ in batch), vectors))
            bar.update(len(batch))
        bar.close()
    finally:
        cache.close()
    matrix = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    for row, h in enumerate(hashes):
        matrix[row] = known[h]
    return matrix, len(todo)

