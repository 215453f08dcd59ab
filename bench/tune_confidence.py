"""Fit the answer confidence on SQuAD dev: which answers to give and when to abstain.

Some SQuAD articles are hidden from retrieval (an article-id filter) so that their questions
have no answer in what remains. For a sample of questions the script records the answer's
features, fits a logistic regression of "answerable" on them, and prints the coefficients
to put in index/answer.py with the AUROC and the precision/recall of abstaining at several
thresholds.

    .venv/bin/python bench/tune_confidence.py --index DIR --questions squad.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from index import answer as answer_module
from index.answer import Answerer, AskRequest, best_sentences
from index.embed import load_embedder
from index.metrics import auroc
from index.retrieve import Filters, LiveIndex, Retriever


def features(answerer: Answerer, question: str, visible: tuple[str, ...]) -> list[float]:
    """(best passage cosine, best sentence coverage, best sentence cosine) for a question."""
    generation = answerer.retriever.live.current()
    request = AskRequest(question, filters=Filters(article_ids=visible), k=5)
    query = answerer.query(request, question, answerer.today())
    passages = answerer.retriever.search(generation, query, k=5)
    sentences = best_sentences(passages[:answer_module.QUOTE_PASSAGES])
    if not passages or not sentences:
        return [0.0, 0.0, 0.0]
    lead = answer_module.lead_sentence(passages, sentences)
    return [max(p.dense for p in passages[:3]), lead.coverage, lead.cosine]


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 5000, rate: float = 0.5) -> np.ndarray:
    """Weights (bias first) of a logistic regression, by plain gradient descent."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ w))
        w -= rate * design.T @ (p - y) / len(y)
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index of all 48 SQuAD dev articles")
    parser.add_argument("--questions", type=Path, required=True, help="SQuAD questions as eval JSONL")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--hidden", type=int, default=8, help="articles hidden from retrieval")
    parser.add_argument("--sample", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    retriever = Retriever(LiveIndex(args.index, args.model), load_embedder(args.model, threads=1))
    answerer = Answerer(retriever)
    ids = sorted(a.id for a in retriever.live.current().articles())
    rng = random.Random(args.seed)
    hidden = set(rng.sample(ids, args.hidden))
    visible = tuple(i for i in ids if i not in hidden)
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    rows = rng.sample(rows, min(args.sample, len(rows)))
    x = np.array([features(answerer, r["question"], visible) for r in rows])
    y = np.array([0.0 if r["article_id"] in hidden else 1.0 for r in rows])
    w = fit_logistic(x, y)
    confidence = 1 / (1 + np.exp(-(np.hstack([np.ones((len(x), 1)), x]) @ w)))
    print(f"{len(rows)} questions, {int((1 - y).sum())} unanswerable (articles hidden: {len(hidden)})")
    print("weights: bias {:.3f}, passage cosine {:.3f}, sentence coverage {:.3f}, sentence cosine {:.3f}".format(*w))
    for name, column in zip(("passage cosine", "sentence coverage", "sentence cosine"), x.T):
        print(f"  AUROC of {name} alone: {auroc(list(-column), list(1 - y)):.4f}")
    print(f"AUROC of the fitted confidence: {auroc(list(1 - confidence), list(1 - y)):.4f}")
    print("threshold  abstain_precision  abstain_recall  answerable_abstained")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9):
        abstain = confidence < t
        tp = (abstain & (y == 0)).sum()
        precision = tp / abstain.sum() if abstain.sum() else float("nan")
        recall = tp / (y == 0).sum()
        print(f"{t:9.2f}  {precision:17.3f}  {recall:14.3f}  {(abstain & (y == 1)).sum() / (y == 1).sum():20.3f}")


if __name__ == "__main__":
    main()
