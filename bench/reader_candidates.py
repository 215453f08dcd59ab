"""How many candidate sentences the reader must read: where the answering sentence ranks among the
sentences the retriever scored, on the news dev set and on SQuAD's held-out articles, and (with
--reader) how often the reader's first choice among the first N is an answering one.

Every answerable question is asked as `footnote eval` asks it (follow-ups after their history,
the reader off, so the ranking is the retriever's). A sentence answers when it comes from the
gold article and holds a gold answer string. Run the two evals first, so their indexes exist:

    footnote eval --corpus .footnote/eval/news-dev/corpus --questions docs/news-dev/questions.jsonl
    footnote eval --squad ../shared/data/squad-v1.1-dev/dev-v1.1.json --squad-articles 32:48 --holdout 3 --sample 3000 --seed 1

    .venv/bin/python bench/reader_candidates.py [--reader bundled] [--squad-sample 1000] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.answer.reading import candidates_of  # noqa: E402
from index.assemble import open_answerer, query_thread_setup  # noqa: E402
from index.eval import conversation, eval_dir, eval_index_dir, load_questions, request_for, sample_questions  # noqa: E402
from index.eval.metrics import contains_answer  # noqa: E402
from index.reader import load_reader  # noqa: E402

DEPTHS = (1, 2, 4, 6, 8, 10, 12, 16, 24)
SQUAD_DIR = "squad-32-48-3-1"


def ranks(corpus: Path, questions, model: str, reader_spec: str | None, read: int) -> list[dict]:
    """Per answerable question: the rank of the first answering sentence (None: not among them),
    and with a reader, whether its first choice among the first `read` answers."""
    query_thread_setup()
    answerer = open_answerer(eval_index_dir(corpus), model, threshold=0.0)
    reader = load_reader(reader_spec) if reader_spec else None
    out = []
    for q in questions:
        if not q.answers:
            continue
        history = conversation(answerer, q, 3)
        draft = answerer.draft(request_for(q, history))
        good = [s.passage.chunk.article_id == q.article_id and contains_answer(s.text, q.answers)
                for s in draft.sentences]
        row = {"id": q.id, "kind": q.kind, "rank": good.index(True) + 1 if any(good) else None,
               "candidates": len(good)}
        if reader is not None and any(good[:read]):
            head = draft.sentences[:read]
            p = reader.score(draft.question, draft.history, candidates_of(draft.passages, head))
            row["reader_right"] = bool(good[int(p.argmax())])
            row["retriever_right"] = good[0]
        out.append(row)
    return out


def summary(rows: list[dict]) -> dict:
    n = len(rows)
    found = {d: round(sum(r["rank"] is not None and r["rank"] <= d for r in rows) / n, 4) for d in DEPTHS}
    result = {"questions": n, "gold_sentence_recall": found,
              "anywhere": round(sum(r["rank"] is not None for r in rows) / n, 4),
              "mean_candidates": round(sum(r["candidates"] for r in rows) / n, 1)}
    judged = [r for r in rows if "reader_right" in r]
    if judged:
        result["first_choice_when_present"] = {
            "questions": len(judged), "reader": round(sum(r["reader_right"] for r in judged) / len(judged), 4),
            "retriever": round(sum(r["retriever_right"] for r in judged) / len(judged), 4)}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--reader", help="also measure this reader's first choice (bundled, or a folder)")
    parser.add_argument("--read", type=int, default=8, help="candidates the reader reads (default 8)")
    parser.add_argument("--squad-sample", type=int, default=1000)
    parser.add_argument("--news-corpus", type=Path, default=ROOT / ".footnote" / "eval" / "news-dev" / "corpus")
    parser.add_argument("--news-questions", type=Path, default=ROOT / "docs" / "news-dev" / "questions.jsonl")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    squad = eval_dir() / SQUAD_DIR
    if not (squad / "questions.jsonl").is_file() or not args.news_corpus.is_dir():
        print("skipped: run the two `footnote eval` commands in this script's help first")
        return 0
    sets = {"news": (args.news_corpus, load_questions(args.news_questions)),
            "squad": (squad / "corpus", sample_questions(load_questions(squad / "questions.jsonl"),
                                                         args.squad_sample, 1))}
    result = {}
    for name, (corpus, questions) in sets.items():
        rows = ranks(corpus, questions, args.model, args.reader, args.read)
        result[name] = summary(rows)
        kinds = sorted({r["kind"] for r in rows if r["kind"]})
        if kinds:
            result[name]["by_kind"] = {k: summary([r for r in rows if r["kind"] == k]) for k in kinds}
    if args.json:
        print(json.dumps(result))
        return 0
    for name, r in result.items():
        print(f"{name}: {r['questions']} answerable questions, {r['mean_candidates']} candidate sentences each")
        print("  gold sentence among the first N: " + ", ".join(f"{d}: {v:.3f}" for d, v in
                                                                r["gold_sentence_recall"].items())
              + f"; anywhere {r['anywhere']:.3f}")
        if "first_choice_when_present" in r:
            c = r["first_choice_when_present"]
            print(f"  first choice when the gold is among the first {args.read} ({c['questions']} questions): "
                  f"reader {c['reader']:.3f}, retriever {c['retriever']:.3f}")
        for kind, k in r.get("by_kind", {}).items():
            line = f"    {kind}: recall@8 {k['gold_sentence_recall'][8]:.3f}"
            if "first_choice_when_present" in k:
                line += (f", first choice reader {k['first_choice_when_present']['reader']:.3f} / retriever "
                         f"{k['first_choice_when_present']['retriever']:.3f}")
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
