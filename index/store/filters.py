"""Which articles a search may return: a date range, sources, ids. The SQL for them is built
here, inside the store; callers only ever hand over a Filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Filters:
    published_after: dt.date | None = None  # inclusive
    published_before: dt.date | None = None  # inclusive
    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    # A window read from the question's words lets undated articles through (their date is
    # unknown, not out of range); a window the caller sets does not.
    undated: bool = False

    @property
    def active(self) -> bool:
        return bool(self.published_after or self.published_before or self.sources or self.article_ids)


def where(filters: Filters) -> tuple[str, list]:
    """A WHERE clause over `articles a` and its parameters ("1" when unfiltered)."""
    clauses, params = [], []
    for op, day in ((">=", filters.published_after), ("<=", filters.published_before)):
        if day:
            clause = f"substr(a.published, 1, 10) {op} ?"
            clauses.append(f"(a.published IS NULL OR {clause})" if filters.undated else clause)
            params.append(day.isoformat())
    if filters.sources:
        clauses.append(f"a.source IN ({','.join('?' * len(filters.sources))})")
        params.extend(filters.sources)
    if filters.article_ids:
        clauses.append(f"a.id IN ({','.join('?' * len(filters.article_ids))})")
        params.extend(filters.article_ids)
    return " AND ".join(clauses) or "1", params
