"""Sentences with character offsets into the text they came from (syntok)."""

from __future__ import annotations

import re

from syntok import segmenter

# A line that ends without sentence punctuation, then a line break and a capital: the line is
# a heading when it is clearly shorter than the line after it (hard-wrapped prose keeps its
# lines about equally long, so a wrapped line before a proper noun is not cut).
_LINE_END = re.compile(r"[^\S\n]*\n[^\S\n]*(?=[A-Z0-9\"'“‘(\[])")
_FINAL = frozenset(".!?:;…\"'”’)]»")
HEADING_MAX_CHARS = 150
HEADING_SHORTER = 0.75  # a heading is at most this share of the next line's length


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return `(start, end)` spans of the sentences of `text`, in order, whitespace trimmed.

    syntok may rewrite a token's value (for example "n't"), so a sentence's end is taken
    from where the next one starts, never from token values: `text[start:end]` is always
    the original characters.
    """
    starts = [
        sentence[0].offset
        for paragraph in segmenter.analyze(text)
        for sentence in paragraph
        if sentence
    ]
    spans = []
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(text)
        end = start + len(text[start:stop].rstrip())
        if end > start:
            spans.extend(_split_headings(text, start, end))
    return spans


def _split_headings(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a sentence span after every heading line inside it (a title with no final full
    stop, glued by syntok to the sentence below it)."""
    spans = []
    for match in _LINE_END.finditer(text, start, end):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line = text[max(line_start, start):match.start()]
        next_end = text.find("\n", match.end())
        next_line = text[match.end():end if next_end == -1 or next_end > end else next_end]
        if (line and line[-1] not in _FINAL and len(line) <= HEADING_MAX_CHARS
                and len(line) < HEADING_SHORTER * len(next_line)):
            spans.append((start, match.start()))
            start = match.end()
    spans.append((start, end))
    return spans


def first_sentence(text: str, max_chars: int = 100) -> str:
    """The first sentence of `text`, shortened at a word boundary to at most `max_chars`."""
    spans = split_sentences(text[: max_chars * 4])
    sentence = text[spans[0][0]:spans[0][1]] if spans else text.strip()
    sentence = " ".join(sentence.split())
    if len(sentence) <= max_chars:
        return sentence
    cut = sentence[:max_chars].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
