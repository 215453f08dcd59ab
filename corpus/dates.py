"""Publication dates, normalised to ISO 8601."""

from __future__ import annotations

import datetime as dt

from dateutil import parser as dateparser


def normalise_date(value: object) -> str | None:
    """Return `value` as an ISO 8601 date (or date-time when it has a time); None when empty.

    Raises ValueError naming the value when it cannot be read as a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"date {value!r} is not a string; write it as YYYY-MM-DD")
    text = value.strip()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        parsed = dateparser.parse(text, default=dt.datetime(1, 1, 1))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"date {value!r} is not a date; write it as YYYY-MM-DD") from exc
    if parsed.year == 1:
        raise ValueError(f"date {value!r} has no year; write it as YYYY-MM-DD")
    has_time = any(ch == ":" for ch in text)
    return _iso(parsed) if has_time else parsed.date().isoformat()


def _iso(value: dt.datetime) -> str:
    if value.time() == dt.time(0) and value.tzinfo is None:
        return value.date().isoformat()
    return value.isoformat(timespec="seconds")


def date_part(iso: str | None) -> str | None:
    """The YYYY-MM-DD part of a normalised date, for comparisons across precisions."""
    return iso[:10] if iso else None
