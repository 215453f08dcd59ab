"""Choose the gap grouping's similarity: group bench/gap_questions.jsonl (questions written for
this; a topic per line) at several thresholds and compare with the topics.

    python bench/gap_threshold.py [--model all-MiniLM-L6-v2]

Prints, per threshold, the adjusted Rand index against the topics, the groups found, the
groups that mix topics and the topics split across groups."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from index.embed import DEFAULT_MODEL, load_embedder
from index.gaps.grouping import group_questions

QUESTIONS = Path(__file__).with_name("gap_questions.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    vectors = load_embedder(args.model, threads=1).encode([r["question"] for r in rows])
    topics = [r["topic"] for r in rows]
    print(f"{len(rows)} questions, {len(set(topics))} topics, model {args.model}")
    print("similarity  ARI    groups  mixed  split")
    for similarity in [x / 100 for x in range(20, 85, 5)]:
        groups = group_questions(vectors, similarity)
        labels = [0] * len(rows)
        for g, members in enumerate(groups):
            for i in members:
                labels[i] = g
        mixed = sum(len({topics[i] for i in members}) > 1 for members in groups)
        split = sum(len({labels[i] for i, t in enumerate(topics) if t == topic}) > 1 for topic in set(topics))
        print(f"{similarity:10.2f}  {adjusted_rand_score(topics, labels):.3f}  {len(groups):6d}  {mixed:5d}  {split:5d}")


if __name__ == "__main__":
    main()
