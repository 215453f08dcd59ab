"""Fit the answer confidence on SQuAD and on the news dev set: when to answer, when to abstain.

Both sets are answered exactly as `footnote eval` answers them (follow-ups after their history),
over the indexes `footnote eval` built for them, so run those evals first:

    footnote eval --squad ../shared/data/squad-v1.1-dev/dev-v1.1.json --squad-articles 28:32 --holdout 1
    python bench/news_corpus.py && footnote eval --corpus .footnote/eval/news-dev/corpus \\
        --questions docs/news-dev/questions.jsonl
    .venv/bin/python bench/tune_confidence.py [--reader bundled] [--json]

The SQuAD questions are those of articles 28:32, one of them held out of the corpus so that its
questions are unanswerable: the reader validates on these four and never trains on them, and
SQuAD's last 16 articles (where the figures are reported) are never fitted on. Each set counts
equally in the fit. With --reader the answers are read and the fit is of READER_WEIGHTS (its
features added); without, of WEIGHTS. Prints the weights, the AUROC of each feature alone and
of the fit on each set, and the threshold sweep on both.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.answer.confidence import FEATURES, READER_FEATURES, READER_WEIGHTS, WEIGHTS, score  # noqa: E402
from index.assemble import open_answerer, query_thread_setup  # noqa: E402
from index.eval import ask, conversation, eval_dir, eval_index_dir, load_questions  # noqa: E402
from index.eval.metrics import auroc  # noqa: E402
from index.reader import load_reader  # noqa: E402

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def collect(corpus: Path, questions, model: str, reader, names) -> tuple[np.ndarray, np.ndarray]:
    """(features, answerable) for each question, answered as `footnote eval` does."""
    query_thread_setup()
    answerer = open_answerer(eval_index_dir(corpus), model, threshold=0.0, reader=reader)
    rows, labels = [], []
    for question in questions:
        answer = ask(answerer, question, conversation(answerer, question, 3))
        rows.append([answer.features.get(name, 0.0) for name in names])
        labels.append(1.0 if question.answers else 0.0)
    return np.array(rows), np.array(labels)


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, steps: int = 20000,
                 rate: float = 0.5, l2: float = 1e-3) -> np.ndarray:
    """Weights (bias first) of a weighted, lightly regularised logistic regression."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ w))
        grad = design.T @ (weight * (p - y)) / weight.sum()
        grad[1:] += l2 * w[1:]
        w -= rate * grad
    return w


def report(name: str, x: np.ndarray, y: np.ndarray, weights: dict, names) -> dict:
    confidence = np.array([score(dict(zip(names, row)), weights) for row in x])
    sweep = []
    for t in THRESHOLDS:
        abstain = confidence < t
        tp = float((abstain & (y == 0)).sum())
        sweep.append({"threshold": t, "abstain_precision": round(tp / abstain.sum(), 3) if abstain.sum() else None,
                      "abstain_recall": round(tp / (y == 0).sum(), 3),
                      "answerable_declined": round(float((abstain & (y == 1)).sum() / (y == 1).sum()), 3)})
    return {"set": name, "questions": len(y), "unanswerable": int((y == 0).sum()),
            "auroc": round(auroc(list(1 - confidence), list(1 - y)), 4),
            "feature_auroc": {f: round(auroc(list(-x[:, i]), list(1 - y)), 4) for i, f in enumerate(names)},
            "sweep": sweep}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--reader", help="answer with this reader (bundled, or a folder) and fit READER_WEIGHTS")
    parser.add_argument("--news-corpus", type=Path, default=ROOT / ".footnote" / "eval" / "news-dev" / "corpus")
    parser.add_argument("--news-questions", type=Path, default=ROOT / "docs" / "news-dev" / "questions.jsonl")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    squad_dir = eval_dir() / "squad-28-32-1-0"
    if not (squad_dir / "questions.jsonl").is_file() or not args.news_corpus.is_dir():
        print("skipped: run the two `footnote eval` commands in this script's help first")
        return 0
    reader = load_reader(args.reader) if args.reader else None
    names = FEATURES + READER_FEATURES if reader is not None else FEATURES
    current = READER_WEIGHTS if reader is not None else WEIGHTS
    squad = load_questions(squad_dir / "questions.jsonl")
    news = load_questions(args.news_questions)
    sets = {"squad": collect(squad_dir / "corpus", squad, args.model, reader, names),
            "news": collect(args.news_corpus, news, args.model, reader, names)}
    x = np.vstack([v[0] for v in sets.values()])
    y = np.concatenate([v[1] for v in sets.values()])
    balance = np.concatenate([np.full(len(v[1]), 1.0 / len(v[1])) for v in sets.values()])
    w = fit_logistic(x, y, balance)
    fitted = {"bias": round(float(w[0]), 3), **{f: round(float(v), 3) for f, v in zip(names, w[1:])}}
    result = {"weights": fitted,
              "fitted": [report(name, *data, fitted, names) for name, data in sets.items()],
              "current": [report(name, *data, current, names) for name, data in sets.items()]}
    if args.json:
        print(json.dumps(result))
        return 0
    print("READER_WEIGHTS =" if reader is not None else "WEIGHTS =", json.dumps(fitted))
    for label in ("current", "fitted"):
        for r in result[label]:
            print(f"\n{label} weights on {r['set']}: {r['questions']} questions ({r['unanswerable']} unanswerable), "
                  f"AUROC {r['auroc']:.4f}")
            print("  feature AUROC alone: " + ", ".join(f"{k} {v:.3f}" for k, v in r["feature_auroc"].items()))
            print("  threshold  abstain_precision  abstain_recall  answerable_declined")
            for row in r["sweep"]:
                print(f"  {row['threshold']:9.2f}  {row['abstain_precision'] or 0:17.3f}  {row['abstain_recall']:14.3f}"
                      f"  {row['answerable_declined']:19.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
