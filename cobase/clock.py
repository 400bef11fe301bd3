"""The one place that knows what time it is, and how to read producers' dates.

Every timestamp in cobase is timezone-aware UTC; every period is an explicit pair of dates. Tests that
depend on "now" patch :func:`utcnow`.
"""

from __future__ import annotations

import calendar
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
        return year_period(int(m.group(1)))
    if m := _YEAR_RANGE.match(text):
        return year_period(int(m.group(1)), int(m.group(2)))
    raise BadDateError(f"not a year or year range: {text!r}")


# Periods are explicit (first day, last day) pairs (STYLE.md, 6). Each parser keeps its own reading of
# its producer's notation (``2019Q1`` for the World Bank, ``2019-Q1`` for OECD SDMX, ``2024-03`` for a
# finding), because the notations differ; the days a year, a month or a quarter covers are counted here
# once, so no parser can end February on the 30th or a quarter a month early.


def year_period(first_year: int, last_year: int | None = None) -> tuple[date, date]:
    """1 January of ``first_year`` to 31 December of ``last_year`` (default: the same year)."""
    return date(first_year, 1, 1), date(first_year if last_year is None else last_year, 12, 31)


def month_end(year: int, month: int) -> date:
    """The last day of a month (29 February in a leap year); ``ValueError`` for a month outside 1-12."""
    return date(year, month, calendar.monthrange(year, month)[1])


def month_period(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month; ``ValueError`` for a month outside 1-12."""
    return date(year, month, 1), month_end(year, month)


def quarter_period(year: int, quarter: int) -> tuple[date, date]:
    """The first and last day of a calendar quarter (``2`` is April-June); ``ValueError`` outside 1-4."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"no quarter {quarter} in a year")
    return date(year, 3 * quarter - 2, 1), month_end(year, 3 * quarter)


def date_part(value: object) -> date:
    """The date a timestamp is written with (``2005-01-01T00:00:00+01:00`` -> 2005-01-01), unconverted.

    A producer's period bound is the day it wrote: converting to UTC first would move the start of 2005
    to 31 December 2004. ``ValueError`` when the text does not start with an ISO date.
    """
    return date.fromisoformat(str(value)[:10])
