"""A second retrieval metric on another question style: nDCG@10 of the passages on the MS MARCO
TREC DL 2019 judged subset in ../shared/data (5,000 passages, short web queries, graded
judgments), for Footnote's answer with the reader and without it, beside BM25 alone and dense
(MiniLM) alone over the same index.

Each passage becomes one article of a JSONL corpus; a query's ranking is the passages of its
answer (k = 10). Gains are the judged grades (0 to 3), discounted by log2(rank + 1), as
trec_eval's ndcg_cut_10. Queries without a judged relevant passage in the 5,000 are left out.

    .venv/bin/python bench/msmarco.py [--reader bundled] [--json]

Skips (exit 0) when ../shared/data/msmarco-trecdl2019-subset is absent.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "msmarco-trecdl2019-subset"


def read_subset(data: Path) -> tuple[list[dict], dict[str, str], dict[str, dict[str, int]]]:
    """(passages, {query id: text}, {query id: {passage id: grade}})."""
    with open(data / "corpus.jsonl", encoding="utf-8") as f:
        passages = [json.loads(line) for line in f if line.strip()]
    with open(data / "queries.jsonl", encoding="utf-8") as f:
        queries = {q["_id"]: q["text"] for q in map(json.loads, filter(str.strip, f))}
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (data / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines():
        qid, pid, grade = line.split("\t")
        judged[qid][pid] = int(grade)
    return passages, queries, judged


def ndcg(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (trec_eval's ndcg_cut)."""
    dcg = sum(grades.get(pid, 0) / math.log2(rank + 1) for rank, pid in enumerate(ranked[:k], 1))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / best if best else 0.0


def prepare(passages: list[dict], model: str) -> Path:
    """The corpus (one JSONL file) and its eval index, up to date."""
    from corpus.chunk import ChunkParams
    from index.build import DEFAULT_MAX_TOKENS, build_index
    from index.embed import load_embedder
    from index.eval import eval_dir, eval_index_dir

    corpus = eval_dir() / "msmarco" / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps({"id": p["_id"], "title": p.get("title") or "", "text": p["text"]}) + "\n"
                   for p in passages)
    target = corpus / "msmarco.jsonl"
    if not target.is_file() or target.read_text(encoding="utf-8") != data:
        target.write_text(data, encoding="utf-8")
    build_index(corpus, eval_index_dir(corpus), load_embedder(model), ChunkParams(DEFAULT_MAX_TOKENS),
                progress=False, cache_path=eval_dir() / "cache.sqlite")
    return corpus


def rankings(corpus: Path, queries: dict[str, str], model: str, reader_spec: str | None) -> dict[str, dict]:
    """Per ranker, per query: the ranked passage ids."""
    from index.answer import AskRequest
    from index.assemble import open_answerer, query_thread_setup
    from index.eval import eval_index_dir
    from index.reader import load_reader
    from index.search import Filters, content_terms

    query_thread_setup()
    off = open_answerer(eval_index_dir(corpus), model, threshold=0.0)
    generation = off.retriever.live.current()
    pid = {}  # chunk id -> passage id

    def ids_of(chunk_ids: list[int]) -> list[str]:
        missing = [c for c in chunk_ids if c not in pid]
        if missing:
            pid.update({c: row[0].article_id.rsplit("/", 1)[-1] for c, row in generation.chunk_rows(missing).items()})
        return list(dict.fromkeys(pid[c] for c in chunk_ids))

    out: dict[str, dict] = {"bm25": {}, "dense": {}, "footnote (reader off)": {}}
    answerers = {"footnote (reader off)": off}
    if reader_spec:
        name = f"footnote (reader {reader_spec})"
        out[name] = {}
        answerers[name] = open_answerer(eval_index_dir(corpus), off.retriever.embedder, threshold=0.0,
                                        reader=load_reader(reader_spec))
    for qid, text in queries.items():
        out["bm25"][qid] = ids_of(generation.lexical(content_terms(text), Filters(), 10))
        vector = off.retriever.embedder.encode([text])[0]
        out["dense"][qid] = ids_of([int(i) for i in generation.vectors.search(vector, 10, None)[1]])
        for name, answerer in answerers.items():
            answer = answerer.answer(AskRequest(text, k=10))
            out[name][qid] = [p.chunk.article_id.rsplit("/", 1)[-1] for p in answer.passages]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--reader", help="also rank with this reader (bundled, or a folder)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (see ../shared/data/README.md)")
        return 0
    passages, queries, judged = read_subset(DATA)
    known = {p["_id"] for p in passages}
    asked = {q: t for q, t in queries.items() if any(g > 0 and p in known for p, g in judged.get(q, {}).items())}
    corpus = prepare(passages, args.model)
    ranked = rankings(corpus, asked, args.model, args.reader)
    result = {"queries": len(asked), "passages": len(passages),
              "ndcg@10": {name: round(sum(ndcg(r[q], judged[q]) for q in asked) / len(asked), 4)
                          for name, r in ranked.items()}}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"MS MARCO TREC DL 2019 subset: {result['queries']} judged queries over {result['passages']} passages")
    for name, value in result["ndcg@10"].items():
        print(f"  nDCG@10 {name:<28} {value:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
