"""Bringing the index up to date with the corpus folder, incrementally: `build_index` decides
whether there is anything to do (the quick look: a stat per file), takes the build lock and
hands the work to job.py (what changed, the new segment, merges, the new generation), whose
embedding is vectors.py's; summary.py says what happened."""

from __future__ import annotations

import errno
from pathlib import Path

from corpus.chunk import ChunkParams
from corpus.load import Reader, load_corpus
from index import store
from index.defaults import DEFAULT_MAX_TOKENS, DEFAULT_SENTENCE_VECTORS, SENTENCE_VECTORS  # noqa: F401 - re-exported
from index.embed import Embedder
from index.progress import Progress, Report, build_lock
from index.store import Generation, IndexUnavailable
from index.store.integrity import looks_whole
from index.build.job import Job
from index.build.summary import BuildSummary, DiskFull, EmptyCorpus, Phases  # noqa: F401 - re-exported
from index.build.vectors import EMBED_BATCH  # noqa: F401 - re-exported

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
    does it all here. The summary says how long each phase took (summary.py's Phases).
    """
    index_dir, phases = Path(index_dir), Phases()
    recipe = _chunking(params, sentence_vectors or _built_with(index_dir))
    with build_lock(index_dir):
        store.cleanup(index_dir)
        cache = Path(cache_path) if cache_path else index_dir / "cache.sqlite"
        job = Job(corpus_dir, index_dir, embedder, params, recipe, Report(progress, on_progress), cache, executor,
                  phases)
        with phases("read"):
            loaded, unchanged = _quick_look(corpus_dir, index_dir, embedder, recipe, rebuild, job.read)
        if unchanged is not None:
            return phases.stamp(unchanged)
        previous = _open_previous(index_dir)
        try:
            return phases.stamp(job.run(previous, rebuild, allow_empty, loaded))
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
