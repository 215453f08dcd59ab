"""A build's embedding: the texts the vector cache lacks, embedded in slices (here, or on Ray
through the executor), and each sentence's vector pooled from its chunk's pass."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from index.embed import Embedder, VectorCache, text_hash
from index.progress import Report

EMBED_BATCH = 256  # chunks per progress step
# A cache write (its transaction, its fsyncs) costs 10-20 ms: nothing beside a model's batch of
# 256 chunks (about 15 s), but as much as the hash embedder's whole batch. So the vectors of
# batches that came quickly wait and go in one write, at most this long after the last one; a
# killed build loses no more than that much embedding.
CACHE_WRITE_S = 1.0


def vectors(cache_path: Path, embedder: Embedder, texts: list[str], report: Report,
             executor=None) -> tuple[np.ndarray, set[bytes]]:
    """Vectors for the texts, from the cache where possible; returns (vectors, hashes embedded now).
    An executor takes the texts in waves (each one job on its cluster), written to the cache as
    each returns."""
    with _open_cache(cache_path, embedder) as cache:
        hashes = [text_hash(t) for t in texts]
        known = _Known(cache, hashes)
        todo = list({h: t for h, t in zip(hashes, texts) if h not in known}.items())
        bar = report.stage("embedding", len(todo), "text")
        step, encode = (executor.wave, executor.embed) if executor is not None else (EMBED_BATCH, embedder.encode)
        for i in range(0, len(todo), step):
            batch = todo[i:i + step]
            known.add([h for h, _ in batch], encode([text for _, text in batch]))
            bar.update(len(batch))
        known.write()
        bar.close()
    return known.matrix(hashes), {h for h, _ in todo}


def _open_cache(cache_path: Path, embedder: Embedder) -> VectorCache:
    """The vector cache at `cache_path`, keyed for this embedder (taking over its legacy rows)."""
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    return VectorCache(cache_path, embedder.cache_key, embedder.dimension,
                       adopt=getattr(embedder, "legacy_cache_key", None))


class _Known:
    """A build's vectors by key: those the cache has, then each batch embedded now (a key
    embedded again has its newest vector). The batches go to the cache together once
    CACHE_WRITE_S has passed since the last write, and at the end (not after a failure: what is
    not written yet is lost)."""

    def __init__(self, cache: VectorCache, keys: list[bytes]):
        found = cache.get_many(keys)
        self.cache, self.written = cache, time.monotonic()
        self.blocks = [np.array(list(found.values()), dtype=np.float32).reshape(len(found), cache.dimension)]
        self.row = {key: n for n, key in enumerate(found)}
        self.rows = len(found)
        self.unwritten: list[tuple[list[bytes], np.ndarray]] = []

    def __contains__(self, key: bytes) -> bool:
        return key in self.row

    def add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        self.row.update(zip(keys, range(self.rows, self.rows + len(keys))))
        self.rows += len(keys)
        self.blocks.append(vectors)
        self.unwritten.append((keys, vectors))
        if time.monotonic() - self.written >= CACHE_WRITE_S:
            self.write()

    def write(self) -> None:
        if self.unwritten:
            self.cache.put_many([k for keys, _ in self.unwritten for k in keys],
                                np.concatenate([vectors for _, vectors in self.unwritten]))
        self.unwritten, self.written = [], time.monotonic()

    def matrix(self, keys: list[bytes]) -> np.ndarray:
        """The vectors of these keys, one row each, as float32: copied once, block by block
        (joining the blocks first would copy them twice)."""
        rows = np.fromiter(map(self.row.__getitem__, keys), dtype=np.int64, count=len(keys))
        out = np.empty((len(keys), self.cache.dimension), dtype=np.float32)
        starts = np.cumsum([0] + [len(b) for b in self.blocks])
        block = np.searchsorted(starts, rows, side="right") - 1
        order = np.argsort(block, kind="stable")
        bounds = np.searchsorted(block[order], np.arange(len(self.blocks) + 1))
        for n, vectors in enumerate(self.blocks):
            at = order[bounds[n]:bounds[n + 1]]
            out[at] = vectors[rows[at] - starts[n]]
        return out


def pooled_vectors(cache_path: Path, embedder: Embedder, chunks: list, sentences: list,
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
        known = _Known(cache, chunk_keys + sentence_keys)
        todo = [c for c in range(len(chunks))
                if chunk_keys[c] not in known or any(sentence_keys[r] not in known for r in members[c])]
        bar = report.stage("embedding", len(todo), "chunk")
        step, encode = ((executor.wave, executor.embed_with_spans) if executor is not None
                        else (EMBED_BATCH, embedder.encode_with_spans))
        for i in range(0, len(todo), step):
            batch = todo[i:i + step]
            vectors, pooled = encode([chunks[c].text for c in batch], [spans[c] for c in batch])
            keys = [chunk_keys[c] for c in batch] + [sentence_keys[r] for c in batch for r in members[c]]
            known.add(keys, np.vstack([vectors, *[p for p in pooled if len(p)]]))  # a chunk's spans may be none
            bar.update(len(batch))
        known.write()
        bar.close()
    return known.matrix(chunk_keys + sentence_keys), len(todo), sum(len(members[c]) for c in todo)


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

