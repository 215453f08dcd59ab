"""Pure helpers of the web pages: the spans to highlight in an article, links that are safe to
follow, and the conversation's history carried in a form field. No I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from index.answer import MAX_QUESTION_CHARS, Answer, Turn

MAX_SPANS = 20
HISTORY_TURNS = 6  # earlier questions a conversation remembers (as the bot's threads do)
# The longest history field write_history can write: 6 turns of a 2,000-character question and
# 50 cited ids, every character escaped.
MAX_HISTORY_CHARS = HISTORY_TURNS * (MAX_QUESTION_CHARS + 50 * 320) * 6
_SPAN = re.compile(r"(\d{1,9})-(\d{1,9})\Z")


class SpanError(ValueError):
    """A `span` parameter cannot be highlighted; the message names it and the fix."""


@dataclass(frozen=True)
class Segment:
    """A run of an article's text; `anchors` name the requested spans it highlights (none: plain)."""

    start: int
    end: int
    text: str
    anchors: tuple[str, ...] = ()

    @property
    def marked(self) -> bool:
        return bool(self.anchors)


def anchor(start: int, end: int) -> str:
    return f"span-{start}-{end}"


def parse_spans(values: list[str], article_id: str, length: int) -> list[tuple[int, int]]:
    """`["120-245", ...]` as offsets into an article whose text has `length` characters."""
    if len(values) > MAX_SPANS:
        raise SpanError(f"{len(values)} spans asked for; highlight at most {MAX_SPANS} at once")
    spans = []
    for value in values:
        match = _SPAN.match(value.strip())
        if not match:
            raise SpanError(f"span {value[:40]!r} is not START-END; give character offsets such as 120-245")
        start, end = int(match[1]), int(match[2])
        if not start < end <= length:
            raise SpanError(f"span {start}-{end} is outside article {article_id!r}, whose text is {length} "
                            f"characters; use 0 <= START < END <= {length}")
        spans.append((start, end))
    return spans


def segments(text: str, spans: list[tuple[int, int]]) -> list[Segment]:
    """`text` cut at the spans' offsets; overlapping spans become one highlighted run."""
    runs: list[list] = []  # [start, end, anchors]
    for start, end in sorted(set(spans)):
        if runs and start < runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
            runs[-1][2].append(anchor(start, end))
        else:
            runs.append([start, end, [anchor(start, end)]])
    out, at = [], 0
    for start, end, anchors in runs:
        if at < start:
            out.append(Segment(at, start, text[at:start]))
        out.append(Segment(start, end, text[start:end], tuple(anchors)))
        at = end
    if at < len(text):
        out.append(Segment(at, len(text), text[at:]))
    return out


def article_href(article_id: str, spans: list[tuple[int, int]] = (), focus: tuple[int, int] | None = None) -> str:
    """The web page of an article, its `spans` highlighted and `focus` scrolled to."""
    path = "/articles/" + quote(article_id, safe="/")
    if spans:
        path += "?" + urlencode([("span", f"{s}-{e}") for s, e in spans])
    if focus:
        path += "#" + anchor(*focus)
    return path


def safe_href(url: str | None) -> str | None:
    """`url` when it is an http(s) address a browser may follow; anything else is shown as text."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def local_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site (never `//host` or a full URL), else `default`."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return default


def read_history(raw: str | None) -> tuple[Turn, ...]:
    """The conversation's earlier turns from the form field; ValueError says how to recover."""
    if not raw:
        return ()
    unreadable = ValueError("the conversation's history is unreadable; start a new conversation")
    if len(raw) > MAX_HISTORY_CHARS:  # more than write_history ever writes
        raise unreadable
    try:
        items = json.loads(raw)
        turns = tuple(Turn(str(item["question"])[:MAX_QUESTION_CHARS],
                           tuple(str(a) for a in item.get("article_ids", [])[:50])) for item in items)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # RecursionError: "[[[[…"
        raise unreadable from None
    return turns[-HISTORY_TURNS:]


def write_history(turns: tuple[Turn, ...]) -> str:
    return json.dumps([{"question": t.question, "article_ids": list(t.article_ids)}
                       for t in turns[-HISTORY_TURNS:]])


def cited_ids(answer: Answer) -> tuple[str, ...]:
    """The articles an answer cites (or, when it abstains, the closest ones it names)."""
    return tuple(c.article_id for c in (answer.related if answer.abstained else answer.citations))


def quote_views(answer: Answer) -> list[dict]:
    """Each quote with its citation number and the link that shows it inside its article."""
    spans_of = _spans_by_article(answer)
    return [{"n": q.n, "text": q.text, "start": q.start, "end": q.end, "article_id": q.article_id,
             "href": article_href(q.article_id, spans_of[q.article_id], (q.start, q.end))}
            for q in answer.quotes]


def citation_views(answer: Answer) -> list[dict]:
    """Citations (or the closest articles, for an abstention) with their links."""
    spans_of = _spans_by_article(answer)
    cited = answer.related if answer.abstained else answer.citations
    return [{"n": c.n, "title": c.title, "published": c.published, "source": c.source,
             "url": safe_href(c.url), "url_text": c.url, "article_id": c.article_id,
             "href": article_href(c.article_id, spans_of.get(c.article_id, [])),
             "copies": [{"id": d, "href": article_href(d)} for d in c.duplicates]}
            for c in cited]


def _spans_by_article(answer: Answer) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for q in answer.quotes:
        spans.setdefault(q.article_id, []).append((q.start, q.end))
    return spans
