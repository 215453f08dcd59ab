"""`footnote eval` and what it measures with: questions files, SQuAD conversion, answering a
file as a chat would, the metrics and the per-question details. Imports everything below it
(answer, search, store, embed, build); nothing imports it but the CLI and bench scripts.

Its names are loaded when first used (`from index.eval import load_questions` works as
ever), so that the CLI's parser, which needs only index/eval/cli.py, starts at once."""

from __future__ import annotations

import importlib

_HOME = {
    "command": ("eval_dir", "eval_index_dir", "write_details", "cmd_eval"),
    "cli": ("register_eval",),
    "metrics": ("Record", "summarise", "summarise_by_kind"),
    "outcomes": ("Outcome",),
    "questions": ("Question", "QuestionsError", "load_questions", "parse_question", "sample_questions"),
    "run": ("answer_all", "ask", "conversation", "request_for", "to_record"),
    "squad": ("squad_to_corpus",),
}
_WHERE = {name: module for module, names in _HOME.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'index.eval' has no attribute {name!r}")
    return getattr(importlib.import_module(f"index.eval.{_WHERE[name]}"), name)
