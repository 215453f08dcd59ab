"""Article text shown as text in Discord's Markdown, links that open an article at the quoted
sentence, and the quoted sentence marked inside its passage. Pure functions."""

from __future__ import annotations

import re
from urllib.parse import quote

# Emphasis, spoilers, code, escapes, and "[" that could open a masked link (not a "[2]" marker).
_SPECIAL = re.compile(r"([\\*_~|`]|\[(?!\d+\](?!\()))")
_LINE_START = re.compile(r"(?m)^([ \t]*)([>#-]|\d+(?=\.))")  # quotes, headings, subtext, lists
# <@user>, <#channel>, <:emoji:>, <a:emoji:>, <t:time>, </command:id> (a clickable slash command),
# <id:customize> (a server's own pages)
_MENTION_LIKE = re.compile(r"<(?=[@#:/]|a:|t:|id:)")
_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,:;\"')\]]")
_LINK_UNSAFE = str.maketrans({"(": "%28", ")": "%29", " ": "%20", "<": "%3C", ">": "%3E"})
FRAGMENT_WORDS = 5  # a long quote is found by its first and last words (textStart,textEnd)


def escape(text: str) -> str:
    """`text` as Discord shows it literally: no bold, spoilers, masked links, headings, lists or
    mentions. Every character that could start Markdown is escaped wherever it stands (context-free,
    so that escaped pieces stay escaped when joined); bare URLs are left whole so they still link."""
    out, at = [], 0
    for url in _URL.finditer(text):
        out += [_escape_plain(text[at:url.start()]), url.group()]
        at = url.end()
    out.append(_escape_plain(text[at:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    # "1." becomes "1\." (a backslash before a digit would show); ">" becomes "\>".
    text = _LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2].isdigit() else "\\" + m[2]), text)
    return _MENTION_LIKE.sub(r"\\<", text)


def link_text(text: str) -> str:
    """Text for inside a masked link's brackets (Discord's link syntax does not take escaped brackets)."""
    return escape(text.replace("[", "(").replace("]", ")"))


def safe_url(url: str) -> str:
    """A URL that cannot end a Markdown link early."""
    return url.strip().translate(_LINK_UNSAFE)


def fragment_url(url: str, quoted: str) -> str:
    """`url` with a text fragment (`#:~:text=`) that makes the browser scroll to and highlight
    `quoted`: the whole sentence when short, else its first and last words."""
    words = quoted.split()
    if not words:
        return safe_url(url)
    if len(words) > 2 * FRAGMENT_WORDS:
        directive = ",".join(_fragment_part(" ".join(part)) for part in (words[:FRAGMENT_WORDS],
                                                                             words[-FRAGMENT_WORDS:]))
    else:
        directive = _fragment_part(" ".join(words))
    base = safe_url(url)
    return f"{base}{':~:' if '#' in base else '#:~:'}text={directive}"


def _fragment_part(text: str) -> str:
    # Percent-encode everything, and also "-", which quote() keeps but the directive uses.
    return quote(text, safe="").replace("-", "%2D")


def marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped, with each span (offsets into `text`) in bold, whitespace kept outside the
    markers so that Discord renders them."""
    out, at = [], 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            continue
        out += [escape(text[at:start]), "**", escape(text[start:end]), "**"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)
