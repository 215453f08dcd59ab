"""Bringing the index up to date with the corpus folder, incrementally."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from corpus import Article, Chunk
from corpus.chunk import ChunkParams, split_article
from corpus.load import Skipped, load_corpus
from index import store
from index.embed import Embedder, VectorCache, text_hash
from index.progress import Progress, Report, build_lock
from index.store import Generation, IndexError_

# all-MiniLM-L6-v2 was trained on inputs of up to 128 tokens and truncates at 256, so a
# chunk's budget (special tokens included) never goes past 256. Measured on 2,000 SQuAD dev
# questions (docs/quality.md): 128 / 192 / 256 tokens gave passage recall@1 0.844 / 0.858 /
# 0.867 and @5 0.943 / 0.955 / 0.966, the same answer hit (0.879 / 0.875 / 0.874), and
# question latency p50 28 / 33 / 36 ms; 256 embeds about a quarter slower per token. The
# sentence vectors keep quotes precise however long the chunk, so the longest budget the
# model reads whole wins: more context per passage for a modest cost.
DEFAULT_MAX_TOKENS = 256
EMBED_BATCH = 256  # chunks per progress step and per cache write


class EmptyCorpus(IndexError_):
    """The corpus folder holds no articles but the index does: refused unless asked for."""


@dataclass
class BuildSummary:
    added: int = 0
    changed: int = 0
    removed: int = 0
    skipped: list[dict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # articles kept from the last build: their file went bad
    chunks_embedded: int = 0
    sentences_embedded: int = 0  # sentence vectors rerank passages and pick the quotes
    chunks_total: int = 0
    articles_total: int = 0
    generation: str | None = None
    up_to_date: bool = False
    model: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def build_index(corpus_dir: Path, index_dir: Path, embedder: Embedder,
                params: ChunkParams = ChunkParams(DEFAULT_MAX_TOKENS),
                rebuild: bool = False, progress: bool = True,
                cache_path: Path | None = None, on_progress: Progress | None = None,
                allow_empty: bool = False) -> BuildSummary:
    """Bring the index in `index_dir` up to date with the articles in `corpus_dir`.

    Vectors are cached in `cache_path` (default: cache.sqlite in the index folder); indexes
    that share a cache never embed the same text twice. `on_progress(stage, done, total)` is
    called from the building thread as articles are chunked and texts embedded. A corpus
    with no articles never replaces an index that has some (an unmounted disk looks just like
    that) unless `allow_empty`.
    """
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        store.cleanup(index_dir)
        previous = _open_previous(index_dir)
        try:
            cache = Path(cache_path) if cache_path else index_dir / "cache.sqlite"
            report = Report(progress, on_progress)
            return _build(corpus_dir, index_dir, embedder, params, previous, rebuild, report, cache,
                          allow_empty)
        finally:
            if previous is not None:
                previous.close()


def _open_previous(index_dir: Path) -> Generation | None:
    try:
        return Generation.open(index_dir)
    except IndexError_:
        return None  # nothing to reuse: a missing or damaged index is built afresh


def _build(corpus_dir, index_dir, embedder, params, previous, rebuild, report, cache, allow_empty) -> BuildSummary:
    read_at = dt.datetime.now(dt.timezone.utc).isoformat()
    before = previous.article_hashes() if previous else {}
    loaded = load_corpus(corpus_dir, owners={aid: path for aid, (_, path) in before.items()})
    summary = BuildSummary(skipped=[s.as_dict() for s in loaded.skipped], model=embedder.name)
    articles = {a.id: a for a in loaded.articles}
    _keep_articles_of_bad_files(previous, before, articles, loaded.skipped, summary)
    if not articles and before and not allow_empty:
        raise EmptyCorpus(f"the corpus folder {corpus_dir} holds no articles, but the index holds {len(before)}; "
                          "if the folder is on a disk that is not mounted, mount it and run again; to empty "
                          "the index on purpose, run `footnote index --allow-empty`")
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
    chunks, sentences = _split(ordered, before, previous if same_setup else None, embedder, params, report)
    texts = [c.text for c in chunks] + [s.text for s in sentences]
    matrix, embedded = _vectors(cache, embedder, texts, report)
    vectors, sentence_vectors = matrix[:len(chunks)], matrix[len(chunks):]
    chunk_hashes = {text_hash(c.text) for c in chunks}
    summary.chunks_embedded = len(embedded & chunk_hashes)
    summary.sentences_embedded = len(embedded - chunk_hashes)
    name = store.next_name(index_dir)
    manifest = {
        "format_version": store.FORMAT_VERSION,
        "model": {"name": embedder.name, "dimension": embedder.dimension},
        "chunking": _chunking(params),
        "counts": {"articles": len(ordered), "chunks": len(chunks), "sentences": len(sentences)},
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "corpus_read_at": read_at,  # files changed after this are newer than the index
        "corpus": str(Path(corpus_dir).resolve()),
    }
    store.write_generation(index_dir, name, ordered, chunks, vectors, sentences, sentence_vectors,
                           manifest)
    store.cleanup(index_dir)
    summary.generation = name
    summary.chunks_total = len(chunks)
    summary.articles_total = len(ordered)
    return summary


def _keep_articles_of_bad_files(previous, before, articles, skipped: list[Skipped], summary) -> None:
    """An article whose file (or folder) went bad stays as it was last indexed, rather than
    vanish; not when the file now leads out of the corpus folder."""
    bad_files = {s.path for s in skipped if s.keep_previous and not s.path.endswith("/")}
    bad_folders = tuple(s.path for s in skipped if s.keep_previous and s.path.endswith("/"))
    for aid, (_, path) in sorted(before.items()):
        if aid not in articles and (path in bad_files or path.startswith(bad_folders)):
            articles[aid] = previous.article(aid)
            summary.kept.append(aid)


# Bumped when sentence splitting changes, so that an index re-cuts every article (its vectors
# stay cached by text): 2 = a heading line ends a sentence.
SENTENCE_RULES = 2


def _chunking(params: ChunkParams) -> dict:
    return {"max_tokens": params.max_tokens, "overlap_sentences": params.overlap_sentences,
            "sentence_rules": SENTENCE_RULES}


def _split(articles: list[Article], before, previous: Generation | None, embedder,
           params: ChunkParams, report: Report) -> tuple[list[Chunk], list[Chunk]]:
    """Chunks and sentence units of every article, reused from the previous generation when
    the article is unchanged."""
    reuse = set()
    if previous is not None:
        reuse = {a.id for a in articles if a.id in before and before[a.id][0] == a.content_hash}
    old_chunks = _by_article(previous.chunks_of(sorted(reuse)) if reuse else [])
    old_sentences = _by_article(previous.sentences_of(sorted(reuse)) if reuse else [])
    chunks: list[Chunk] = []
    sentences: list[Chunk] = []
    fresh = [a for a in articles if a.id not in reuse]
    bar = report.stage("chunking", len(fresh), "article")
    for article in articles:
        if article.id in reuse:
            chunks.extend(old_chunks.get(article.id, []))
            sentences.extend(old_sentences.get(article.id, []))
            continue
        article_chunks, article_sentences = split_article(article, embedder, params)
        chunks.extend(article_chunks)
        sentences.extend(article_sentences)
        bar.update(1)
    bar.close()
    return chunks, sentences


def _by_article(items: list[Chunk]) -> dict[str, list[Chunk]]:
    grouped: dict[str, list[Chunk]] = {}
    for item in items:
        grouped.setdefault(item.article_id, []).append(item)
    return grouped


def _vectors(cache_path: Path, embedder: Embedder, texts: list[str], report: Report) -> tuple[np.ndarray, set[bytes]]:
    """Vectors for the texts, from the cache where possible; returns (vectors, hashes embedded now)."""
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache = VectorCache(cache_path, embedder.cache_key, embedder.dimension,
                        adopt=getattr(embedder, "legacy_cache_key", None))
    try:
        hashes = [text_hash(t) for t in texts]
        known = cache.get_many(hashes)
        todo = list({h: t for h, t in zip(hashes, texts) if h not in known}.items())
        bar = report.stage("embedding", len(todo), "text")
        for i in range(0, len(todo), EMBED_BATCH):
            batch = todo[i:i + EMBED_BATCH]
            vectors = embedder.encode([text for _, text in batch])
            cache.put_many([h for h, _ in batch], vectors)
            known.update(zip((h for h, _ in batch), vectors))
            bar.update(len(batch))
        bar.close()
    finally:
        cache.close()
    matrix = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for row, h in enumerate(hashes):
        matrix[row] = known[h]
    return matrix, {h for h, _ in todo}
