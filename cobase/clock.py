"""The one place that knows what time it is, and how to read producers' dates.

Every timestamp in cobase is timezone-aware UTC; every period is an explicit pair of dates. Tests that
depend on "now" patch :func:`utcnow`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time


class BadDateError(ValueError):
    """A date or datetime that cannot be read; the message names the offending text."""


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February).

    One definition for the evidence window, the stale rule and what a dossier says about both, so the
    engine and the exports never count a window differently.
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date or datetime (``2025-12-05T13:23:08+01:00``, ``2026-07-13``) to aware UTC.

    A bare date means midnight UTC of that day: producers that give only a day (World Bank
    ``lastupdated``) are treated as publishing at the start of it.
    """
    cleaned = text.strip()
    if not cleaned:
        raise BadDateError("empty date")
    try:
        if len(cleaned) == 10:
            return datetime.combine(date.fromisoformat(cleaned), time(0, 0), tzinfo=UTC)
        return as_utc(datetime.fromisoformat(cleaned.replace("Z", "+00:00")))
    except ValueError as exc:
        raise BadDateError(f"not an ISO 8601 date: {text!r}") from exc


def parse_day(text: str) -> date:
    """Parse a ``YYYY-MM-DD`` date as typed by a user (``--as-of``); a clear error otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise BadDateError(f"not a date in YYYY-MM-DD form: {text!r}") from exc


_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_YEAR_RANGE = re.compile(r"^\s*(\d{4})\s*[-/–]\s*(\d{4})\s*$")


def period_from_year_text(text: str) -> tuple[date, date]:
    """Read a producer's period text (``2019``, ``2015-2017``) as (first day, last day)."""
    if m := _YEAR.match(text):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    if m := _YEAR_RANGE.match(text):
        return date(int(m.group(1)), 1, 1), date(int(m.group(2)), 12, 31)
    raise BadDateError(f"not a year or year range: {text!r}")
