"""Sweep the answer-step knobs on the news dev set and a SQuAD sample: what a sentence holding
the asked-for type is worth, how much its passage's rank counts, how many articles quotes come
from, the time lift and the recency band.

Each setting answers every question as `footnote eval` does (follow-ups after their history)
over the indexes `footnote eval` built, and prints answer hit and article recall@5 per set and
per kind. Run the two evals in bench/tune_confidence.py's help first.

    .venv/bin/python bench/tune_answers.py [--squad-sample 600] [--only news]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import answer as answer_module, retrieve  # noqa: E402
from index.answer import Answerer  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.eval import (answer_all, eval_dir, eval_index_dir, load_questions,  # noqa: E402
                            sample_questions)
from index.eval.metrics import summarise, summarise_by_kind  # noqa: E402
from index.search import LiveIndex, Retriever  # noqa: E402

# (module, name, values): each knob is swept alone around the current setting. TYPE_SCALE
# scales every one of answer.TYPE_WEIGHTS.
KNOBS = [
    (answer_module, "TYPE_SCALE", (0.0, 0.5, 1.0, 1.5)),
    (answer_module, "PASSAGE_WEIGHT", (0.25, 0.5, 1.0)),
    (retrieve, "QUOTE_ARTICLES", (0, 1, 2, 3)),
    (retrieve, "NEIGHBOURS", (1, 3, 6)),
    (retrieve, "TIME_WEIGHT", (0.0, 0.1, 0.2, 0.4)),
    (retrieve, "RECENCY_BAND", (0.7, 0.8, 0.9)),
]


def measure(sets: dict, answerers: dict) -> dict:
    out = {}
    for name, questions in sets.items():
        outcomes = answer_all(answerers[name], questions, progress=False)
        records = [o.record for o in outcomes]
        metrics = summarise(records)
        kinds = summarise_by_kind(records, [o.kind or name for o in outcomes])
        out[name] = {"answer_hit": metrics["answer_hit"], "article_recall@5": metrics["article_recall@5"],
                     "kinds": {k: v["answer_hit"] for k, v in kinds.items() if v["answer_hit"] is not None}}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--squad-sample", type=int, default=600)
    parser.add_argument("--only", choices=("news", "squad"))
    parser.add_argument("--knob", action="append", help="sweep only this knob (repeatable; e.g. TYPE_WEIGHT)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="fix a knob before the sweep (repeatable)")
    args = parser.parse_args()
    answer_module.TYPE_SCALE = 1.0
    modules = {name: module for module, name, _ in KNOBS}
    for setting in args.set:
        name, value = setting.split("=")
        setattr(modules[name], name, type(getattr(modules[name], name))(float(value)))
    news_corpus = ROOT / ".footnote" / "eval" / "news-dev" / "corpus"
    squad_dir = eval_dir() / "squad-8-1"
    embedder = load_embedder(args.model, threads=1)
    sets, answerers = {}, {}
    if args.only != "squad":
        sets["news"] = load_questions(ROOT / "docs" / "news-dev" / "questions.jsonl")
        answerers["news"] = news_corpus
    if args.only != "news":
        squad = [q for q in load_questions(squad_dir / "questions.jsonl") if q.answers]
        sets["squad"] = sample_questions(squad, args.squad_sample, 5)
        answerers["squad"] = squad_dir / "corpus"
    answerers = {k: Answerer(Retriever(LiveIndex(eval_index_dir(c), embedder.name), embedder), threshold=0.0)
                 for k, c in answerers.items()}
    base_weights = dict(answer_module.TYPE_WEIGHTS)
    print("baseline:", measure(sets, answerers))
    for module, name, values in KNOBS:
        if args.knob and name not in args.knob:
            continue
        current = getattr(module, name)
        for value in values:
            if value == current:
                continue
            setattr(module, name, value)
            answer_module.TYPE_WEIGHTS = {k: v * answer_module.TYPE_SCALE for k, v in base_weights.items()}
            print(f"{name}={value}:", measure(sets, answerers), flush=True)
        setattr(module, name, current)
        answer_module.TYPE_WEIGHTS = dict(base_weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
