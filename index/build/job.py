"""One build that has work to do: what changed since the previous generation, the new segment,
the merges, and the new generation's manifest."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

from corpus import Article
from corpus.chunk import ChunkParams, split_articles
from corpus.load import load_corpus, read_files
from index import store
from index.build.summary import BuildSummary, EmptyCorpus, Phases
from index.build.vectors import pooled_vectors, vectors
from index.embed import Embedder, text_hash
from index.progress import Report
from index.store import Generation, merge
from index.store.segment import Segment
from index.store.integrity import record_whole
from index.store.segment_write import rename_into_place, write_segment

class Job:
    """One build: what changed, the new segment, the merges, the new generation."""

    def __init__(self, corpus_dir, index_dir: Path, embedder: Embedder, params: ChunkParams, recipe: dict,
                 report: Report, cache: Path, executor=None, phases: Phases | None = None):
        self.corpus_dir, self.index_dir, self.embedder = corpus_dir, index_dir, embedder
        self.params, self.recipe, self.report, self.cache = params, recipe, report, cache
        self.executor = executor
        self.phase = phases if phases is not None else Phases()
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
            with self.phase("read"):
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
        with self.phase("merge"):
            segments = self._merged(previous, segments)
        with self.phase("publish"):
            name = store.next_name(self.index_dir)
            store.publish(self.index_dir, name, self._manifest(segments, read_at), loaded.files)
            store.cleanup(self.index_dir)
        summary.generation = name
        summary.chunks_total = sum(merge.live_chunks(s) for s in segments)
        summary.articles_total = len(current)
        return summary

    def _segment(self, articles: list[Article], summary: BuildSummary) -> dict:
        """Chunk, embed and write the articles as a new segment; its manifest entry."""
        with self.phase("chunk"):
            chunks, sentences = self._split(articles)
        # The articles, chunks and sentences live until the segment is written: they are kept out
        # of the garbage collector's full passes meanwhile, which would walk them again each time
        # (about a sixth of the lexicon's time on full Reuters).
        gc.freeze()
        try:
            with self.phase("embed"):
                matrix, chunks_now, sentences_now = self._embed(chunks, sentences)
            summary.chunks_embedded += chunks_now
            summary.sentences_embedded += sentences_now
            name = store.next_segment_name(self.index_dir)
            final = store.segments_dir(self.index_dir) / name
            tmp = final.with_name(f".tmp-{name}")
            spec = write_segment(tmp, articles, chunks, sentences, matrix[:len(chunks)], matrix[len(chunks):],
                                 phase=self.phase)
        finally:
            gc.unfreeze()
        with self.phase("sync"):
            rename_into_place(tmp, final)
            record_whole(final, spec)
        return merge.entry(name, spec)

    def _split(self, articles: list[Article]) -> tuple[list, list]:
        """The articles' chunks and sentences, each in article then offset order."""
        bar = self.report.stage("chunking", len(articles), "article")
        if self.executor is None:
            pieces = split_articles(articles, self.embedder, self.params, bar.update)
        else:  # the workers get the tokenizer alone, not the model
            pieces = self.executor.split_articles(articles, self.embedder.span_tokenizer(), self.params, bar.update)
        bar.close()
        return ([c for article_chunks, _ in pieces for c in article_chunks],
                [s for _, article_sentences in pieces for s in article_sentences])

    def _embed(self, chunks: list, sentences: list) -> tuple:
        """(the chunks' then the sentences' vectors, chunks embedded now, sentences embedded now)."""
        if self.recipe["sentence_vectors"] == "pooled":
            return pooled_vectors(self.cache, self.embedder, chunks, sentences, self.report, self.executor)
        texts = [c.text for c in chunks] + [s.text for s in sentences]
        matrix, embedded = vectors(self.cache, self.embedder, texts, self.report, self.executor)
        chunk_hashes = {text_hash(c.text) for c in chunks}
        return matrix, len(embedded & chunk_hashes), len(embedded - chunk_hashes)

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
