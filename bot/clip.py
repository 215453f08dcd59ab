"""Shortening text to a character budget at a sentence boundary, and saying so."""

from __future__ import annotations

import re

ELLIPSIS = "…"
# A sentence ends at . ! ? (perhaps closed by a quote or bracket) before a space or the end;
# a citation marker "[n]" ends a quote in an answer text.
_BOUNDARY = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)|\[\d+\](?=\s|$)")
_SPACE = re.compile(r"\s+")


# A masked link, "[text](url)": never cut inside one, or its Markdown shows raw and the link breaks.
_LINK = re.compile(r"\[[^\[\]\n]*\]\(<?[^()\s]*>?\)")


def cut_point(text: str, room: int) -> tuple[int, bool]:
    """Where to cut `text` to at most `room` characters: (index, at a sentence boundary), never
    inside a masked link."""
    links = [m.span() for m in _LINK.finditer(text, 0, room + 200)]

    def outside(i: int) -> bool:
        return not any(start < i < end for start, end in links)

    best = 0
    for match in _BOUNDARY.finditer(text, 0, room + 1):
        if match.end() <= room and outside(match.end()):
            best = match.end()
    if best:
        return best, True
    spaces = [m.start() for m in _SPACE.finditer(text, 0, room + 1) if m.start() <= room and outside(m.start())]
    if spaces:
        return spaces[-1], False
    return next((start for start, end in links if start < room < end and start > 0), room), False


def clip(text: str, limit: int, note: str = "") -> tuple[str, bool]:
    """`text` cut to `limit` characters at the last sentence boundary that fits, `note`
    appended when anything was cut; returns (text, trimmed).

    When not even one sentence fits, the text is cut at a word and marked with an ellipsis,
    so a reader always sees that something is missing.
    """
    if len(text) <= limit:
        return text, False
    room = max(limit - len(note) - len(ELLIPSIS) - 1, 0)
    index, whole = cut_point(text, room)
    head = unescaped_end(text[:index].rstrip())
    if not whole:
        head += ELLIPSIS
    return (head + note)[:limit], True


def unescaped_end(text: str) -> str:
    """`text` without a trailing backslash that would escape whatever is appended to it."""
    trailing = len(text) - len(text.rstrip("\\"))
    return text[:-1] if trailing % 2 else text


def clip_words(text: str, limit: int) -> str:
    """A short label (a title) cut at a word, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    spaces = [m.start() for m in _SPACE.finditer(text, 0, limit)]
    index = spaces[-1] if spaces else limit - len(ELLIPSIS)
    return text[:index].rstrip() + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at sentence boundaries where one fits."""
    return [text[start:end] for start, end in split_spans(text, limit)]


def split_spans(text: str, limit: int, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Like `split`, as (start, end) offsets into `text`, whitespace around the pieces left out."""
    end = len(text) if end is None else end
    spans = []
    while True:
        while start < end and text[start].isspace():
            start += 1
        if end - start <= limit:
            break
        index, _ = cut_point(text[start:end], limit)
        index = index or limit  # one unbroken word longer than the limit
        spans.append((start, start + len(text[start:start + index].rstrip())))
        start += index
    stop = start + len(text[start:end].rstrip())
    return spans + ([(start, stop)] if stop > start else [])
