"""Read a page of the World Bank Indicators API v2: ``[metadata, records]``.

* ``metadata.lastupdated`` (``"2026-07-13"``) is when the World Bank last published the series: it becomes
  ``published_at`` of every record on the page (midnight UTC of that day).
* each record gives ``indicator.id``, ``country.id`` (ISO2 or an aggregate code), ``countryiso3code``,
  ``date`` and ``value``. The country is ``countryiso3code``, or ``country.id`` where that is empty (some
  aggregates).
* **aggregates are mixed with countries** (``AFE``, ``SSF``, ``WLD``, income groups...). They are yielded
  as they are: :mod:`cobase.harmonize` decides what is a country.
* ``date`` is a year (``"2019"``), a quarter (``"2019Q1"``) or a month (``"2019M01"``), depending on the
  series; each becomes its first and last day.
* ``value`` null means no data for that year: the record is skipped.
* ``unit`` is kept when the producer states one (it is usually ``""``); the registry supplies the rest.
* an error arrives as HTTP 200 with ``[{"message": [{"id", "key", "value"}]}]``: it raises
  :class:`~cobase.parse.ParseError` quoting the message. A page with ``null`` records (past the last page,
  or no data at all) yields nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from cobase.clock import BadDateError, month_period, parse_datetime, period_from_year_text, quarter_period
from cobase.parse import ParsedRecord, ParseError, number_text

SOURCE = "worldbank_wdi"
# What ``published_at`` means here: ``lastupdated`` is when the series was last updated, not when a value
# first appeared.
PUBLISHED_BASIS = "last_modified"


_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})M(\d{1,2})$")


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield the records of one page, countries and aggregates alike."""
    document = _load_json(body, url)
    _raise_api_error(document, url)
    if not (isinstance(document, list) and len(document) == 2 and isinstance(document[0], dict)):
        raise ParseError(f"{SOURCE}: {url} is not a World Bank API page: expected [metadata, records]")
    metadata, records = document
    if records is None:
        return
    if not isinstance(records, list):
        raise ParseError(f"{SOURCE}: {url}: records are a {type(records).__name__}, expected a list")
    published_at = _published_at(metadata, url)
    for position, record in enumerate(records, start=1):
        if (parsed := _record(record, position, url, published_at)) is not None:
            yield parsed


def _record(record: Any, position: int, url: str, published_at: datetime | None) -> ParsedRecord | None:
    """One record, or None when it has no value. ``position`` (from 1) names it in errors."""
    where = f"{SOURCE}: record #{position} in {url}"
    if not isinstance(record, dict):
        raise ParseError(f"{where} is not an object")
    indicator = _nested_id(record, "indicator")
    country = str(record.get("countryiso3code") or "").strip() or _nested_id(record, "country")
    period_text = str(record.get("date") or "").strip()
    for field, present in (("indicator.id", indicator), ("country.id", country), ("date", period_text)):
        if not present:
            raise ParseError(f"{where} has no {field!r}")
    value = record.get("value")
    if value is None:
        return None
    period_start, period_end = _period(period_text, f"{where} ({country} {period_text})")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value_num: float | None = float(value)
        value_text = number_text(value)
    else:
        value_num, value_text = None, str(value).strip()
        if not value_text:
            return None
    return ParsedRecord(
        country=country,
        indicator=indicator,
        period_start=period_start,
        period_end=period_end,
        value_text=value_text,
        value_num=value_num,
        breakdown="",
        published_at=published_at,
        unit=str(record.get("unit") or "").strip() or None,
    )


def _period(text: str, where: str) -> tuple[date, date]:
    """``2019`` -> the year, ``2019Q2`` -> April-June, ``2019M02`` -> February; ranges like ``2015-2017``."""
    if m := _QUARTER.match(text):
        return quarter_period(int(m.group(1)), int(m.group(2)))
    if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        return month_period(int(m.group(1)), int(m.group(2)))
    try:
        return period_from_year_text(text)
    except BadDateError:
        raise ParseError(f"{where}: unreadable date {text!r} (expected 2019, 2019Q1 or 2019M01)") from None


def _published_at(metadata: Mapping[str, Any], url: str) -> datetime | None:
    text = metadata.get("lastupdated")
    if not text:
        return None
    try:
        return parse_datetime(str(text))
    except BadDateError as exc:
        raise ParseError(f"{SOURCE}: {url}: unreadable lastupdated: {exc}") from None


def _nested_id(record: Mapping[str, Any], key: str) -> str:
    """``record[key]["id"]`` as text, "" when absent."""
    nested = record.get(key)
    return str(nested.get("id") or "").strip() if isinstance(nested, dict) else ""


def _raise_api_error(document: Any, url: str) -> None:
    """The API reports bad requests as HTTP 200 with ``[{"message": [...]}]``; make that an error."""
    if not (isinstance(document, list) and document and isinstance(document[0], dict)):
        return
    messages = document[0].get("message")
    if messages is None:
        return
    if not isinstance(messages, list):
        messages = [messages]
    described = "; ".join(_describe(message) for message in messages)
    raise ParseError(f"{SOURCE}: the World Bank API answered {url} with an error: {described}")


def _describe(message: Any) -> str:
    """``{"id": "120", "key": "Invalid value", "value": "..."}`` -> ``120 Invalid value: "..."``."""
    if not isinstance(message, dict):
        return str(message)
    code = " ".join(str(message[part]) for part in ("id", "key") if message.get(part))
    text = f'"{message.get("value", "")}"'
    return f"{code}: {text}" if code else text


def _load_json(body: bytes, url: str) -> Any:
    if not body.strip():
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ParseError(f"{SOURCE}: {url} is not valid JSON ({exc})") from None
