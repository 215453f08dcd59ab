"""The answer as terminal text: quotes with their citation numbers, then the citations."""

from __future__ import annotations

import textwrap

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
    return published[:10] if published else "undated"
