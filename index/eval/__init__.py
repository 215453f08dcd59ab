"""`footnote eval` and what it measures with: questions files, SQuAD conversion, answering a
file as a chat would, the metrics and the per-question details. Imports everything below it
(answer, search, store, embed, build); nothing imports it but the CLI and bench scripts."""

from __future__ import annotations

from index.eval.command import eval_dir, eval_index_dir, register_eval, write_details
from index.eval.metrics import Record, summarise, summarise_by_kind
from index.eval.outcomes import Outcome
from index.eval.questions import Question, QuestionsError, load_questions, parse_question, sample_questions
from index.eval.run import answer_all, ask, conversation, request_for, to_record
from index.eval.squad import squad_to_corpus

__all__ = ["Outcome", "Question", "QuestionsError", "Record", "answer_all", "ask", "conversation", "eval_dir",
           "eval_index_dir", "load_questions", "parse_question", "register_eval", "request_for", "sample_questions",
           "squad_to_corpus", "summarise", "summarise_by_kind", "to_record", "write_details"]
