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
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.embed import load_embedder  # noqa: E402
from index.search import Filters, LiveIndex, Passage, RetrievalParams, collapse, content_terms, fuse, rerank  # noqa: E402


def load_questions(path: Path, sample: int, seed: int) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["answers"]]
    return random.Random(seed).sample(rows, sample) if sample and sample < len(rows) else rows


def rankings(embedder, generation, questions: list[dict], depth: int):
    """(dense ids, lexical ids) per question, `depth` deep, and the question vectors."""
    vectors = embedder.encode([q["question"] for q in questions])
    out = []
    for q, v in zip(questions, vectors):
        _, ids = generation.vectors.search(v, depth)
        lexical = generation.lexical(content_terms(q["question"]), Filters(), depth)
        out.append(([int(i) for i in ids], lexical))
    return out, vectors


def passages_of(generation, fused: dict[int, float]) -> list[Passage]:
    rows = generation.chunk_rows(list(fused))
    return [Passage(rows[i][0], s, *rows[i][1:], chunk_id=i) for i, s in fused.items() if i in rows]


def recall(generation, questions, ranked, params: RetrievalParams, vectors=None):
    """Recall@1/5/10; with `vectors`, the top passages are reranked by their sentences."""
    hits = {1: 0, 5: 0, 10: 0}
    for n, (q, (dense, lexical)) in enumerate(zip(questions, ranked)):
        fused = fuse([(dense, params.dense_weight), (lexical, params.lexical_weight)], k=params.rrf_k)
        passages = passages_of(generation, dict(list(fused.items())[:params.candidates]))
        if vectors is not None:
            head = rerank(generation, passages[:params.rerank], vectors[n], q["question"], params)
            passages = head + passages[params.rerank:]
        top = collapse(passages, 10, params.max_per_article, params.duplicate_jaccard)
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
    embedder = load_embedder(args.model, threads=1)
    generation = LiveIndex(args.index, embedder.name).current()
    questions = load_questions(args.questions, args.sample, args.seed)
    base = RetrievalParams()
    ranked, vectors = rankings(embedder, generation, questions, base.candidates)
    print(f"{len(questions)} answerable questions, {generation.chunk_count()} chunks")
    print(f"{'dense':>6} {'lexical':>7} {'rrf_k':>5} {'cap':>4}  recall@1  @5     @10")
    for dense_w, lexical_w in [(1, 0), (0, 1), (1, 1), (1, 1.5), (1, 2), (1, 3)]:
        for rrf_k in (10, 60):
            for cap in (2, 3, 10):
                params = replace(base, dense_weight=dense_w, lexical_weight=lexical_w, rrf_k=rrf_k, max_per_article=cap)
                r = recall(generation, questions, ranked, params)
                print(f"{dense_w:>6} {lexical_w:>7} {rrf_k:>5} {cap:>4}  {r['@1']:.4f}  {r['@5']:.4f} {r['@10']:.4f}")
    print("\nsentence rerank of the top passages (RRF 1:1, k 10):")
    print(f"{'coverage':>8} {'cosine':>6} {'cap':>4}  recall@1  @5     @10")
    for coverage_w, cosine_w in [(0, 0), (1, 0), (0, 1), (1, 1)]:
        for cap in (3, 10):
            params = replace(base, coverage_weight=coverage_w, sentence_weight=cosine_w, max_per_article=cap)
            r = recall(generation, questions, ranked, params, vectors)
            print(f"{coverage_w:>8} {cosine_w:>6} {cap:>4}  {r['@1']:.4f}  {r['@5']:.4f} {r['@10']:.4f}")


if __name__ == "__main__":
    main()
