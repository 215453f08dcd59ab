"""The scale-out pieces on this machine: reading and chunking, and embedding, through Ray against
the local executor; question latency through the Milvus store against the local store.

    python bench/scale_out.py chunk --corpus DIR [--max-tokens 256]
    python bench/scale_out.py embed --index DIR [--texts 400] [--actors 1,2]
    python bench/scale_out.py latency --index DIR --store milvus://HOST:PORT/DB --questions FILE
    python bench/scale_out.py all [--cache FILE]

`chunk` reads and chunks every file of a corpus folder here and through Ray (num_cpus=2), and
reports articles/s and chunks/s both ways, Ray's start-up apart, and whether both made the same
articles and chunks. `embed` embeds the first `--texts` chunk texts of the index with the local
executor and with Ray (each actor count given), from a cold start, and reports texts/s, Ray's
start-up, and the least cosine to the local vectors. `latency` asks every question of FILE (JSONL
with "question") through both stores, a warm-up pass then `--rounds` timed ones, and reports
p50/p95 and how often the two cite the same articles and quote the same spans.

`all` (bench/run_all.py's `scale-out` step) does the three on the news dev set with the default
model: it writes the corpus (bench/news_corpus.py), builds its index (the vector cache `--cache`
spares texts embedded before), starts a Milvus Lite server of its own, publishes the index into
it, and prints one JSON object; a line starting `skipped` when ../shared/data or the scale
extra (`pip install -e '.[scale]'`) is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import news_corpus  # noqa: E402
from corpus.chunk import ChunkParams, split_articles  # noqa: E402
from corpus.load import MAX_FILE_BYTES, corpus_files, read_files  # noqa: E402
from index.answer import AskRequest  # noqa: E402
from index.assemble import open_answerer, query_thread_setup  # noqa: E402
from index.build import DEFAULT_MAX_TOKENS  # noqa: E402
from index.embed import DEFAULT_MODEL, load_embedder  # noqa: E402
from index.store import Filters, Generation  # noqa: E402
from index.stores import open_store  # noqa: E402

QUESTIONS = ROOT / "docs" / "news-dev" / "questions.jsonl"
WORK = ROOT / ".footnote" / "bench" / "scale-out"


def chunk(corpus: Path, model: str, max_tokens: int) -> dict:
    from index.executor import RayExecutor

    embedder, params, paths = load_embedder(model), ChunkParams(max_tokens), corpus_files(corpus)
    started = time.perf_counter()
    articles = [a for found in read_files(corpus, paths, MAX_FILE_BYTES) if isinstance(found, list) for a in found]
    read = time.perf_counter()
    pieces = split_articles(articles, embedder, params)
    done = time.perf_counter()
    chunks = sum(len(c) for c, _ in pieces)
    out = {"files": len(paths), "articles": len(articles), "chunks": chunks, "model": model,
           "local": _rates(len(articles), read - started, chunks, done - read)}
    executor = RayExecutor(model, num_cpus=2)
    started = time.perf_counter()
    ray = executor.start()
    up = time.perf_counter()
    on_ray = [a for found in executor.read_files(corpus, paths, MAX_FILE_BYTES) if isinstance(found, list)
              for a in found]
    read = time.perf_counter()
    ray_pieces = executor.split_articles(on_ray, embedder.span_tokenizer(), params)
    done = time.perf_counter()
    ray.shutdown()
    out["ray"] = {"start_s": round(up - started, 1), **_rates(len(on_ray), read - up, chunks, done - read)}
    out["same_articles"], out["same_chunks"] = on_ray == articles, ray_pieces == pieces
    return out


def _rates(articles: int, read_s: float, chunks: int, chunk_s: float) -> dict:
    return {"read_articles_per_s": round(articles / read_s, 1), "chunk_articles_per_s": round(articles / chunk_s, 1),
            "chunks_per_s": round(chunks / chunk_s, 1)}


def embed(index: Path, count: int, batch_size: int, actor_counts: list[int]) -> dict:
    from index.executor import RayExecutor

    with Generation.open(index) as local:
        model = local.manifest["model"]["name"]
        ids = local.chunk_ids(Filters()).tolist()[:count]
        texts = [row[0].text for _, row in sorted(local.chunk_rows(ids).items())]
    started = time.perf_counter()
    embedder = load_embedder(model)
    loaded = time.perf_counter()
    reference = embedder.encode(texts)
    done = time.perf_counter()
    out = {"texts": len(texts), "model": model, "backend": type(embedder).__name__,
           "local": {"load_s": round(loaded - started, 1), "texts_per_s": round(len(texts) / (done - loaded), 1)}}
    for actors in actor_counts:
        executor = RayExecutor(model, actors=actors, batch_size=batch_size, num_cpus=2)
        started = time.perf_counter()
        ray = executor.start()
        up = time.perf_counter()
        vectors = executor.embed(texts)
        done = time.perf_counter()
        cosine = np.sum(vectors * reference, axis=1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(reference, axis=1)
        out[f"ray_{actors}_actors"] = {"ray_start_s": round(up - started, 1),
                                       "texts_per_s_with_model_load": round(len(texts) / (done - up), 1),
                                       "min_cosine": round(float(cosine.min()), 6)}
        ray.shutdown()
    return out


def latency(index: Path, store: str, questions_file: Path, rounds: int) -> dict:
    query_thread_setup()
    questions = [json.loads(line)["question"] for line in questions_file.read_text().splitlines() if line.strip()]
    with Generation.open(index) as local:
        model = local.manifest["model"]["name"]
    embedder = load_embedder(model, threads=1)
    stores = {"local": open_answerer(index, embedder), "milvus": open_answerer(open_store(index, store), embedder)}
    out, answers = {}, {}
    for name, answerer in stores.items():
        answers[name] = [answerer.answer(AskRequest(question=q)) for q in questions]  # warm-up
        times = []
        for _ in range(rounds):
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


def everything(cache: Path | None) -> dict | str:
    """The three measures on the news dev set, with its index built and published here."""
    if not news_corpus.DATA.is_file():
        return f"skipped: {news_corpus.DATA} not found"
    missing = [name for name in ("ray", "pymilvus", "milvus_lite") if importlib.util.find_spec(name) is None]
    if missing:
        return f"skipped: {', '.join(missing)} not installed (pip install -e '.[scale]')"
    from index.milvus_build import build_into_milvus
    from milvus_publish import lite_server

    corpus = news_corpus.OUT
    news_corpus.build_corpus(news_corpus.DATA, news_corpus.ARTICLES, corpus)
    out = {"corpus": str(corpus.relative_to(ROOT))}
    with tempfile.TemporaryDirectory() as folder, lite_server(Path(folder)) as store:
        started = time.perf_counter()  # the local build (often from the cache) and the publish
        build_into_milvus(store, corpus, WORK / "index", load_embedder(DEFAULT_MODEL), progress=False,
                          cache_path=cache)
        out["build_and_publish_s"] = round(time.perf_counter() - started, 1)
        out["chunk"] = chunk(corpus, DEFAULT_MODEL, DEFAULT_MAX_TOKENS)
        out["embed"] = embed(WORK / "index", 300, 32, [1, 2])
        out["latency"] = latency(WORK / "index", store, QUESTIONS, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("chunk")
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS)
    p = sub.add_parser("embed")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--texts", type=int, default=400)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--actors", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    p = sub.add_parser("latency")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=2)
    p = sub.add_parser("all")
    p.add_argument("--cache", type=Path, help="the vector cache of the index build (default: the index's own)")
    args = parser.parse_args()
    if args.what == "chunk":
        out = chunk(args.corpus, args.model, args.max_tokens)
    elif args.what == "embed":
        out = embed(args.index, args.texts, args.batch_size, args.actors)
    elif args.what == "latency":
        out = latency(args.index, args.store, args.questions, args.rounds)
    else:
        out = everything(args.cache)
    print(out if isinstance(out, str) else json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
