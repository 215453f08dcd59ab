"""Fit how the reader's judgement and the retriever's score combine into the probability that a
candidate sentence answers (AnswerParams.reader_weights), on the sets we may tune on: the news
dev set and SQuAD's articles 28:32 (the reader's validation articles; 32:48 are never tuned on).

Every question is asked as `footnote eval` asks it (follow-ups after their history); the first
AnswerParams.reader_candidates sentences are read. A candidate is labelled 1 when it comes from
the gold article and holds a gold answer; every candidate of an unanswerable question is 0, so
the combined probability also says when nothing answers. Each set counts equally. Prints the
weights and, per set, how often the first choice answers (when an answering sentence is among
the candidates) for the retriever alone, the reader alone and the two combined. Run the evals
in bench/tune_confidence.py's help first.

    .venv/bin/python bench/tune_reader.py [--reader bundled] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.answer import AnswerParams  # noqa: E402
from index.answer.reading import COMBINED_FEATURES, candidate_features, candidates_of  # noqa: E402
from index.assemble import open_answerer, query_thread_setup  # noqa: E402
from index.eval import conversation, eval_dir, eval_index_dir, load_questions, request_for  # noqa: E402
from index.eval.metrics import contains_answer  # noqa: E402
from index.reader import load_reader  # noqa: E402
from tune_confidence import fit_logistic  # noqa: E402


def collect(corpus: Path, questions, model: str, reader, read: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per question: (features of its read candidates, their labels)."""
    query_thread_setup()
    answerer = open_answerer(eval_index_dir(corpus), model, threshold=0.0)
    out = []
    for q in questions:
        draft = answerer.draft(request_for(q, conversation(answerer, q, 3)))
        head = draft.sentences[:read]
        if not head:
            continue
        p = reader.score(draft.question, draft.history, candidates_of(draft.passages, head))
        x = np.array([candidate_features(s, float(pr), n) for n, (s, pr) in enumerate(zip(head, p))])
        y = np.array([float(bool(q.answers) and s.passage.chunk.article_id == q.article_id
                            and contains_answer(s.text, q.answers)) for s in head])
        out.append((x, y))
    return out


def first_choice(groups, score) -> float | None:
    """Share of questions with an answering candidate whose best-scored candidate answers."""
    judged = [(x, y) for x, y in groups if y.any()]
    if not judged:
        return None
    return round(sum(float(y[int(np.argmax(score(x)))]) for x, y in judged) / len(judged), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--reader", default="bundled", help="the reader to fit for (bundled, or a folder)")
    parser.add_argument("--read", type=int, default=AnswerParams().reader_candidates)
    parser.add_argument("--news-corpus", type=Path, default=ROOT / ".footnote" / "eval" / "news-dev" / "corpus")
    parser.add_argument("--news-questions", type=Path, default=ROOT / "docs" / "news-dev" / "questions.jsonl")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    squad_dir = eval_dir() / "squad-28-32-1-0"
    if not (squad_dir / "questions.jsonl").is_file() or not args.news_corpus.is_dir():
        print("skipped: run the `footnote eval` commands in bench/tune_confidence.py's help first")
        return 0
    reader = load_reader(args.reader)
    sets = {"news": collect(args.news_corpus, load_questions(args.news_questions), args.model, reader, args.read),
            "squad": collect(squad_dir / "corpus", load_questions(squad_dir / "questions.jsonl"), args.model, reader,
                             args.read)}
    x = np.vstack([g[0] for groups in sets.values() for g in groups])
    y = np.concatenate([g[1] for groups in sets.values() for g in groups])
    balance = np.concatenate([np.full(len(g[1]), 1.0 / sum(len(h[1]) for h in groups))
                              for groups in sets.values() for g in groups])
    w = fit_logistic(x, y, balance)
    weights = {"bias": round(float(w[0]), 3), **{f: round(float(v), 3) for f, v in zip(COMBINED_FEATURES, w[1:])}}
    index = {f: n for n, f in enumerate(COMBINED_FEATURES)}
    result = {"reader_weights": weights, "sets": {}}
    for name, groups in sets.items():
        result["sets"][name] = {
            "questions": len(groups), "with_answering_candidate": sum(bool(y.any()) for _, y in groups),
            "retriever": first_choice(groups, lambda x: -np.arange(len(x))),
            "reader": first_choice(groups, lambda x: x[:, index["reader_logit"]]),
            "combined": first_choice(groups, lambda x: x @ w[1:])}
    if args.json:
        print(json.dumps(result))
        return 0
    print("reader_weights =", json.dumps(weights))
    for name, r in result["sets"].items():
        print(f"{name}: {r['questions']} questions, {r['with_answering_candidate']} with an answering candidate "
              f"among the first {args.read}; first choice answers: retriever {r['retriever']}, reader "
              f"{r['reader']}, combined {r['combined']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
