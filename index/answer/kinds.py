"""What a question asks for (a number, a date, a name, a place), and whether a sentence holds
one that the question does not already say: a cheap, strong sign of the answering sentence."""

from __future__ import annotations

import calendar
import re

NUMBER, DATE, NAME, PLACE = "number", "date", "name", "place"

_ASKS = [
    (DATE, re.compile(r"^\W*(?:and\s+)?(?:when\b|what\s+(?:year|date|day|month|time)\b|which\s+(?:year|date|day|month)\b"
                      r"|by when\b|since when\b|how long ago\b)", re.I)),
    (NUMBER, re.compile(r"\bhow\s+(?:much|many|long|far|big|large|high|low|old|often|fast)\b|\bwhat\b(?:\s+[\w'-]+)"
                        r"{0,5}?\s+(?:percentage|share|proportion|price|rate|amount|number|level|figure|sum|value|"
                        r"total|cost|size|stake|dividend|profit|loss|earnings|revenue|sales|output|growth|"
                        r"deficit|surplus)s?\b|\bat\s+what\s+(?:price|rate|level)\b", re.I)),
    (PLACE, re.compile(r"^\W*(?:and\s+)?where\b|\bwhich\s+(?:country|countries|city|cities|state|port|region|"
                       r"province|town|nation)\b|\bin\s+what\s+(?:country|city|state)\b", re.I)),
    (NAME, re.compile(r"^\W*(?:and\s+)?(?:who|whom|whose)\b|\bwhich\s+(?:company|companies|firm|bank|person|group|"
                      r"man|woman|official|minister|executive|party|team|agency|brokerage|unit)\b|\bwhat\s+"
                      r"(?:company|firm|bank|is the name|was the name|name)\b|\bwho\b", re.I)),
]

_MONTHS = "|".join(m for m in list(calendar.month_name)[1:] + list(calendar.month_abbr)[1:])
_DATE_WORDS = re.compile(rf"\b(?:{_MONTHS})\b\.?|\b(?:1[5-9]|20)\d\d\b|\b(?:monday|tuesday|wednesday|thursday|"
                         r"friday|saturday|sunday|today|yesterday|tomorrow)\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
                         re.I)
_NUMBER_WORDS = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                           r"forty|fifty|hundred|thousand|million|billion|trillion|mln|bln|dozen|half|pct|percent)\b",
                           re.I)
# Capitalised words past the first of the sentence (which is capitalised anyway).
_CAPITALISED = re.compile(r"(?<=[\s(\"'“<])[A-Z][\w&'.-]*")
# Capitalised only because they open a sentence: not names.
_FUNCTION = frozenset("""the a an it its he she they we i you this that these those there here in on at
of for to from by with but and or so as if when while after before since his her their our mr mrs ms
dr last next first new""".split()) | {m.lower() for m in calendar.month_name[1:]} | {
    d.lower() for d in calendar.day_name}


def answer_type(question: str) -> str | None:
    """The kind of thing `question` asks for, or None when it asks for something else."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


def has_answer_type(sentence: str, kind: str, asked: set[str]) -> bool:
    """Whether `sentence` holds a `kind` the question (its lower-cased words `asked`) does not."""
    if kind == DATE:
        return any(m.group(0).lower().rstrip(".") not in asked for m in _DATE_WORDS.finditer(sentence))
    if kind == NUMBER:
        return any(m.group(0).lower() not in asked for m in _NUMBER_WORDS.finditer(sentence)
                   if not m.group(0).isdigit() or _number_at(sentence, m.start()) not in asked)
    words = (m.group(0).lower().strip(".'") for m in _CAPITALISED.finditer(sentence))
    return any(w not in asked and w not in _FUNCTION for w in words)


def _number_at(text: str, start: int) -> str:
    """The whole number (digits, separators) that starts at or around `start`."""
    match = re.compile(r"[\d.,]*\d").match(text, start)
    return match.group(0) if match else text[start]
