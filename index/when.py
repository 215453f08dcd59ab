"""Time in questions: "latest", "last week", "in March 2026", read relative to an as-of date."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"

_RECENT = re.compile(r"\b(latest|most recent(ly)?|newest|recent(ly)?|current(ly)?|now|so far|"
                     r"up to date|as of today|these days)\b", re.I)


@dataclass(frozen=True)
class TimeIntent:
    """What a question says about time: a date window and/or a preference for newer articles."""

    after: dt.date | None = None  # inclusive
    before: dt.date | None = None  # inclusive
    prefer_recent: bool = False
    phrases: tuple[str, ...] = ()  # the words that said so


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _last_month_named(month: int, as_of: dt.date) -> int:
    """The year of the most recent `month` that has begun by `as_of`."""
    return as_of.year if month <= as_of.month else as_of.year - 1


def _rules(as_of: dt.date):
    """(pattern, handler) pairs; a handler turns a match into (after, before)."""
    week_start = as_of - dt.timedelta(days=as_of.weekday())
    first_of_month = as_of.replace(day=1)
    prev_month_end = first_of_month - dt.timedelta(days=1)
    return [
        (rf"\b(?:in|during|from)?\s*{_MONTH}\s+(\d{{4}})\b",
         lambda m: _month_range(int(m[2]), _MONTHS[m[1].lower()])),
        (rf"\b(?:in|during)\s+{_MONTH}(?!\s*\d)",
         lambda m: _month_range(_last_month_named(_MONTHS[m[1].lower()], as_of), _MONTHS[m[1].lower()])),
        (r"\b(?:in|during)\s+((?:19|20)\d{2})\b",
         lambda m: (dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31))),
        (r"\btoday\b", lambda m: (as_of, as_of)),
        (r"\byesterday\b", lambda m: (as_of - dt.timedelta(days=1),) * 2),
        (r"\bthis week\b", lambda m: (week_start, as_of)),
        (r"\b(?:last|past|previous) week\b", lambda m: (as_of - dt.timedelta(days=7), as_of)),
        (r"\bthis month\b", lambda m: (first_of_month, as_of)),
        (r"\b(?:last|previous) month\b", lambda m: (prev_month_end.replace(day=1), prev_month_end)),
        (r"\bpast month\b", lambda m: (as_of - dt.timedelta(days=30), as_of)),
        (r"\bthis year\b", lambda m: (dt.date(as_of.year, 1, 1), as_of)),
        (r"\b(?:last|previous) year\b",
         lambda m: (dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31))),
        (r"\bpast year\b", lambda m: (as_of - dt.timedelta(days=365), as_of)),
        (r"\b(?:last|past) (\d{1,3}) days\b", lambda m: (as_of - dt.timedelta(days=int(m[1])), as_of)),
    ]


def read_time(question: str, as_of: dt.date) -> TimeIntent:
    """The date window and recency preference a question expresses, relative to `as_of`."""
    after = before = None
    phrases = []
    for pattern, handler in _rules(as_of):
        match = re.search(pattern, question, re.I)
        if match:
            after, before = handler(match)
            phrases.append(match.group(0).strip())
            break
    recent = _RECENT.search(question)
    if recent:
        phrases.append(recent.group(0))
    if before is not None and before > as_of:
        before = as_of
    return TimeIntent(after, before, prefer_recent=bool(recent), phrases=tuple(phrases))


def without_recency_words(question: str, intent: TimeIntent) -> str:
    """The question without words such as "latest": they say how to rank, not what to find.

    Dates stay: "2025" or "March" may well be written in the articles themselves.
    """
    return " ".join(_RECENT.sub(" ", question).split()) if intent.prefer_recent else question
