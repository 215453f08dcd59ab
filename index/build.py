"""Bringing the index up to date with the corpus folder, incrementally."""

from __future__ import annotations

import datetime as dt
import errno
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from corpus import Article
from corpus.chunk import ChunkParams, split_articles
from corpus.load import Reader, load_corpus, read_files
from index import store
from index.defaults import DEFAULT_MAX_TOKENS, DEFAULT_SENTENCE_VECTORS, SENTENCE_VECTORS  # noqa: F401 - re-exported
from index.embed import Embedder, VectorCache, text_hash
from index.progress import Progress, Report, build_lock
from index.store import Generation, IndexUnavailable, merge
from index.store.segment import Segment, looks_whole, rename_into_place, write_segment

EMBED_BATCH = 256  # chunks per progress step and per cache write


class DiskFull(IndexUnavailable):
    """A build ran out of disk; the previous generation keeps serving."""


class EmptyCorpus(IndexUnavailable):
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
                allow_empty: bool = False, sentence_vectors: str | None = None, executor=None) -> BuildSummary:
    """Bring the index in `index_dir` up to date with the articles in `corpus_dir`.

    An update writes only what changed: a segment of the added and changed articles, and a new
    generation listing the old segments (with the replaced and removed articles tombstoned)
    and the new one; segments are merged when a size tier fills up (index/store/merge.py).
    Vectors are cached in `cache_path` (default: cache.sqlite in the index folder); indexes
    that share a cache never embed the same text twice. `on_progress(stage, done, total)` is
    called from the building thread as articles are chunked and texts embedded. A corpus
    with no articles never replaces an index that has some (an unmounted disk looks just like
    that) unless `allow_empty`. `sentence_vectors` is one of SENTENCE_VECTORS; by default an
    index keeps the way it was built (DEFAULT_SENTENCE_VECTORS for a new one); a change
    re-embeds the sentences. `executor` reads the changed files, chunks the new and changed
    articles and embeds what the cache lacks elsewhere (index/executor.py's RayExecutor); None
    does it all here.
    """
    index_dir = Path(index_dir)
    recipe = _chunking(params, sentence_vectors or _built_with(index_dir))
    with build_lock(index_dir):
        store.cleanup(index_dir)
        cache = Path(cache_path) if cache_path else index_dir / "cache.sqlite"
        job = _Job(corpus_dir, index_dir, embedder, params, recipe, Report(progress, on_progress), cache, executor)
        loaded, unchanged = _quick_look(corpus_dir, index_dir, embedder, recipe, rebuild, job.read)
        if unchanged is not None:
            return unchanged
        previous = _open_previous(index_dir)
        try:
            return job.run(previous, rebuild, allow_empty, loaded)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            store.cleanup(index_dir)  # the half-written segment or generation goes now, not next time
            raise DiskFull(f"the disk holding {index_dir} is full (writing {exc.filename or 'the index'}); the index "
                           "still serves its previous generation and the vector cache kept nothing half-written: "
                           "free space there (or point --index at a roomier disk) and run `footnote index` "
                           "again") from None
        finally:
            if previous is not None:
                previous.close()


def _quick_look(corpus_dir, index_dir: Path, embedder: Embedder, recipe: dict, rebuild: bool, read: Reader):
    """(the corpus read against the current generation's file list, or None; the summary of a
    build with nothing to do, or None). Only the manifest and the file list are read: every
    file with the signature it had is not parsed, and when none changed, came, went or went
    bad, the build is over before the index is opened."""
    name = store.current_name(index_dir)
    if rebuild or name is None:
        return None, None
    path = store.generations_dir(index_dir) / name
    try:
        manifest = store.read_manifest(path)
    except IndexUnavailable:
        return None, None
    if (manifest.get("format_version") != store.FORMAT_VERSION or manifest["model"]["name"] != embedder.name
            or manifest["chunking"] != recipe
            # the dimension its model recorded (the same model, by name): the model need not be loaded
            or not all(looks_whole(store.segments_dir(index_dir) / s["id"], manifest["model"]["dimension"])
                       for s in manifest["segments"])):
        return None, None
    known = store.read_files(path)
    owners = {aid: rel for rel, entry in known.items() for aid in entry["ids"]}
    loaded = load_corpus(corpus_dir, owners=owners, known=known, read=read)
    if loaded.articles or loaded.skipped or loaded.files != known:
        return loaded, None
    counts = manifest["counts"]
    return loaded, BuildSummary(up_to_date=True, generation=name, chunks_total=counts["chunks"],
                                articles_total=counts["articles"], model=embedder.name)


def _built_with(index_dir: Path) -> str:
    """How the current generation made its sentence vectors (the default for a new index)."""
    name = store.current_name(index_dir)
    try:
        chunking = store.read_manifest(store.generations_dir(index_dir) / name)["chunking"] if name else {}
    except IndexUnavailable:
        chunking = {}
    return chunking.get("sentence_vectors", DEFAULT_SENTENCE_VECTORS)


def _open_previous(index_dir: Path) -> Generation | None:
    try:
        return Generation.open(index_dir)
    except IndexUnavailable:
        return None  # nothing to reuse: a missing or damaged index is built afresh


class _Job:
    """One build: what changed, the new segment, the merges, the new generation."""

    def __init__(self, corpus_dir, index_dir: Path, embedder: Embedder, params: ChunkParams, recipe: dict,
                 report: Report, cache: Path, executor=None):
        self.corpus_dir, self.index_dir, self.embedder = corpus_dir, index_dir, embedder
        self.params, self.recipe, self.report, self.cache = params, recipe, report, cache
        self.executor = executor
        self.read = executor.read_files if executor is not None else read_files  # the files that changed

    def run(self, previous: Generation | None, rebuild: bool, allow_empty: bool, loaded=None) -> BuildSummary:
        """`loaded`: the corpus as the quick look read it against the previous generation's
        file list (files it did not parse are taken as they were); read again otherwise."""
        read_at = dt.datetime.now(dt.timezone.utc).isoformat()
        same_setup = (previous is not None and not rebuild
                      and previous.manifest["model"]["name"] == self.embedder.name
                      and previous.manifest["chunking"] == self.recipe)
        before = previous.article_hashes() if previous else {}
        if loaded is None or not same_setup:
            loaded = load_corpus(self.corpus_dir, owners={aid: path for aid, (_, path) in before.items()},
                                 known=store.read_files(previous.path) if same_setup else None,
                                 read=self.read)
        summary = BuildSummary(skipped=[s.as_dict() for s in loaded.skipped], model=self.embedder.name)
        parsed = {a.id: a for a in loaded.articles}
        kept = _kept(before, parsed, loaded)
        current = set(parsed) | {aid for ids in loaded.reused.values() for aid in ids} | kept
        summary.kept = sorted(kept)
        if not current and before and not allow_empty:
            raise EmptyCorpus(f"the corpus folder {self.corpus_dir} holds no articles, but the index holds "
                              f"{len(before)}; if the folder is on a disk that is not mounted, mount it and run "
                              "again; to empty the index on purpose, run `footnote index --allow-empty`")
        changed = [a for aid, a in parsed.items() if aid in before and before[aid][0] != a.content_hash]
        added = [a for aid, a in parsed.items() if aid not in before]
        removed = [aid for aid in before if aid not in current]
        summary.added, summary.changed, summary.removed = len(added), len(changed), len(removed)
        if same_setup and not (added or changed or removed):
            if loaded.files != store.read_files(previous.path):
                store.refresh_files(previous.path, loaded.files)  # touched, not changed: remember it
            return _up_to_date(summary, previous)
        if same_setup:
            fresh, segments = added + changed, _tombstoned(previous, [a.id for a in changed] + removed)
        else:
            fresh, segments = list(parsed.values()) + [previous.article(aid) for aid in kept], []
        if fresh:
            segments.append(self._segment(sorted(fresh, key=lambda a: a.id), summary))
        segments = self._merged(previous, segments)
        name = store.next_name(self.index_dir)
        store.publish(self.index_dir, name, self._manifest(segments, read_at), loaded.files)
        store.cleanup(self.index_dir)
        summary.generation = name
        summary.chunks_total = sum(merge.live_chunks(s) for s in segments)
        summary.articles_total = len(current)
        return summary

    def _segment(self, articles: list[Article], summary: BuildSummary) -> dict:
        """Chunk, embed and write the articles as a new segment; its manifest entry."""
        bar = self.report.stage("chunking", len(articles), "article")
        if self.executor is None:
            pieces = split_articles(articles, self.embedder, self.params, bar.update)
        else:  # the workers get the tokenizer alone, not the model
            pieces = self.executor.split_articles(articles, self.embedder.span_tokenizer(), self.params, bar.update)
        bar.close()
        chunks = [c for article_chunks, _ in pieces for c in article_chunks]
        sentences = [s for _, article_sentences in pieces for s in article_sentences]
        if self.recipe["sentence_vectors"] == "pooled":
            matrix, chunks_now, sentences_now = _pooled_vectors(self.cache, self.embedder, chunks, sentences,
                                                               self.report, self.executor)
        else:
            texts = [c.text for c in chunks] + [s.text for s in sentences]
            matrix, embedded = _vectors(self.cache, self.embedder, texts, self.report, self.executor)
            chunk_hashes = {text_hash(c.text) for c in chunks}
            chunks_now, sentences_now = len(embedded & chunk_hashes), len(embedded - chunk_hashes)
        summary.chunks_embedded += chunks_now
        summary.sentences_embedded += sentences_now
        name = store.next_segment_name(self.index_dir)
        final = store.segments_dir(self.index_dir) / name
        tmp = final.with_name(f".tmp-{name}")
        spec = write_segment(tmp, articles, chunks, sentences, matrix[:len(chunks)], matrix[len(chunks):])
        rename_into_place(tmp, final)
        return merge.entry(name, spec)

    def _open_segment(self, segment_id: str) -> Segment:
        return Segment.open(store.segments_dir(self.index_dir) / segment_id, self.embedder.dimension)

    def _merged(self, previous: Generation | None, segments: list[dict]) -> list[dict]:
        """The segments after the merges the policy asks for (repeated until none is due)."""
        opened = {s.id: s for s in previous.segments} if previous is not None else {}
        try:
            while groups := merge.plan(segments):
                for group in groups:
                    parts = [opened.get(i) or opened.setdefault(i, self._open_segment(i)) for i in group]
                    by_id = {s["id"]: s for s in segments}
                    merged = merge.merge(self.index_dir, parts, [set(by_id[i]["deleted"]) for i in group])
                    at = min(n for n, s in enumerate(segments) if s["id"] in group)
                    segments = [s for s in segments if s["id"] not in group]
                    segments.insert(at, merged)
        finally:
            for segment_id, segment in opened.items():
                if previous is None or segment not in previous.segments:
                    segment.close()
        return segments

    def _manifest(self, segments: list[dict], read_at: str) -> dict:
        live = {k: sum(s[k] for s in segments) for k in ("articles", "chunks", "sentences")}
        live["articles"] -= sum(len(s["deleted"]) for s in segments)
        live["chunks"] -= sum(s["dead_chunks"] for s in segments)
        return {"format_version": store.FORMAT_VERSION,
                "model": {"name": self.embedder.name, "dimension": self.embedder.dimension,
                          "vectors": self.embedder.cache_key},  # model | backend | precision
                "chunking": self.recipe, "counts": live, "segments": segments,
                "built_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "corpus_read_at": read_at,  # files changed after this are newer than the index
                "corpus": str(Path(self.corpus_dir).resolve())}


def _kept(before: dict, parsed: dict, loaded) -> set[str]:
    """Articles whose file (or folder) went bad: they stay as last indexed rather than vanish;
    not when the file now leads out of the corpus folder."""
    bad_files = {s.path for s in loaded.skipped if s.keep_previous and not s.path.endswith("/")}
    bad_folders = tuple(s.path for s in loaded.skipped if s.keep_previous and s.path.endswith("/"))
    return {aid for aid, (_, path) in before.items()
            if aid not in parsed and (path in bad_files or path.startswith(bad_folders))}


def _tombstoned(previous: Generation, article_ids: list[str]) -> list[dict]:
    """The previous generation's segment entries with these articles tombstoned."""
    segments = [dict(s, deleted=list(s.get("deleted", []))) for s in previous.manifest["segments"]]
    by_id = {s["id"]: s for s in segments}
    for aid in article_ids:
        spec = by_id[previous.home_segment(aid)]
        spec["deleted"].append(aid)
        spec["dead_chunks"] = spec.get("dead_chunks", 0) + previous.chunks_in(aid)
    return segments


def _up_to_date(summary: BuildSummary, previous: Generation) -> BuildSummary:
    summary.up_to_date = True
    summary.generation = previous.name
    summary.chunks_total = previous.chunk_count()
    summary.articles_total = previous.article_count()
    return summary


# Bumped when sentence splitting changes, so that an index re-cuts every article (its vectors
# stay cached by text): 2 = a heading line ends a sentence; 3 = a title before a name ("Rep.")
# no longer ends one, and page furniture (corpus/furniture.py) is left out of the sentences.
SENTENCE_RULES = 3


def _chunking(params: ChunkParams, sentence_vectors: str) -> dict:
    """How passages and sentences are cut and embedded: a change re-cuts every article."""
    if sentence_vectors not in SENTENCE_VECTORS:
        raise ValueError(f"sentence vectors {sentence_vectors!r}: choose one of {', '.join(SENTENCE_VECTORS)}")
    return {"max_tokens": params.max_tokens, "overlap_sentences": params.overlap_sentences,
            "sentence_rules": SENTENCE_RULES, "sentence_vectors": sentence_vectors}


def _vectors(cache_path: Path, embedder: Embedder, texts: list[str], report: Report,
             executor=None) -> tuple[np.ndarray, set[bytes]]:
    """Vectors for the texts, from the cache where possible; returns (vectors, hashes embedded now).
    An executor takes the texts in waves (each one job on its cluster), written to the cache as
    each returns."""
    with _open_cache(cache_path, embedder) as cache:
        hashes = [text_hash(t) for t in texts]
        known = cache.get_many(hashes)
        todo = list({h: t for h, t in zip(hashes, texts) if h not in known}.items())
        bar = report.stage("embedding", len(todo), "text")
        step, encode = (executor.wave, executor.embed) if executor is not None else (EMBED_BATCH, embedder.encode)
        for i in range(0, len(todo), step):
            batch = todo[i:i + step]
            vectors = encode([text for _, text in batch])
            cache.put_many([h for h, _ in batch], vectors)
            known.update(zip((h for h, _ in batch), vectors))
            bar.update(len(batch))
        bar.close()
    matrix = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for row, h in enumerate(hashes):
        matrix[row] = known[h]
    return matrix, {h for h, _ in todo}


def _open_cache(cache_path: Path, embedder: Embedder) -> VectorCache:
    """The vector cache at `cache_path`, keyed for this embedder (taking over its legacy rows)."""
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    return VectorCache(cache_path, embedder.cache_key, embedder.dimension,
                       adopt=getattr(embedder, "legacy_cache_key", None))


def _pooled_vectors(cache_path: Path, embedder: Embedder, chunks: list, sentences: list,
                    report: Report, executor=None) -> tuple[np.ndarray, int, int]:
    """Chunk vectors and, from the same pass, each sentence's vector pooled over its tokens in
    the first chunk that holds it (chunks pack whole sentences, so one always does). Cached by
    the chunk's text and the sentence's place in it; returns (vectors, chunks embedded now,
    sentences embedded now). An executor (Ray) does the passes elsewhere, in waves."""
    home = _home_chunks(chunks, sentences)
    spans: list[list[tuple[int, int]]] = [[] for _ in chunks]
    members: list[list[int]] = [[] for _ in chunks]
    for row, (sentence, c) in enumerate(zip(sentences, home)):
        spans[c].append((sentence.start - chunks[c].start, sentence.end - chunks[c].start))
        members[c].append(row)
    chunk_keys = [text_hash(c.text) for c in chunks]
    sentence_keys = [text_hash(f"pooled {s}:{e}\n{chunks[c].text}") for s, e, c in
                     ((s.start - chunks[c].start, s.end - chunks[c].start, c) for s, c in zip(sentences, home))]
    with _open_cache(cache_path, embedder) as cache:
        known = cache.get_many(chunk_keys + sentence_keys)
        todo = [c for c in range(len(chunks))
                if chunk_keys[c] not in known or any(sentence_keys[r] not in known for r in members[c])]
        bar = report.stage("embedding", len(todo), "chunk")
        step, encode = ((executor.wave, executor.embed_with_spans) if executor is not None
                        else (EMBED_BATCH, embedder.encode_with_spans))
        for i in range(0, len(todo), step):
            batch = todo[i:i + step]
            vectors, pooled = encode([chunks[c].text for c in batch], [spans[c] for c in batch])
            keys = [chunk_keys[c] for c in batch] + [sentence_keys[r] for c in batch for r in members[c]]
            rows = np.vstack([vectors, *[p for p in pooled if len(p)]])  # a chunk's spans may be none
            cache.put_many(keys, rows)
            known.update(zip(keys, rows))
            bar.update(len(batch))
        bar.close()
    matrix = np.array([known[k] for k in chunk_keys + sentence_keys], dtype=np.float32).reshape(-1, embedder.dimension)
    return matrix, len(todo), sum(len(members[c]) for c in todo)


def _home_chunks(chunks: list, sentences: list) -> list[int]:
    """For each sentence, the first chunk of its article that holds it whole."""
    first: dict[str, int] = {}
    for n, c in enumerate(chunks):
        first.setdefault(c.article_id, n)
    home, c = [], 0
    for s in sentences:
        if chunks[c].article_id != s.article_id:  # the next article: its chunks come next
            c = first[s.article_id]
        while not (chunks[c].start <= s.start and s.end <= chunks[c].end):
            c += 1
            if c == len(chunks) or chunks[c].article_id != s.article_id:
                raise ValueError(f"no chunk of {s.article_id} holds its sentence at {s.start}-{s.end}")
        home.append(c)
    return home

