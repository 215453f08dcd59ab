"""The scale-out pieces on this machine: question latency through the Milvus store against the
local store on the same collection, and embedding through Ray against the local executor.

    python bench/scale_out.py latency --index DIR --store milvus://HOST:PORT/DB --questions FILE
    python bench/scale_out.py embed --index DIR [--texts 400] [--actors 1,2]

`latency` asks every question of FILE (JSONL with "question") through both stores, a warm-up
pass then `--rounds` timed ones, and reports p50/p95 and how often the two cite the same
articles and quote the same spans. `embed` embeds the first `--texts` chunk texts of the index
with the local executor and with Ray (num_cpus=2, each actor count given), from a cold start,
and reports texts/s, Ray's start-up, and the least cosine to the local vectors.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.answer import AskRequest  # noqa: E402
from index.assemble import open_answerer, query_thread_setup  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.store import Filters, Generation  # noqa: E402


def latency(args) -> dict:
    query_thread_setup()
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    with Generation.open(args.index) as local:
        model = local.manifest["model"]["name"]
    embedder = load_embedder(model, threads=1)
    stores = {"local": open_answerer(args.index, embedder), "milvus": open_answerer(args.index, embedder,
                                                                                    store=args.store)}
    out, answers = {}, {}
    for name, answerer in stores.items():
        answers[name] = [answerer.answer(AskRequest(question=q)) for q in questions]  # warm-up
        times = []
        for _ in range(args.rounds):
            for q in questions:
                started = time.perf_counter()
                answerer.answer(AskRequest(question=q))
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[name] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * len(times))], 1)}
    pairs = list(zip(answers["local"], answers["milvus"]))
    out["same_citations"] = round(sum([c.article_id for c in a.citations] == [c.article_id for c in b.citations]
                                      for a, b in pairs) / len(pairs), 4)
    out["same_quotes"] = round(sum([(q.article_id, q.start, q.end) for q in a.quotes] ==
                                   [(q.article_id, q.start, q.end) for q in b.quotes] for a, b in pairs) / len(pairs), 4)
    out["questions"], out["model"] = len(questions), model
    return out


def embed(args) -> dict:
    from index.executor import RayExecutor

    with Generation.open(args.index) as local:
        model = local.manifest["model"]["name"]
        ids = local.chunk_ids(Filters()).tolist()[:args.texts]
        texts = [row[0].text for _, row in sorted(local.chunk_rows(ids).items())]
    started = time.perf_counter()
    embedder = load_embedder(model)
    loaded = time.perf_counter()
    reference = embedder.encode(texts)
    done = time.perf_counter()
    out = {"texts": len(texts), "model": model,
           "local": {"load_s": round(loaded - started, 1), "texts_per_s": round(len(texts) / (done - loaded), 1)}}
    for actors in args.actors:
        import ray

        executor = RayExecutor(model, actors=actors, batch_size=args.batch_size, num_cpus=2)
        started = time.perf_counter()
        executor._start(ray)
        up = time.perf_counter()
        vectors = executor.embed(texts)
        done = time.perf_counter()
        cosine = np.sum(vectors * reference, axis=1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(reference, axis=1)
        out[f"ray_{actors}_actors"] = {"ray_start_s": round(up - started, 1),
                                       "texts_per_s_with_model_load": round(len(texts) / (done - up), 1),
                                       "min_cosine": round(float(cosine.min()), 6)}
        ray.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("latency")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=2)
    p = sub.add_parser("embed")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--texts", type=int, default=400)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--actors", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    args = parser.parse_args()
    print(json.dumps(latency(args) if args.what == "latency" else embed(args), indent=1))


if __name__ == "__main__":
    main()
