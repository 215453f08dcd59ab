"""Benchmark of the index build on Reuters-21578: full, incremental and unchanged builds.

Prints figures, judges nothing. One cycle, on a fresh index each time:

  1. full build of the first N articles (parse + chunk + embed + write), from an empty cache;
  2. `embedder.encode` alone on exactly the texts the build embedded (its chunks and its
     sentence units, each distinct text once), in the build's slices of EMBED_BATCH;
  3. incremental build after adding the next 10 articles as a new JSONL file;
  4. unchanged re-index of that same corpus (should embed nothing).

With --repeat R the cycle runs R times and each figure is the median.

    .venv/bin/python bench/index_build.py --articles 2000 [--repeat 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from corpus.chunk import ChunkParams
from index.build import DEFAULT_MAX_TOKENS, EMBED_BATCH, build_index
from index.embed import DEFAULT_MODEL, load_embedder
from index.store import Generation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reuters import REUTERS, reuters_records, write_jsonl  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NEW_ARTICLES = 10


def timed(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


class TimedEmbedder:
    """An embedder that adds up the wall time spent in `encode`, to split a build's time."""

    def __init__(self, inner):
        self.inner, self.encode_s = inner, 0.0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, texts: list[str]):
        vectors, seconds, _ = timed(self.inner.encode, texts)
        self.encode_s += seconds
        return vectors


def embedded_texts(index_dir: Path) -> list[str]:
    """The distinct texts of the current generation, chunks then sentence units, in the order
    a build from an empty cache embeds them."""
    db = Generation.open(index_dir).db
    try:
        texts = [text for (text,) in db.execute("SELECT text FROM chunks ORDER BY id")]
        articles = dict(db.execute("SELECT id, text FROM articles"))
        rows = db.execute('SELECT article_id, start, "end" FROM sentences ORDER BY id')
        texts += [articles[aid][start:end] for aid, start, end in rows]
        return list(dict.fromkeys(texts))
    finally:
        db.close()


def encode_in_batches(embedder, texts: list[str]) -> None:
    """Encode as the build does: slices of EMBED_BATCH texts, one `encode` call each."""
    for i in range(0, len(texts), EMBED_BATCH):
        embedder.encode(texts[i:i + EMBED_BATCH])


def one_cycle(embedder, base: Path, grown: Path, work: Path) -> dict:
    """Full build of `base`, encode alone, then incremental and unchanged builds of `grown`."""
    index_dir = Path(tempfile.mkdtemp(prefix="index-", dir=work))
    params = ChunkParams(DEFAULT_MAX_TOKENS)
    embedder.encode_s = 0.0
    full, full_s, full_cpu = timed(build_index, base, index_dir, embedder, params, progress=False)
    in_build_s = embedder.encode_s
    texts = embedded_texts(index_dir)
    _, encode_s, encode_cpu = timed(encode_in_batches, embedder.inner, texts)
    incr, incr_s, _ = timed(build_index, grown, index_dir, embedder, params, progress=False)
    same, same_s, _ = timed(build_index, grown, index_dir, embedder, params, progress=False)
    return {
        "articles": full.articles_total, "chunks": full.chunks_total,
        "chunks_embedded": full.chunks_embedded, "sentences_embedded": full.sentences_embedded,
        "encoded_texts": len(texts),
        "full_s": full_s, "full_cpu_s": full_cpu, "full_encode_s": in_build_s,
        "encode_s": encode_s, "encode_cpu_s": encode_cpu,
        "incremental_added": incr.added, "incremental_new_chunks": incr.chunks_total - full.chunks_total,
        "incremental_chunks_embedded": incr.chunks_embedded, "incremental_s": incr_s,
        "incremental_sentences_embedded": incr.sentences_embedded,
        "unchanged_embedded": same.chunks_embedded + same.sentences_embedded,
        "unchanged_up_to_date": same.up_to_date, "unchanged_s": same_s,
    }


def summarise(cycles: list[dict]) -> dict:
    """Median of every timing over the cycles, counts from the first, and the derived rates."""
    out = dict(cycles[0])
    for key in (k for k in out if k.endswith("_s")):  # every timing
        out[key] = statistics.median(c[key] for c in cycles)
    out["repeat"] = len(cycles)
    out["pipeline_chunks_per_s"] = out["chunks"] / out["full_s"]
    out["pipeline_texts_per_s"] = out["encoded_texts"] / out["full_s"]
    out["encode_texts_per_s"] = out["encoded_texts"] / out["encode_s"]
    out["overhead_ratio"] = out["full_s"] / out["encode_s"]
    out["overhead_cpu_ratio"] = out["full_cpu_s"] / out["encode_cpu_s"]
    out["full_not_encode_s"] = out["full_s"] - out["full_encode_s"]
    out["incremental_ratio"] = out["incremental_s"] / out["full_s"]
    out["unchanged_ratio"] = out["unchanged_s"] / out["full_s"]
    return out


def print_table(r: dict) -> None:
    """The figures as a small aligned table, one row per measurement."""
    rows = [
        ("full build", f"{r['full_s']:.1f} s",
         f"{r['articles']} articles, {r['chunks']} chunks: {r['pipeline_chunks_per_s']:.1f} chunks/s"),
        ("  embedded", f"{r['encoded_texts']}",
         f"distinct texts: {r['chunks_embedded']} chunks + {r['sentences_embedded']} sentences, "
         f"{r['pipeline_texts_per_s']:.1f} texts/s"),
        ("  in encode", f"{r['full_encode_s']:.1f} s",
         f"the build's own encode calls; parse + chunk + write {r['full_not_encode_s']:.1f} s"),
        ("encode only", f"{r['encode_s']:.1f} s",
         f"the same {r['encoded_texts']} texts in slices of {EMBED_BATCH}, {r['encode_texts_per_s']:.1f} texts/s"),
        ("  overhead", f"{r['overhead_ratio']:.2f}x",
         f"full build / encode only; in CPU time {r['overhead_cpu_ratio']:.2f}x "
         f"({r['full_cpu_s']:.0f} s / {r['encode_cpu_s']:.0f} s)"),
        ("  cores used", f"{r['full_cpu_s'] / r['full_s']:.2f}",
         f"CPU s / wall s in the full build ({r['encode_cpu_s'] / r['encode_s']:.2f} encoding only)"),
        (f"+{NEW_ARTICLES} articles", f"{r['incremental_s']:.2f} s",
         f"{r['incremental_added']} added, {r['incremental_new_chunks']} new chunks, "
         f"{r['incremental_chunks_embedded']} chunks + {r['incremental_sentences_embedded']} sentences embedded"),
        ("  ratio", f"{r['incremental_ratio']:.4f}", "incremental / full build"),
        ("unchanged", f"{r['unchanged_s']:.2f} s", f"{r['unchanged_embedded']} embedded, "
         f"up_to_date={r['unchanged_up_to_date']}, ratio {r['unchanged_ratio']:.4f}"),
    ]
    print(f"{r['machine']}; commit {r['commit']}; model {DEFAULT_MODEL}, max_tokens {r['max_tokens']}; "
          f"median of {r['repeat']} run(s)")
    print(f"load average at start {r['load_before']:.2f}: other work on the machine slows wall times")
    for name, value, note in rows:
        print(f"{name:<16}{value:>10}   {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles in the full build (default 2000)")
    parser.add_argument("--repeat", type=int, default=1, help="cycles to run; figures are medians (default 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.repeat < 1:
        parser.error("--articles and --repeat must be at least 1")
    if not REUTERS.is_file():
        print(f"Reuters data not found at {REUTERS.resolve()}; nothing to benchmark.")
        return 0

    records = reuters_records(args.articles + NEW_ARTICLES)
    if len(records) < args.articles + NEW_ARTICLES:
        parser.error(f"only {len(records)} Reuters records with a body; ask for fewer --articles")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is bundled: never reach the network
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    embedder = TimedEmbedder(load_embedder(DEFAULT_MODEL))
    embedder.encode(["warm up the model"])  # load time is not part of any figure
    embedder.token_spans(["warm up the tokenizer"])
    load_before, commit = os.getloadavg()[0], _commit()  # the code this run imported

    with tempfile.TemporaryDirectory(prefix="footnote-bench-") as tmp:
        work = Path(tmp)
        base, grown = work / "corpus", work / "corpus-grown"
        write_jsonl(base / "reuters.jsonl", records[:args.articles])
        write_jsonl(grown / "reuters.jsonl", records[:args.articles])
        write_jsonl(grown / "reuters-new.jsonl", records[args.articles:])
        cycles = []
        for i in range(args.repeat):
            cycles.append(one_cycle(embedder, base, grown, work))
            print(f"cycle {i + 1}/{args.repeat}: full {cycles[-1]['full_s']:.1f} s", file=sys.stderr)
    result = {**summarise(cycles), "load_before": load_before, "commit": commit,
              "max_tokens": DEFAULT_MAX_TOKENS,
              "machine": f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}"}
    if args.json:
        print(json.dumps({**result, "cycles": cycles}, indent=2))
    else:
        print_table(result)
    return 0


def _commit() -> str:
    """The project's git commit, with `+dirty` when index/ or corpus/ have uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "index", "corpus")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+dirty" if dirty else "")


if __name__ == "__main__":
    sys.exit(main())
