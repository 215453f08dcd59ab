"""What each cost grows with: builds, updates, an unchanged re-index, the index's size and a
question's latency, on Reuters-21578 at two sizes, with the model-free `hash` embedder so that
the figures are Footnote's own work and not the model's.

For each size: a full build (from an empty cache) with the time of each of its phases, then
the plain pass (the floor of a build, issue 22: read the same articles, chunk them with the same
chunker and write the chunks and sentences as SQLite rows, with no vectors, lexicon or cache)
and the full build over it, +10 articles (a new file beside the collection's JSONL), an
unchanged re-index, the index folder's size with the vector cache against the raw bytes of its
vectors, and the p50/p99 of `answer()` over 200 questions made from titles (in process, one
thread). Prints figures, judges nothing; ratios are what to read (the machine is shared: the
load average is given at the end of each size).

    .venv/bin/python bench/costs.py [--sizes 2000,19043] [--questions 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus.chunk import ChunkParams, split_articles  # noqa: E402
from corpus.load import load_corpus  # noqa: E402
from reuters import REUTERS, reuters_records, write_jsonl  # noqa: E402
from index.answer import AskRequest  # noqa: E402
from index.assemble import open_answerer, query_thread_setup  # noqa: E402
from index.build import DEFAULT_MAX_TOKENS, build_index  # noqa: E402
from index.embed import load_embedder  # noqa: E402


def timed(fn, *args, **kwargs) -> tuple[object, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def one_size(n: int, extra: list[dict], model: str, questions: int, work: Path, cache: Path | None = None,
             sentence_vectors: str | None = None) -> dict:
    corpus, index = work / f"corpus-{n}", work / f"index-{n}"
    rows = reuters_records(n)
    assert not {r["id"] for r in rows} & {r["id"] for r in extra}
    write_jsonl(corpus / "reuters.jsonl", rows)
    embedder = load_embedder(model)
    params = ChunkParams(DEFAULT_MAX_TOKENS)
    options = {"progress": False, "cache_path": cache, "sentence_vectors": sentence_vectors}
    full, full_s = timed(build_index, corpus, index, embedder, params, **options)
    plain, plain_s = timed(plain_pass, corpus, work / f"plain-{n}.sqlite", embedder, params)
    assert plain == full.chunks_total, f"the plain pass cut {plain} chunks, the build {full.chunks_total}"
    write_jsonl(corpus / "update.jsonl", extra)
    added, added_s = timed(build_index, corpus, index, embedder, params, **options)
    same, same_s = timed(build_index, corpus, index, embedder, params, **options)
    cache_files = [p for p in (cache.parent if cache else index).iterdir() if p.name.startswith(
        cache.name if cache else "cache.sqlite")]
    raw = cached_vectors(cache or index / "cache.sqlite") * embedder.dimension * 4
    latencies = ask_all(index, model, [f"What happened with {r['title'].lower()}?" for r in rows if r.get("title")],
                        questions)
    return {"articles": n, "chunks": full.chunks_total, "full_build_s": round(full_s, 2),
            "plain_pass_s": round(plain_s, 2), "full_build_over_plain": round(full_s / plain_s, 3),
            "full_build_phases_s": {name: round(s, 2) for name, s in full.phases_s.items()},
            "update_10_s": round(added_s, 3), "update_10_chunks": added.chunks_embedded,
            "update_share_of_full": round(added_s / full_s, 4), "unchanged_s": round(same_s, 3),
            "up_to_date": same.up_to_date, "index_mb": round(folder_bytes(index) / 2**20, 1),
            "cache_mb": round(sum(p.stat().st_size for p in cache_files) / 2**20, 1),
            "raw_vector_mb": round(raw / 2**20, 1),
            "cache_over_raw": round(sum(p.stat().st_size for p in cache_files) / max(raw, 1), 2),
            "question_p50_ms": round(statistics.median(latencies), 2),
            "question_p99_ms": round(sorted(latencies)[int(0.99 * (len(latencies) - 1))], 2),
            "load_avg": [round(x, 2) for x in os.getloadavg()]}


def plain_pass(corpus: Path, out: Path, tokenizer, params: ChunkParams) -> int:
    """The least a build does: the corpus read as a build reads it, chunked by the build's
    chunker, the chunks and sentences written as SQLite rows (committed, so synced). No
    vectors, no lexicon, no cache. Returns the number of chunks."""
    articles = sorted(load_corpus(corpus).articles, key=lambda a: a.id)
    pieces = split_articles(articles, tokenizer, params)
    db = sqlite3.connect(out)
    with db:
        for table, rows in (("chunks", [c for chunks, _ in pieces for c in chunks]),
                            ("sentences", [s for _, sentences in pieces for s in sentences])):
            db.execute(f'CREATE TABLE {table} (article_id TEXT, ordinal INTEGER, start INTEGER, "end" INTEGER, '
                       "text TEXT)")
            db.executemany(f"INSERT INTO {table} VALUES (?,?,?,?,?)",
                           [(r.article_id, r.ordinal, r.start, r.end, r.text) for r in rows])
    db.close()
    return sum(len(chunks) for chunks, _ in pieces)


def cached_vectors(cache: Path) -> int:
    """How many vectors the cache holds (its entries, every key): what its bytes are weighed
    against. Counted, not derived from what a build embedded: a build served from the cache
    embeds nothing."""
    db = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        db.close()


def ask_all(index: Path, model: str, questions: list[str], count: int) -> list[float]:
    query_thread_setup()
    answerer = open_answerer(index, model)
    step = max(1, len(questions) // count)
    chosen = questions[::step][:count]
    for q in chosen[:5]:
        answerer.answer(AskRequest(q))  # warm: the model, the term weights, the pages
    latencies = []
    for q in chosen:
        started = time.perf_counter()
        answerer.answer(AskRequest(q))
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,19033", help="article counts (default 2000 and all but the 10 "
                        "the update adds: 19033)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--model", default="hash", help="embedding model (default `hash`: Footnote's own work)")
    parser.add_argument("--cache", type=Path, help="a vector cache kept between runs (for a real model: its first "
                        "run embeds the collection, later ones time Footnote's own work); default: a fresh one")
    parser.add_argument("--sentence-vectors", choices=("own", "pooled"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not REUTERS.is_file():
        print(f"skipped: {REUTERS} is absent (see ../shared/data/README.md)")
        return 0
    everything = reuters_records(10**9)
    extra = everything[-10:]  # the update: ten articles no size's collection holds
    sizes = [min(int(s), len(everything) - 10) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="footnote-costs-"))
    try:
        results = [one_size(n, extra, args.model, args.questions, work, args.cache, args.sentence_vectors)
                   for n in sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps({"model": args.model, "cpus": os.cpu_count(), "cached": bool(args.cache), "sizes": results}))
        return 0
    print(f"model {args.model}, {os.cpu_count()} CPUs")
    keys = list(results[0])
    print("  ".join(f"{k:>14}" for k in keys))
    for r in results:
        print("  ".join(f"{str(r[k]):>14}" for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
