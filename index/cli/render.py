"""The terminal's view: an answer as quotes with citation numbers, and the index status."""

from __future__ import annotations

import textwrap

from typing import TYPE_CHECKING

from corpus.dates import date_part

if TYPE_CHECKING:  # the status view must not import the answer path: `footnote status` starts at once
    from index.answer import Answer

_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render_answer(answer: Answer, color: bool = False) -> str:
    """Plain text with numbered citations; quotes bold when `color`."""
    bold, dim, reset = (_BOLD, _DIM, _RESET) if color else ("", "", "")
    lines = []
    if answer.abstained:
        lines.append(textwrap.fill(answer.text, 88))
        lines += [f"  - {c.title} ({_date(c.published)}) {dim}{c.article_id}{reset}" for c in answer.related]
    else:
        for quote in answer.quotes:
            body = textwrap.fill(f"“{' '.join(quote.text.split())}” [{quote.n}]", 88,
                                 initial_indent="  ", subsequent_indent="  ")
            lines.append(f"{bold}{body}{reset}")
        lines.append("")
        for c in answer.citations:
            where = ", ".join(x for x in (c.source, c.url) if x)
            lines.append(f"[{c.n}] {c.title} ({_date(c.published)}){' — ' + where if where else ''}")
            spans = ", ".join(f"{q.start}-{q.end}" for q in answer.quotes if q.n == c.n)
            lines.append(f"    {dim}{c.article_id}, characters {spans}{reset}")
            if c.duplicates:
                lines.append(f"    {dim}same story also in: {', '.join(c.duplicates)}{reset}")
    lines.append(f"{dim}confidence {answer.confidence:.2f} · generation {answer.generation} · "
                 f"{answer.timings_ms.get('total', 0):.0f} ms{reset}")
    return "\n".join(lines)


def _date(published: str | None) -> str:
    return date_part(published) or "undated"


def render_status(status: dict) -> str:
    """`footnote status` as lines of text."""
    lines = [f"generation {status['generation']} in {status['index']}, built {status['built_at']}",
             f"model      {status['model']['name']} ({status['model']['dimension']} dimensions)",
             f"chunks     {status['chunks']} from {status['articles']} articles, "
             f"{status['chunking']['max_tokens']} tokens at most"]
    newer = status["newer_than_index"]
    if newer:
        lines.append(f"{len(newer)} file(s) in {status['corpus']} changed since; run `footnote index`:")
        lines += [f"  {path}" for path in newer]
    else:
        lines.append(f"no file in {status['corpus']} changed since")
    return "\n".join(lines + _feed_lines(status.get("feeds") or {}))


def _feed_lines(feeds: dict) -> list[str]:
    """The feeds' part of the status: how many, and each one's trouble with its fix."""
    if feeds.get("error"):
        return [f"feeds      cannot be read: {feeds['error']}"]
    rows = feeds.get("feeds") or []
    if not rows:
        return []
    troubled = [row for row in rows if row["last_error"] or row["problems"]]
    lines = [f"feeds      {len(rows)} in feeds.toml, {sum(r['articles'] for r in rows)} article(s) saved, "
             f"{len(troubled)} with problems{':' if troubled else ''}"]
    for row in troubled:
        if row["last_error"]:
            lines.append(f"  {row['source']}: failed {row['failures']} time(s), tried again after {row['retry_after']}: "
                         f"{row['last_error']}")
        lines += [f"  {row['source']}: {problem}" for problem in row["problems"]]
    return lines
