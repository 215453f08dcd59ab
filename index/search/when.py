"""Time in questions, read relative to an as-of date.

A date a reader writes ("in March 2026", "last week", "in 2019") says when the *event* was:
it is evidence that lifts articles published near then, never a wall, because the report of
an event may come weeks or years later. Only a question about publication itself ("articles
from last week") turns it into a filter. A question may carry its own as-of date ("As of
3 May 1987, ...", "It's June 1, 1987.", "Today is 12 March 1987."); a question about a state
("what is the rate", "who is the chief executive", "how many so far") wants the newest
relevant article at or before that date, with or without the word "latest".
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass

from corpus.dates import date_part
from index.search.params import RetrievalParams
from index.search.types import Passage

# The days Footnote reasons about. Far outside them no collection has articles, and date
# arithmetic overflows ("yesterday" of 1 January 0001): a stated date outside is not taken as
# one, and an as-of date or filter outside is refused (index.answer.check_request, the API).
FIRST_DAY = dt.date(1000, 1, 1)
LAST_DAY = dt.date(9000, 12, 31)

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"

_RECENT = re.compile(r"\b(latest|most recent(ly)?|newest|recent(ly)?|current(ly)?|now|so far|to date|"
                     r"up to date|as of today|these days|at present|presently|still)\b", re.I)
# Present-tense questions about a state: the newest report at the as-of date answers them.
_STATE = re.compile(r"^\s*(?:and\s+)?(?:what|who|which|how\s+(?:much|many|big|large|high|low))\b[^?]*?"
                    r"\b(?:is|are|'s|stands?|remains?|holds?|owns?|runs?|leads?|heads?)\b", re.I)
_PAST = re.compile(r"\b(was|were|did|had|ago|yesterday|last|previous|earlier|former(ly)?)\b|\b\w+ed\b", re.I)
# Words that make a question about publication itself: then its window is a filter.
_PUBLICATION = re.compile(r"\b(articles?|stories|story|news|reports|reporting|coverage|headlines?|"
                          r"published|written|wrote|posted|ran)\b", re.I)
_DAY_DATE = (rf"(?:{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})"
             rf"|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})"
             r"|(\d{4})-(\d{2})-(\d{2}))")
_STATED = re.compile(rf"(?:\b(?:as of|as at)|(?:^|(?<=[.!?]\s))\s*(?:it'?s|it is|today is|the date is))\s+"
                     rf"(?:\w+day,?\s+)?{_DAY_DATE}\s*[.,:;]?\s*", re.I)


@dataclass(frozen=True)
class TimeIntent:
    """What a question says about time."""

    after: dt.date | None = None  # inclusive: the window the question's words name
    before: dt.date | None = None  # inclusive
    about_publication: bool = False  # the window is about when articles appeared: a filter
    prefer_recent: bool = False  # the newest relevant article should lead
    as_of: dt.date | None = None  # a date the question states as its own "today"
    phrases: tuple[str, ...] = ()  # the words that said so
    text: str = ""  # the question without its as-of statement and recency words, for search

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        if self.after is None and self.before is None:
            return None
        return self.after or dt.date.min, self.before or dt.date.max


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


_QUARTER = {"first": 1, "1st": 1, "q1": 1, "second": 2, "2nd": 2, "q2": 2, "third": 3, "3rd": 3, "q3": 3,
            "fourth": 4, "4th": 4, "q4": 4}


def _quarter(match: re.Match) -> tuple[dt.date, dt.date]:
    name, year = (match[1], match[2]) if match[1] else (match[4], match[3])
    q = _QUARTER[name.lower()]
    return _month_range(int(year), 3 * q - 2)[0], _month_range(int(year), 3 * q)[1]


def _last_month_named(month: int, as_of: dt.date) -> int:
    """The year of the most recent `month` that has begun by `as_of`."""
    return as_of.year if month <= as_of.month else as_of.year - 1


def _week_start(as_of: dt.date) -> dt.date:
    return as_of - dt.timedelta(days=as_of.weekday())


def _previous_month(as_of: dt.date) -> tuple[dt.date, dt.date]:
    last = as_of.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _year(m: re.Match) -> tuple[dt.date, dt.date]:
    return dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31)


# (pattern, handler): a handler turns a match and the as-of date into (after, before). The first
# rule that matches wins, so the order matters. Compiled once: a question reads them all.
_RULES = [(re.compile(pattern, re.I), handler) for pattern, handler in [
    (r"\b(first|second|third|fourth|1st|2nd|3rd|4th|q[1-4])[\s-]+quarter(?:\s+of)?,?\s+((?:19|20)\d\d)\b"
     r"|\b((?:19|20)\d\d)\s+(first|second|third|fourth)[\s-]+quarter\b",
     lambda m, as_of: _quarter(m)),
    (r"\b(?:first|1st)\s+half(?:\s+of)?\s+((?:19|20)\d\d)\b",
     lambda m, as_of: (dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 6, 30))),
    (r"\b(?:second|2nd)\s+half(?:\s+of)?\s+((?:19|20)\d\d)\b",
     lambda m, as_of: (dt.date(int(m[1]), 7, 1), dt.date(int(m[1]), 12, 31))),
    (r"\b(?:whole|all|full|calendar|fiscal)\s+(?:of\s+|year\s+)?((?:19|20)\d\d)\b", lambda m, as_of: _year(m)),
    (rf"\b(?:in|during|from|of)?\s*{_MONTH}\s+(\d{{4}})\b",
     lambda m, as_of: _month_range(int(m[2]), _MONTHS[m[1].lower()])),
    (rf"\b(?:in|during)\s+{_MONTH}(?!\s*\d)",
     lambda m, as_of: _month_range(_last_month_named(_MONTHS[m[1].lower()], as_of), _MONTHS[m[1].lower()])),
    (r"\b(?:in|during|for)\s+((?:19|20)\d{2})\b", lambda m, as_of: _year(m)),
    # lower-case "today", or "Today" opening the question: "the Today programme" is a name
    (r"(?-i:\btoday\b|^\s*Today\b)", lambda m, as_of: (as_of, as_of)),
    (r"\byesterday\b", lambda m, as_of: (as_of - dt.timedelta(days=1),) * 2),
    (r"\bthis week\b", lambda m, as_of: (_week_start(as_of), as_of)),
    (r"\b(?:last|past|previous) week\b", lambda m, as_of: (as_of - dt.timedelta(days=7), as_of)),
    (r"\bthis month\b", lambda m, as_of: (as_of.replace(day=1), as_of)),
    (r"\b(?:last|previous) month\b", lambda m, as_of: _previous_month(as_of)),
    (r"\bpast month\b", lambda m, as_of: (as_of - dt.timedelta(days=30), as_of)),
    (r"\bthis year\b", lambda m, as_of: (dt.date(as_of.year, 1, 1), as_of)),
    (r"\b(?:last|previous) year\b",
     lambda m, as_of: (dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31))),
    (r"\bpast year\b", lambda m, as_of: (as_of - dt.timedelta(days=365), as_of)),
    (r"\b(?:last|past) (\d{1,3}) days\b", lambda m, as_of: (as_of - dt.timedelta(days=int(m[1])), as_of)),
]]


def stated_as_of(question: str) -> tuple[dt.date | None, str]:
    """The as-of date a question states for itself, and the question without that statement."""
    match = _STATED.search(question)
    if not match:
        return None, question
    day = _day(match)
    if day is None:
        return None, question
    rest = (question[:match.start()] + " " + question[match.end():]).strip()
    return day, " ".join(rest.split()) or question


def _day(match: re.Match) -> dt.date | None:
    g = match.groups()
    try:
        if g[0]:
            day = dt.date(int(g[2]), _MONTHS[g[0].lower()], int(g[1]))
        elif g[3]:
            day = dt.date(int(g[5]), _MONTHS[g[4].lower()], int(g[3]))
        else:
            day = dt.date(int(g[6]), int(g[7]), int(g[8]))
    except ValueError:  # "February 30": not a date, so not a statement of one
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def read_time(question: str, as_of: dt.date) -> TimeIntent:
    """What `question` says about time, relative to `as_of` (or to the date it states itself)."""
    stated, text = stated_as_of(question)
    if stated is not None and stated > as_of:
        stated = None  # the caller's as-of is earlier: it holds
    as_of = stated or as_of
    phrases = []
    after = before = None
    for pattern, handler in _RULES:
        match = pattern.search(text)
        if match:
            try:
                after, before = handler(match, as_of)
            except (ValueError, OverflowError):  # "January 0000": no such day, so no window in time
                continue
            phrases.append(match.group(0).strip())
            break
    recent = _RECENT.search(text)
    if recent:
        phrases.append(recent.group(0))
    state = after is None and not recent and bool(_STATE.search(text)) and not _PAST.search(text)
    if before is not None and before > as_of:
        before = as_of
    search_text = " ".join(_RECENT.sub(" ", text).split()) if recent else text
    return TimeIntent(after, before, about_publication=after is not None and bool(_PUBLICATION.search(text)),
                      prefer_recent=bool(recent) or state, as_of=stated,
                      phrases=tuple(phrases), text=search_text or text)


# Time as evidence in a search


def weigh_time(passages: list[Passage], when: tuple[dt.date, dt.date] | None,
               params: RetrievalParams) -> list[Passage]:
    """Lift passages published near the time the question names, and those that mention it."""
    if not passages or when is None:
        return passages
    top = passages[0].score or 1.0
    marks = time_marks(when)
    lifted = [p.but(score=p.score + params.time_weight * top * time_closeness(p, when, marks, params))
              for p in passages]
    return sorted(lifted, key=lambda p: -p.score)


def time_closeness(p: Passage, when: tuple[dt.date, dt.date], marks: re.Pattern | None,
                   params: RetrievalParams = RetrievalParams()) -> float:
    """1 published inside the window, fading outside it; plus time_mention if the text names it."""
    closeness = 0.0
    day = _day_of(p.published)
    if day is not None:
        after, before = when
        span = (before - after).days if after > dt.date.min and before < dt.date.max else 0
        # Reports of a period come after it (results weeks or months later), previews
        # shortly before: the lift fades slower after the window than before it.
        if day > before:
            closeness = math.exp(-(day - before).days / max(2 * params.time_scale_min, span / 2))
        elif day < after:
            closeness = math.exp(-(after - day).days / max(params.time_scale_min, span / 4))
        else:
            closeness = 1.0
    if marks is not None and marks.search(p.chunk.text):
        closeness += params.time_mention
    return closeness


def time_marks(when: tuple[dt.date, dt.date]) -> re.Pattern | None:
    """How an article would name the window: its year(s), and its month when it is one month."""
    after, before = when
    if after == dt.date.min or before == dt.date.max or (before - after).days > 800:
        return None
    names = {str(y) for y in range(after.year, before.year + 1)}
    if (before - after).days <= 31:
        names |= {calendar.month_name[after.month], calendar.month_abbr[after.month] + "."}
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(names)) + r")(?!\w)")


def _day_of(published: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(date_part(published)) if published else None
    except ValueError:
        return None
