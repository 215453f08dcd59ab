"""A million passages: serving memory, question latency, recall against exact search and
start-up, on a collection synthesised to look like a real one.

Passages are made of real sentences: every Reuters-21578 article is split and its sentences
kept with their words counted once; a synthetic passage joins three sentences drawn at
random, and its vector is a convex mix of the real vectors of passages it borrows from plus a
little noise, renormalised (random vectors would make recall look unlike the real thing).
The segments are written through the store's own writer, with the lexicon arrays assembled
from the sentences' (no per-passage Python over words). Then a fresh process opens the index
and answers questions made from real titles, one at a time on one thread, and reports its
peak RSS, start-up time, p50/p99 and the dense side's recall@10 against exact search. Beside
each answer it times the floor on the same question: encoding it and the index's dense search
alone; the p50 is also given as a ratio to the floor's (issue 22).

    .venv/bin/python bench/million.py [--passages 1000000] [--segment 250000] [--json]

Needs ../shared/data (skips otherwise) and about 12 GB of free disk; takes 15-30 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REUTERS = ROOT.parent / "shared" / "data" / "reuters-21578" / "reuters21578.jsonl"

from corpus import Article, Chunk  # noqa: E402
from corpus.sentences import split_sentences  # noqa: E402
from corpus.terms import index_terms, shingle_hashes  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.store import layout, merge  # noqa: E402
from index.store.lexicon import Lexicon, minhash_of  # noqa: E402
from index.store.segment_write import write_segment  # noqa: E402


def real_vectors(dimension: int = 384) -> np.ndarray:
    """Real MiniLM vectors from the vector caches `footnote eval` filled (.footnote/**/*.f32)."""
    from vector_index import unit_rows

    rows = [unit_rows(p, dimension) for p in (ROOT / ".footnote").rglob("cache.sqlite.*.f32")]
    return np.vstack(rows) if rows else np.zeros((0, dimension), dtype=np.float32)


class Sentences:
    """Real sentences with their counted words and MinHash, and real vectors to mix from."""

    def __init__(self, limit: int):
        texts = []
        with open(REUTERS, encoding="utf-8") as handle:
            for line in handle:
                body = " ".join((json.loads(line).get("body") or "").split())
                texts += [body[s:e] for s, e in (split_sentences(body) if body else [])]
                if len(texts) >= limit:
                    break
        self.texts = texts
        self.terms = [index_terms(t) for t in texts]
        self.minhash = np.array([minhash_of(shingle_hashes(t)) for t in texts], dtype=np.uint64)
        self.vectors = real_vectors()


def synthesise(sentences: Sentences, n: int, first: int, rng) -> tuple:
    """`n` passages of three sentences each: (articles, chunks, sentence units, vectors,
    sentence vectors, the sentences each passage took)."""
    picks = rng.integers(0, len(sentences.texts), size=(n, 3))
    articles, chunks, units = [], [], []
    for i, row in enumerate(picks):
        text = " ".join(sentences.texts[j] for j in row)
        aid = f"synthetic/{first + i:07d}"
        articles.append(Article(aid, text, text[:80], "first_sentence", "1987-03-01", None, "Synthetic"))
        chunks.append(Chunk(aid, 0, 0, len(text), text))
        at = 0
        for k, j in enumerate(row):
            length = len(sentences.texts[j])
            units.append(Chunk(aid, k, at, at + length, sentences.texts[j]))
            at += length + 1
    real = sentences.vectors
    base = real[rng.integers(0, len(real), size=(n, 3))]
    mix = rng.dirichlet(np.ones(3), size=n).astype(np.float32)
    vectors = np.einsum("nk,nkd->nd", mix, base) + rng.normal(scale=0.02, size=(n, real.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return articles, chunks, units, vectors.astype(np.float32), base.reshape(-1, real.shape[1]), picks


def assembled_lexicon(sentences: Sentences, vocab: dict, picks: np.ndarray, units: list[Chunk]) -> Lexicon:
    """The lexicon Lexicon.build would make, assembled from the sentences' counted words."""
    from index.store import lexicon as lex

    ids = [np.array([vocab[t] for t in row], dtype=np.int64) for row in sentences.terms]
    chunk_terms = [np.concatenate([ids[j] for j in row]) for row in picks]
    postings = lex._postings(chunk_terms, len(vocab))
    unit_terms = [np.unique(ids[j]) for row in picks for j in row]
    n = len(picks)
    return Lexicon(dict(vocab), *postings, np.array([len(t) for t in chunk_terms], dtype=np.float32),
                   *lex._csr(unit_terms, np.int32), sentences.minhash[picks].min(axis=1),
                   np.stack([np.arange(n) * 3, np.arange(n) * 3 + 3], axis=1).astype(np.int64),
                   np.array([(u.start, u.end, i // 3) for i, u in enumerate(units)], dtype=np.int64).reshape(-1, 3))


def write_collection(index: Path, passages: int, per_segment: int, seed: int = 7) -> np.ndarray:
    """Write the synthetic segments and publish a generation; returns all passage vectors."""
    rng = np.random.default_rng(seed)
    sentences = Sentences(120_000)
    vocab = {t: i for i, t in enumerate(sorted({t for row in sentences.terms for t in row}))}
    entries, all_vectors = [], []
    for first in range(0, passages, per_segment):
        n = min(per_segment, passages - first)
        articles, chunks, units, vectors, sentence_vectors, picks = synthesise(sentences, n, first, rng)
        name = layout.next_segment_name(index)
        final = layout.segments_dir(index) / name
        spec = write_segment(final.with_name(f".tmp-{name}"), articles, chunks, units, vectors, sentence_vectors,
                             lexicon=assembled_lexicon(sentences, vocab, picks, units))
        os.rename(final.with_name(f".tmp-{name}"), final)
        entries.append(merge.entry(name, spec))
        all_vectors.append(vectors)
        print(f"  segment {name}: {n} passages", flush=True)
    counts = {k: sum(e[k] for e in entries) for k in ("articles", "chunks", "sentences")}
    layout.publish(index, "000001", {"format_version": layout.FORMAT_VERSION, "model": {"name": MODEL, "dimension": 384},
                                     "chunking": {}, "counts": counts, "segments": entries,
                                     "built_at": "synthetic", "corpus_read_at": "synthetic", "corpus": "synthetic"}, {})
    return np.vstack(all_vectors)


MODEL = "all-MiniLM-L6-v2"
SERVE = """
import json, resource, sys, time
started = time.perf_counter()
from index.assemble import open_answerer, query_thread_setup
from index.answer import AskRequest
query_thread_setup()
answerer = open_answerer(sys.argv[1], sys.argv[2])
generation = answerer.retriever.live.current()
opened = time.perf_counter() - started
answerer.retriever.embedder.encode(["warm up"])
questions = json.loads(sys.argv[3])
for q in questions[:5]:
    answerer.answer(AskRequest(q))
latencies, found, floor = [], [], []
for q in questions:
    t = time.perf_counter()
    answerer.answer(AskRequest(q))
    latencies.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()  # the floor: encode the question and search the same vectors, nothing else
    vector = answerer.retriever.embedder.encode([q])[0]
    found.append([int(i) for i in generation.vectors.search(vector, 10)[1]])
    floor.append((time.perf_counter() - t) * 1000)
status = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in open("/proc/self/status")
          if line.startswith(("VmRSS", "RssAnon", "RssFile", "VmHWM"))}
print(json.dumps({"start_s": opened, "latencies": latencies, "floor": floor, "found": found, "rss_mb": status["VmRSS"],
                  "anon_mb": status["RssAnon"], "file_mb": status["RssFile"], "peak_mb": status["VmHWM"]}))
"""


def serve_and_measure(index: Path, vectors: np.ndarray, questions: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", SERVE, str(index), MODEL, json.dumps(questions)], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    query_vectors = load_embedder(MODEL).encode(questions)
    truth = np.argsort(-(vectors @ query_vectors.T), axis=0)[:10].T
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(result["found"], truth)])
    lat, floor = sorted(result["latencies"]), sorted(result["floor"])
    return {"passages": len(vectors), "start_s": round(result["start_s"], 2), "rss_mb": round(result["rss_mb"]),
            # RSS is memory the process owns (anon: the model, Python, arrays it made) plus pages of
            # memory-mapped index files its searches touched (file: page cache, shared, reclaimable).
            "anon_mb": round(result["anon_mb"]), "file_mb": round(result["file_mb"]),
            "peak_mb": round(result["peak_mb"]),
            "question_p50_ms": round(lat[len(lat) // 2], 1), "question_p99_ms": round(lat[int(0.99 * (len(lat) - 1))], 1),
            "dense_recall_at_10": round(float(recall), 4),
            # Measured question by question beside Footnote's answer, in the same process: the
            # question's encoding and the same index's dense search alone, the least a question costs.
            "floor_p50_ms": round(floor[len(floor) // 2], 1),
            "p50_over_floor": round(lat[len(lat) // 2] / floor[len(floor) // 2], 2),
            "load_average": round(os.getloadavg()[0], 2)}


def titles(n: int) -> list[str]:
    found = []
    with open(REUTERS, encoding="utf-8") as handle:
        for line in handle:
            title = json.loads(line).get("title")
            if title:
                found.append(f"What happened with {title.lower()}?")
    return found[::max(1, len(found) // n)][:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--segment", type=int, default=250_000, help="passages per segment (default 250000)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--work", type=Path, help="keep the synthetic index here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="with --work: measure the collection written there by "
                        "an earlier run instead of writing it again")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not REUTERS.is_file():
        print(f"skipped: {REUTERS} is absent (see ../shared/data/README.md)")
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="footnote-million-"))
    try:
        started = time.perf_counter()
        saved = work / "vectors.npy"
        if args.reuse and saved.exists() and (work / "index" / "CURRENT").exists():
            vectors, written = np.load(saved, mmap_mode="r"), None  # measured again, not written again
        else:
            shutil.rmtree(work / "index", ignore_errors=True)  # a collection left by an earlier run
            vectors = write_collection(work / "index", args.passages, args.segment)
            written = time.perf_counter() - started
            if args.work:
                np.save(saved, vectors)
        result = {**serve_and_measure(work / "index", vectors, titles(args.questions)),
                  "write_s": round(written) if written else "reused", "index_gb": round(sum(p.stat().st_size for p in (work / "index").rglob("*")
                                                                 if p.is_file()) / 2**30, 2)}
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result) if args.json else "\n".join(f"{k:>20}  {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
