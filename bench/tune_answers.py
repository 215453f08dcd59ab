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

from dataclasses import replace  # noqa: E402

from index.answer import AnswerParams  # noqa: E402
from index.assemble import open_answerer, query_thread_setup  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.eval import answer_all, eval_dir, eval_index_dir, load_questions, sample_questions  # noqa: E402
from index.eval.metrics import summarise, summarise_by_kind  # noqa: E402
from index.search import RetrievalParams  # noqa: E402

# (which params, field, values): each knob is swept alone around its default. `type_scale`
# scales every one of AnswerParams.type_weights.
KNOBS = [
    ("answer", "type_scale", (0.0, 0.5, 1.5)),
    ("answer", "passage_weight", (0.25, 1.0)),
    ("retrieval", "quote_articles", (0, 1, 3)),
    ("retrieval", "neighbours", (1, 3)),
    ("retrieval", "time_weight", (0.0, 0.1, 0.4)),
    ("retrieval", "recency_band", (0.7, 0.9)),
    ("retrieval", "sentence_weight", (0.5, 0.75, 1.5)),
    ("retrieval", "coverage_weight", (0.75, 1.5)),
]


def measure(sets: dict, corpora: dict, embedder, retrieval: RetrievalParams, answering: AnswerParams) -> dict:
    out = {}
    for name, questions in sets.items():
        answerer = open_answerer(eval_index_dir(corpora[name]), embedder, threshold=0.0, retrieval=retrieval,
                                 answering=answering)
        outcomes = answer_all(answerer, questions, progress=False)
        records = [o.record for o in outcomes]
        metrics = summarise(records)
        kinds = summarise_by_kind(records, [o.kind or name for o in outcomes])
        out[name] = {"answer_hit": metrics["answer_hit"], "article_recall@5": metrics["article_recall@5"],
                     "passage_recall@1": metrics.get("passage_recall@1"),
                     "kinds": {k: v["answer_hit"] for k, v in kinds.items() if v["answer_hit"] is not None}}
    return out


def with_knob(retrieval: RetrievalParams, answering: AnswerParams, which: str, name: str, value):
    """The two params with one knob set."""
    if name == "type_scale":
        return retrieval, replace(answering, type_weights={k: v * value for k, v in answering.type_weights.items()})
    if which == "answer":
        return retrieval, replace(answering, **{name: value})
    return replace(retrieval, **{name: type(getattr(retrieval, name))(value)}), answering


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--squad-sample", type=int, default=600)
    parser.add_argument("--only", choices=("news", "squad"))
    parser.add_argument("--knob", action="append", help="sweep only this knob (repeatable; e.g. time_weight)")
    args = parser.parse_args()
    squad_dir = eval_dir() / "squad-8-1"
    embedder = load_embedder(args.model, threads=1)
    query_thread_setup()
    sets, corpora = {}, {}
    if args.only != "squad":
        sets["news"] = load_questions(ROOT / "docs" / "news-dev" / "questions.jsonl")
        corpora["news"] = ROOT / ".footnote" / "eval" / "news-dev" / "corpus"
    if args.only != "news":
        squad = [q for q in load_questions(squad_dir / "questions.jsonl") if q.answers]
        sets["squad"] = sample_questions(squad, args.squad_sample, 5)
        corpora["squad"] = squad_dir / "corpus"
    retrieval, answering = RetrievalParams(), AnswerParams()
    print("defaults:", measure(sets, corpora, embedder, retrieval, answering), flush=True)
    for which, name, values in KNOBS:
        if args.knob and name not in args.knob:
            continue
        for value in values:
            print(f"{name}={value}:", measure(sets, corpora, embedder, *with_knob(retrieval, answering, which, name,
                                                                                   value)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
