"""Sweep the retrieval knobs on SQuAD dev: fusion weights, RRF k, the per-article cap, and
the sentence rerank.

Each question is encoded and searched once per ranker; the fusions are then recomputed
offline, so the sweep costs one pass of the model. Prints passage recall@1/@5/@10 (a gold
answer string occurs in one of the top passages) for every setting.

    .venv/bin/python bench/tune_retrieval.py --index .footnote/eval/squad-0-0/index --questions FILE
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from index import retrieve
from index.embed import load_embedder
from index.search import LiveIndex, Retriever, collapse, fuse, rerank


def load_questions(path: Path, sample: int, seed: int) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["answers"]]
    return random.Random(seed).sample(rows, sample) if sample and sample < len(rows) else rows


def rankings(retriever: Retriever, generation, questions: list[dict]):
    """(dense ids, lexical ids) per question, 50 deep, and the question vectors."""
    vectors = retriever.embedder.encode([q["question"] for q in questions])
    where, params = "1", []
    out = []
    for q, v in zip(questions, vectors):
        _, ids = generation.vectors.search(v, retrieve.CANDIDATES)
        lexical = retriever._lexical(generation, q["question"], where, params)
        out.append(([int(i) for i in ids[0] if i >= 0], lexical))
    return out, vectors


def recall(generation, questions, ranked, dense_w, lexical_w, rrf_k, cap, vectors=None):
    """Recall@1/5/10; with `vectors`, the top passages are reranked by their sentences."""
    hits = {1: 0, 5: 0, 10: 0}
    for n, (q, (dense, lexical)) in enumerate(zip(questions, ranked)):
        fused = fuse([(dense, dense_w), (lexical, lexical_w)], k=rrf_k)
        ids = list(fused)[:retrieve.CANDIDATES]
        passages = generation.passages(ids, [fused[i] for i in ids])
        if vectors is not None:
            head = rerank(generation, passages[:retrieve.RERANK], vectors[n], q["question"])
            passages = head + passages[retrieve.RERANK:]
        top = collapse(passages, 10, per_article=cap)
        first = next((n for n, p in enumerate(top, 1) if any(a in p.chunk.text for a in q["answers"])), None)
        for k in hits:
            hits[k] += first is not None and first <= k
    return {f"@{k}": round(v / len(questions), 4) for k, v in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    retriever = Retriever(LiveIndex(args.index, args.model), load_embedder(args.model, threads=1))
    generation = retriever.live.current()
    questions = load_questions(args.questions, args.sample, args.seed)
    ranked, vectors = rankings(retriever, generation, questions)
    print(f"{len(questions)} answerable questions, {generation.chunk_count()} chunks")
    print(f"{'dense':>6} {'lexical':>7} {'rrf_k':>5} {'cap':>4}  recall@1  @5     @10")
    for dense_w, lexical_w in [(1, 0), (0, 1), (1, 1), (1, 1.5), (1, 2), (1, 3)]:
        for rrf_k in (10, 60):
            for cap in (2, 3, 10):
                r = recall(generation, questions, ranked, dense_w, lexical_w, rrf_k, cap)
                print(f"{dense_w:>6} {lexical_w:>7} {rrf_k:>5} {cap:>4}  {r['@1']:.4f}  {r['@5']:.4f} {r['@10']:.4f}")
    print("\nsentence rerank of the top passages (RRF 1:1, k 10):")
    print(f"{'coverage':>8} {'cosine':>6} {'cap':>4}  recall@1  @5     @10")
    for coverage_w, cosine_w in [(0, 0), (1, 0), (0, 1), (1, 1)]:
        retrieve.COVERAGE_WEIGHT, retrieve.SENTENCE_WEIGHT = coverage_w, cosine_w
        for cap in (3, 10):
            r = recall(generation, questions, ranked, 1, 1, 10, cap, vectors)
            print(f"{coverage_w:>8} {cosine_w:>6} {cap:>4}  {r['@1']:.4f}  {r['@5']:.4f} {r['@10']:.4f}")


if __name__ == "__main__":
    main()
