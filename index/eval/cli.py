"""`footnote eval`'s place in the `footnote` parser: its flags and defaults, importing nothing
heavy, so that `footnote --help` starts at once; the command itself is index/eval/command.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from index.defaults import DEFAULT_MAX_TOKENS, DEFAULT_SENTENCE_VECTORS, MAX_PER_ARTICLE, SENTENCE_VECTORS
from index.eval.squad import parse_span


def register_eval(sub, common) -> None:
    """Add the `eval` subcommand to the `footnote` parser."""
    p = sub.add_parser(
        "eval", parents=[common], help="measure retrieval, quotes and abstention on a questions file",
        description="Index a corpus in its own eval index (never the served one unless --index is given), "
                    "answer every question and report passage recall@1/5/10, MRR, article recall@5, "
                    "answer hit, verbatim rate, abstention precision/recall/AUROC and latency. Use "
                    "--corpus DIR --questions FILE, or --squad FILE to convert SQuAD v1.1. Exit status: 0 ok, 2 error.")
    p.add_argument("--questions", type=Path, metavar="FILE", help='JSONL, one {"id", "question", "answers": [...], '
                   '"article_id"?, "history"?: [...], "as_of"?: "YYYY-MM-DD"} per line; [] = unanswerable')
    p.add_argument("--squad", type=Path, metavar="FILE", help="SQuAD v1.1 JSON to convert into the corpus and questions "
                   "(kept in .footnote/eval/squad-<holdout>-<seed>)")
    p.add_argument("--squad-articles", type=_span, metavar="START:STOP",
                   help="with --squad: only the articles at these positions in file order (e.g. 32:48, the "
                        "16 the answer reader never trained on); default: all 48")
    p.add_argument("--holdout", type=int, default=0, metavar="N",
                   help="with --squad: leave this many articles out; their questions become unanswerable")
    p.add_argument("--sample", type=int, metavar="N", help="evaluate a random subset of this many questions")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed for --sample and --holdout (default 0)")
    p.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, metavar="N",
                   help=f"model tokens per chunk (default {DEFAULT_MAX_TOKENS})")
    p.add_argument("--sentence-vectors", choices=SENTENCE_VECTORS, metavar="HOW",
                   help="own: embed each sentence on its own; pooled: take it from its chunk's pass (each "
                        "token embedded once). Default: as the index was built, else " + DEFAULT_SENTENCE_VECTORS)
    p.add_argument("--per-article", type=int, default=MAX_PER_ARTICLE, metavar="N",
                   help=f"passages one article may hold in the results (default {MAX_PER_ARTICLE})")
    p.add_argument("--details", type=Path, metavar="FILE",
                   help="write one JSON line per question: question, gold, what was retrieved and quoted, "
                        "confidence, hit or miss and why")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    # --index and --corpus default to the served index and corpus (or their env vars): eval
    # keeps to its own index unless --index is given, so the served one never gets SQuAD.
    p.set_defaults(run=_run_eval, shared_defaults={name: Path(common.get_default(name))
                                                  for name in ("corpus", "index")})


def _run_eval(args) -> int:
    from index.eval.command import cmd_eval

    return cmd_eval(args)


def _span(text: str) -> tuple[int, int]:
    try:
        return parse_span(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
