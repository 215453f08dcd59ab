"""Embedders side by side: sentence-transformers on torch, ONNX Runtime fp32 and int8.

Prints figures, judges nothing. In one run, every timing interleaved across the backends
(A B C A B C ...) so that a machine shared with other jobs slows them alike; ratios are the
median of the per-round ratios:

  1. agreement: cosine of each backend's vectors to torch's, on questions, chunks and sentences;
  2. one short question, one thread: median latency;
  3. 256-token chunks (Reuters, chunked as the build does), all threads: chunks/s;
  4. late chunking: `encode_with_spans(chunks, sentence spans)` against `encode(chunks)` alone
     and against today's build (`encode(chunks + sentences)`), and how close the pooled sentence
     vectors are to the sentences encoded alone;
  5. int8's ranking change: top-10 overlap with fp32 over SQuAD dev paragraphs, and recall@1.

    .venv/bin/python bench/embedders.py [--chunks 128] [--rounds 3] [--questions 60] [--json]

Reuters and SQuAD are read from ../shared/data; without them the demo corpus stands in and
section 5 is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from corpus import Article  # noqa: E402
from corpus.chunk import ChunkParams, split_article  # noqa: E402
from corpus.load import load_corpus  # noqa: E402
from index.embed import DEFAULT_MODEL, load_embedder  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
REUTERS = DATA / "reuters-21578" / "reuters21578.jsonl"
SQUAD = DATA / "squad-v1.1-dev" / "dev-v1.1.json"
BACKENDS = ("torch", "onnx", "onnx-int8")
MAX_TOKENS = 256


def articles() -> list[Article]:
    """Reuters bodies in file order, or the demo corpus when Reuters is not there."""
    if not REUTERS.is_file():
        return list(load_corpus(ROOT / "corpus" / "demo").articles)
    found = []
    with REUTERS.open(encoding="utf-8") as handle:
        for line in handle:
            raw = json.loads(line)
            if (raw.get("body") or "").strip():
                found.append(Article(id=str(raw["newid"]), text=raw["body"], title=raw.get("title") or "",
                                     title_source="reuters"))
    return found


def chunks_with_spans(embedder, limit: int) -> tuple[list[str], list[list[tuple[int, int]]], list[str]]:
    """Up to `limit` chunks as the build cuts them, each with the spans of the sentence units
    inside it, and those sentences' texts."""
    texts, spans, sentences = [], [], []
    for article in articles():
        chunks, units = split_article(article, embedder, ChunkParams(MAX_TOKENS))
        for chunk in chunks[:limit - len(texts)]:
            inside = [u for u in units if chunk.start <= u.start and u.end <= chunk.end]
            texts.append(chunk.text)
            spans.append([(u.start - chunk.start, u.end - chunk.start) for u in inside])
            sentences += [u.text for u in inside]
        if len(texts) == limit:
            break
    return texts, spans, sentences


def interleaved(calls: dict, rounds: int) -> dict[str, list[float]]:
    """Seconds of each call per round, the calls taking turns within every round (each call is
    given the round's number)."""
    seconds = {name: [] for name in calls}
    for turn in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call(turn)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def ratio(slow: list[float], fast: list[float]) -> float:
    """Median of the per-round ratios slow/fast: how many times faster `fast` ran."""
    return statistics.median(s / f for s, f in zip(slow, fast))


def cosines(a: np.ndarray, b: np.ndarray) -> dict:
    rows = (a * b).sum(axis=1)
    return {"mean": float(rows.mean()), "min": float(rows.min())}


def questions(limit: int) -> list[str]:
    if SQUAD.is_file():
        data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
        return [qa["question"] for art in data for p in art["paragraphs"] for qa in p["qas"]][:limit]
    return [f"What did the council decide about the Larkspur Line in meeting {n}?" for n in range(limit)]


def squad_ranking(batch: dict, articles_n: int, questions_n: int) -> dict | None:
    """Top-10 paragraphs of SQuAD questions over the first `articles_n` articles' paragraphs:
    overlap of each backend's top 10 with ONNX fp32's, and recall@1 of the gold paragraph."""
    if not SQUAD.is_file():
        return None
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"][:articles_n]
    paragraphs = [p["context"] for art in data for p in art["paragraphs"]]
    asked = [(qa["question"], n) for n, p in enumerate(p for art in data for p in art["paragraphs"])
             for qa in p["qas"]]
    asked = asked[::max(1, len(asked) // questions_n)][:questions_n]
    top, hit = {}, {}
    for name, embedder in batch.items():
        scores = embedder.encode([q for q, _ in asked]) @ embedder.encode(paragraphs).T
        top[name] = np.argsort(-scores, axis=1)[:, :10]
        hit[name] = float(np.mean([top[name][i, 0] == gold for i, (_, gold) in enumerate(asked)]))
    overlap = {name: float(np.mean([len(set(t) & set(r)) / 10 for t, r in zip(top[name], top["onnx"])]))
               for name in batch}
    return {"paragraphs": len(paragraphs), "questions": len(asked), "top10_overlap_with_onnx_fp32": overlap,
            "recall_at_1": hit}


def machine() -> dict:
    import onnxruntime
    import sentence_transformers
    import torch

    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    return {"commit": commit, "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
            "sentence_transformers": sentence_transformers.__version__}


def run(args) -> dict:
    import torch

    report = {"machine": machine()}
    batch = {name: load_embedder(DEFAULT_MODEL, backend=name) for name in BACKENDS}
    single = {"torch": batch["torch"], **{n: load_embedder(DEFAULT_MODEL, threads=1, backend=n) for n in BACKENDS[1:]}}
    texts, spans, sentences = chunks_with_spans(batch["onnx"], args.chunks)
    tokens = [len(t) + 2 for t in batch["onnx"].token_spans(texts)]
    report["data"] = {"chunks": len(texts), "sentences": len(sentences), "mean_chunk_tokens": float(np.mean(tokens)),
                      "chunks_over_256_tokens": sum(t > MAX_TOKENS for t in tokens)}
    asked = questions(args.questions)
    torch.set_num_threads(os.cpu_count())
    vectors = {name: e.encode(asked + texts + sentences) for name, e in batch.items()}  # also warms up
    report["agreement_with_torch"] = {name: cosines(vectors[name], vectors["torch"]) for name in BACKENDS[1:]}

    torch.set_num_threads(1)
    for e in single.values():
        e.encode(asked[:2])
    latency = interleaved({name: (lambda turn, e=e: e.encode([asked[turn]])) for name, e in single.items()},
                          len(asked))
    report["question_1_thread_ms"] = {n: 1000 * statistics.median(s) for n, s in latency.items()}
    report["question_speedup_vs_torch"] = {n: ratio(latency["torch"], latency[n]) for n in BACKENDS[1:]}

    torch.set_num_threads(os.cpu_count())
    calls = {}
    for name, e in batch.items():
        calls[f"{name} encode"] = lambda turn, e=e: e.encode(texts)
        calls[f"{name} spans"] = lambda turn, e=e: e.encode_with_spans(texts, spans)
    timed = interleaved(calls, args.rounds)
    report["chunks_per_s"] = {n: len(texts) / statistics.median(timed[f"{n} encode"]) for n in BACKENDS}
    report["chunk_speedup_vs_torch"] = {n: ratio(timed["torch encode"], timed[f"{n} encode"]) for n in BACKENDS[1:]}
    report["spans_throughput_vs_encode"] = {n: ratio(timed[f"{n} encode"], timed[f"{n} spans"]) for n in BACKENDS}
    report["late_chunking"] = {}
    for name, e in batch.items():
        today = interleaved({"today": lambda turn: e.encode(texts + sentences),
                             "spans": lambda turn: e.encode_with_spans(texts, spans)}, 1)
        _, pooled = e.encode_with_spans(texts, spans)
        pooled, alone = np.concatenate(pooled), vectors[name][len(asked) + len(texts):]
        report["late_chunking"][name] = {
            "build_speedup_vs_chunks_plus_sentences": ratio(today["today"], today["spans"]),
            "pooled_vs_alone_cosine": cosines(pooled, alone),
            "pooled_nearest_is_own_sentence": float(np.mean((pooled @ alone.T).argmax(axis=1) == np.arange(len(alone))))}
    report["squad_ranking"] = squad_ranking(batch, args.squad_articles, args.squad_questions)
    report["machine"]["load_average_end"] = os.getloadavg()[0]
    report["onnx_export"] = str(batch["onnx"].folder)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=60, help="questions timed (and rounds of that timing)")
    parser.add_argument("--squad-articles", type=int, default=6)
    parser.add_argument("--squad-questions", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args)
    print(json.dumps(report, indent=1) if args.json else render(report))
    return 0


def render(report: dict) -> str:
    lines = []
    for key, value in report.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k:40s} {json.dumps(v, default=float)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
