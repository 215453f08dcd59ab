"""Questions files: one JSON object per line, read and checked line by line."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

_FIELDS = {"id", "question", "answers", "article_id", "history", "as_of", "kind", "style"}


class QuestionsError(ValueError):
    """A questions file cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    article_id: str | None = None
    history: tuple[str, ...] = ()
    as_of: dt.date | None = None
    kind: str | None = None  # e.g. answerable, unanswerable, followup, as_of: figures per kind
    style: str | None = None  # how the question was written, e.g. paraphrase, needs-history, near-miss


def load_questions(path: Path) -> list[Question]:
    """Read a questions JSONL file, refusing the first bad line with its number and the fix."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionsError(f"questions file {path} cannot be read ({exc}); pass --questions FILE") from None
    questions, seen, ignored = [], set(), {}
    for lineno, line in enumerate(lines, 1):
        if line.strip():
            try:
                question, unknown = parse_question(line)
            except ValueError as exc:
                raise QuestionsError(f"{path} line {lineno}: {exc}") from None
            for name in unknown:
                ignored.setdefault(name, []).append(lineno)
            if question.id in seen:
                raise QuestionsError(f"{path} line {lineno}: id {question.id!r} is used twice; give each question its own id")
            seen.add(question.id)
            questions.append(question)
    if not questions:
        raise QuestionsError(f"{path} holds no questions; write one JSON object per line: "
                             '{"id": "q1", "question": "...", "answers": ["..."]}')
    for name, lines_with in sorted(ignored.items()):
        print(f"warning: {path}: ignored the unknown field `{name}` on {len(lines_with)} line(s) (first: "
              f"line {lines_with[0]}); the fields are {', '.join(sorted(_FIELDS))}", file=sys.stderr)
    return questions


def parse_question(line: str) -> tuple[Question, list[str]]:
    """One line of a questions file and the unknown fields it had (ignored); ValueError says
    what is wrong and how to fix it."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg}); write one JSON object per line") from None
    if not isinstance(row, dict):
        raise ValueError('not a JSON object; write {"id": ..., "question": ..., "answers": [...]}')
    unknown = sorted(set(row) - _FIELDS)
    missing = sorted({"id", "question", "answers"} - set(row))
    if missing:
        raise ValueError(f"missing {', '.join(missing)}; every line needs id, question and answers "
                         "(an empty answers list marks a question the corpus does not answer)")
    if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool) or str(row["id"]) == "":
        raise ValueError("`id` must be a non-empty string or a number")
    if not isinstance(row["question"], str) or not row["question"].strip():
        raise ValueError("`question` must be non-empty text")
    answers = _strings(row["answers"], "answers")
    article_id = row.get("article_id")
    if article_id is not None and (not isinstance(article_id, str) or not article_id):
        raise ValueError("`article_id` must be an article id such as \"2026/larkspur-line-opens\", or left out")
    kind = row.get("kind")
    if kind is not None and (not isinstance(kind, str) or not kind.strip()):
        raise ValueError("`kind` must be a short label such as \"followup\", or left out")
    style = row.get("style")
    if style is not None and (not isinstance(style, str) or not style.strip()):
        raise ValueError("`style` must be a short label such as \"paraphrase\", or left out")
    return Question(str(row["id"]), row["question"], answers, article_id,
                    _strings(row.get("history") or [], "history"), _date(row.get("as_of")),
                    kind.strip() if kind else None, style.strip() if style else None), unknown


def _strings(value, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"`{name}` must be a list of non-empty strings (it may be empty: [])")
    return tuple(value)


def _date(value) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"`as_of` {value!r} is not a date; write it as YYYY-MM-DD") from None


def sample_questions(questions: list[Question], n: int | None, seed: int) -> list[Question]:
    """A reproducible random subset of `n` questions, kept in file order; all when `n` is None."""
    if n is None or n >= len(questions):
        return list(questions)
    if n < 1:
        raise ValueError(f"--sample {n} selects no question; pass a positive number")
    chosen = set(random.Random(seed).sample(range(len(questions)), n))
    return [q for i, q in enumerate(questions) if i in chosen]
