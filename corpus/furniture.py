"""Page furniture: what a scraped news page holds besides the story (gallery captions, teasers
for other stories, advertisement markers, the byline, the dateline). It stays in the text and
in the chunks; it is never quoted.

Every rule is anchored (a whole line, or the lead of the story) and shaped narrowly, because a
false positive hides a real sentence from every answer: the rules find nothing in the 19,043
Reuters-21578 bodies, the 2,067 SQuAD dev contexts or 5,000 MS MARCO passages, and with its
dateline put back in front, a Reuters story loses exactly that dateline (98% of them;
tests/test_corpus_furniture.py checks the first 2,000 and SQuAD).
"""

from __future__ import annotations

import os
import re

Span = tuple[int, int]

_LABELS = (r"(?:Read [Mm]ore|READ MORE|More|MORE|Related|RELATED|Related [Cc]overage|See [Aa]lso|SEE ALSO|"
           r"Also [Rr]ead|ALSO READ|Don't [Mm]iss|DON'T MISS|Must [Rr]ead|Watch|WATCH|Video|VIDEO|Photos?|PHOTOS?|"
           r"Gallery|GALLERY|In [Pp]ictures|Listen|LISTEN)")
_CAPTION = r"(?:Hide|Show) Caption \d{1,3} of \d{1,3}"
_WORD = r"[A-Z][\w'’.-]*"
_PARTICLE = r"(?:de|da|del|der|van|von|la|le|bin|al)"
_NAME = rf"(?!(?:The|A|An|This|That|These|Those|Our|Your|Their|His|Her|Its|My)\b){_WORD}(?: (?:{_WORD}|{_PARTICLE})){{1,3}}"
_NAMES = rf"{_NAME}(?:(?:,? and |, | & ){_NAME}){{0,3}}"
_OUTLET = rf"{_WORD}(?: (?:{_WORD}|to|for|of|the|and)){{0,5}}"  # "Special to USA TODAY"
_BYLINE = rf"(?:By|BY) {_NAMES}"
_BYLINE_OUTLET = rf"{_BYLINE}[ \t]*(?:,|\||/|-|–|—)[ \t]*{_OUTLET}"

# Whole lines that are furniture, whatever surrounds them.
_LINE = re.compile("|".join([
    r"(?i:advertisement|story continues below(?: the)? advertisement|continue reading(?: the)?(?: main)? story"
    r"(?: below)?|ad feedback|sponsored content)",
    rf"(?:{_CAPTION}|\d{{1,3}} of \d{{1,3}})(?: {_LABELS}:.{{0,150}})?",
    rf"{_LABELS}[ \t]*:.{{1,200}}",
    # A short label glued to its teaser ("Tax cuts:In a surprise move..."); not a note or a source.
    r"(?=[^:\n]{1,30}:)(?!(?i:notes?|editor's note|sources?|corrections?|updates?|[QA]):)"
    r"[A-Z][\w'’&-]*(?: [\w'’&-]+){0,3}:[\"“‘]?[A-Z].{1,200}",
    rf"{_BYLINE_OUTLET}|{_BYLINE}",
    r"(?:Updated|Published|Posted|Last updated)\b.{0,40}\b\d{1,2}:\d{2}\b.{0,60}",
]))

# Inside a line: a gallery's counter, and an advertisement marker between two sentences.
_INLINE = re.compile(rf"{_CAPTION}|(?:^|(?<=[.!?\"”] ))(?:Advertisement(?= [A-Z\"“]|$)"
                     rf"|\d{{1,3}} of \d{{1,3}}(?= Photos?:|$))", re.MULTILINE)
_GALLERY_LABEL = re.compile(r"(?:^|(?<=\d ))Photos?: ", re.MULTILINE)

# The lead: a dateline, maybe after a byline, at the start of the story's first line. After a
# headline only a dateline naming its agency or its date counts ("LONDON, March 3 (Reuters) -").
_CAPS = r"[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}"
_PLACE = r"[A-Z][A-Za-z.'’-]*(?: [A-Z][A-Za-z.'’-]*){0,3}"
_REGION = r"(?:, [A-Z][A-Za-z.'’-]*(?: [A-Z][A-Za-z.'’-]*){0,2})?"
_DATE = r", (?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-zA-Z]*\.? \d{1,2}"
_AGENCY = (r"\((?:CNN|CNN Business|CNNMoney|AP|The Associated Press|Reuters|AFP|UPI|Bloomberg|Xinhua|dpa|BBC|"
           r"NPR|CNBC|ABC News|NBC News|CBS News|Fox News)\)")
_DASH = r"(?:[ \t]+(?:--|-)(?=[ \t])|[ \t]*[—–])"  # a hyphen only with spaces ("U.S.-Japan" is a word)
_NEXT = r"(?=[ \t]*[\"“‘'(<]?[A-Z0-9])"
_STRICT = (rf"(?:{_PLACE}{_REGION}(?:{_DATE})?[ \t]+{_AGENCY}(?:{_DASH})?"
           rf"|{_CAPS}{_REGION}(?:{_DATE})?[ \t]+\([A-Z][\w.&]*(?: [A-Z][\w.&]*){{0,2}}\){_DASH}"
           rf"|{_PLACE}{_REGION}{_DATE}{_DASH}){_NEXT}")
# "WASHINGTON – The...": a place in capitals and a long dash ("THB - Thai baht" is a glossary).
_BARE = rf"{_CAPS}{_REGION}[ \t]*[—–](?=[ \t]*[\"“‘']?(?:[A-Z][a-z]|[AI] ))"
_LEAD = re.compile(rf"(?:{_BYLINE_OUTLET}\s+)?(?:{_STRICT}|{_BARE})|{_BYLINE_OUTLET}[ \t]*$", re.MULTILINE)
_LEAD_AFTER_HEADING = re.compile(_STRICT)
_LEAD_LINES = 4  # the dateline is looked for on the first lines, past furniture and headings
_FINAL = ".!?…\"'”’)]»"


def find_furniture(text: str) -> tuple[Span, ...]:
    """`(start, end)` spans of the page furniture in `text`, in order, merged where they touch."""
    spans = _furniture_lines(text) + [m.span() for m in _INLINE.finditer(text)] + _gallery_titles(text)
    spans += _lead(text, {start for start, _ in spans})
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _lines(text: str):
    """`(start, end)` of each non-empty line of `text`, its outer whitespace left out."""
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        start = match.start() + len(line) - len(line.lstrip())
        end = match.start() + len(line.rstrip())
        if end > start:
            yield start, end


def _furniture_lines(text: str) -> list[Span]:
    return [(start, end) for start, end in _lines(text) if _LINE.fullmatch(text, start, end)]


def _gallery_titles(text: str) -> list[Span]:
    """A gallery's "Photos: <its title>" before each caption: the title is what follows every
    label alike (a caption glued to it differs from one photo to the next)."""
    labels = list(_GALLERY_LABEL.finditer(text))
    if len(labels) < 2:
        return []
    rests = [text[m.end():_line_end(text, m.end())] for m in labels]
    title = os.path.commonprefix(rests)
    if not all(len(rest) == len(title) or rest[len(title)].isspace() for rest in rests):
        title = title[:title.rfind(" ") + 1] if " " in title else ""
    return [(m.start(), m.end() + len(title.rstrip())) for m in labels]


def _lead(text: str, furniture_starts: set[int]) -> list[Span]:
    """A byline and a dateline at the start of the story's first line: the first line of the
    text, or the one after the furniture lines and headings above it."""
    found, after_heading = [], False
    for n, (start, end) in enumerate(_lines(text)):
        match = (_LEAD_AFTER_HEADING if after_heading else _LEAD).match(text, start, end)
        if match:
            found.append(match.span())
            if match.end() < end:  # a dateline: the story starts right after it
                break
        elif start not in furniture_starts:
            if text[end - 1] in _FINAL or end - start > 150:
                break  # the story's first line, without a dateline
            after_heading = True
        if n + 1 >= _LEAD_LINES:
            break
    return found


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end == -1 else end


def quotable_spans(text: str, sentences: list[Span], furniture: tuple[Span, ...]) -> list[Span]:
    """The sentences with the furniture at their edges left out (a dateline before the first
    words, a teaser glued to the end), and those that are all furniture dropped."""
    if not furniture:
        return list(sentences)
    covered = bytearray(len(text))
    for start, end in furniture:
        covered[start:end] = b"\x01" * (end - start)
    out = []
    for start, end in sentences:
        while start < end and (covered[start] or text[start].isspace()):
            start += 1
        while end > start and (covered[end - 1] or text[end - 1].isspace()):
            end -= 1
        if any(ch.isalnum() for ch in text[start:end]):
            out.append((start, end))
    return out
