"""Read WHO Global Health Observatory data: the OData JSON of ``/api/{code}`` and the GHO bulk CSV.

Both layouts carry the same fields under different names, and both are read by the same rules:

* only country rows are kept (``SpatialDimType`` / ``SpatialDimension`` is ``COUNTRY``); WHO regions,
  World Bank income groups and ``GLOBAL`` are dropped. The country is WHO's ISO3 code (``SpatialDim``).
* the period comes from ``TimeDimensionBegin``/``TimeDimensionEnd`` when present, else from ``TimeDim``
  (a year, or a range such as ``2015-2017``).
* ``Date`` is when WHO last modified the row: it becomes ``published_at`` (aware UTC), basis
  ``last_modified`` (it proves the value was public by then, not that it was not public before).
* the value is ``NumericValue`` when there is one, else the text of ``Value`` (``">95 [81->95]"``); rows
  with neither are skipped.
* breakdowns (``Dim1``..``Dim3`` with their types) become one breakdown string,
  ``"SEX=SEX_BTSX;RESIDENCEAREATYPE=RESIDENCEAREATYPE_URB"``, or ``""`` when there are none.
* the unit is left to the registry (``sources.yml``): GHO rows do not state it.

A row that lacks a field these rules need raises :class:`~cobase.parse.ParseError` naming the field and
the row's ``Id``, rather than being skipped: a silently thinner snapshot would look like a complete one.
Rows that are dropped anyway (regions, ``GLOBAL``) are only checked for what decides to drop them.

The bulk CSV (``Id,IndicatorCode,SpatialDimension,SpatialDimensionValueCode,...``) is the layout of the
GHO bulk-download ZIPs; :func:`parse_bulk_csv` reads it for this source and for the NCD CCS bulk tables.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from cobase.clock import BadDateError, date_part, parse_datetime, period_from_year_text
from cobase.parse import ParsedRecord, ParseError, number_text

SOURCE = "who_gho"
# What ``published_at`` means here: WHO's ``Date`` is when a row was last modified, not when it was first
# published.
PUBLISHED_BASIS = "last_modified"


# Bulk CSV column -> the OData field it holds, so both layouts share one reader.
_BULK_COLUMNS: dict[str, str] = {
    "Id": "Id",
    "IndicatorCode": "IndicatorCode",
    "SpatialDimension": "SpatialDimType",
    "SpatialDimensionValueCode": "SpatialDim",
    "TimeDimension": "TimeDimType",
    "TimeDim": "TimeDim",
    "DisaggregatingDimension1": "Dim1Type",
    "DisaggregatingDimension1ValueCode": "Dim1",
    "DisaggregatingDimension2": "Dim2Type",
    "DisaggregatingDimension2ValueCode": "Dim2",
    "DisaggregatingDimension3": "Dim3Type",
    "DisaggregatingDimension3ValueCode": "Dim3",
    "Value": "Value",
    "NumericValue": "NumericValue",
    "Date": "Date",
    "TimeDimensionBegin": "TimeDimensionBegin",
    "TimeDimensionEnd": "TimeDimensionEnd",
}
# OData field -> its name in each layout, so errors name what the reader of that file sees.
_ODATA_NAMES = {field: field for field in _BULK_COLUMNS.values()}
_BULK_NAMES = {field: column for column, field in _BULK_COLUMNS.items()}
_BULK_REQUIRED = ("IndicatorCode", "SpatialDimension", "SpatialDimensionValueCode")
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield the country records of a GHO response (OData JSON, or bulk CSV recognised by its header)."""
    if _is_bulk_csv(body):
        return parse_bulk_csv(body, url)
    return _parse_odata(body, url)


def parse_bulk_csv(body: bytes, url: str) -> Iterator[ParsedRecord]:
    """Yield the country records of a GHO bulk-download CSV (``data/{IndicatorCode}.csv`` in the ZIP).

    Columns are matched by name, so extra or reordered columns are fine; empty cells mean null.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{SOURCE}: {url} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [column for column in _BULK_REQUIRED if column not in header]
    if not {"TimeDim", "TimeDimensionBegin"} & set(header):
        missing.append("TimeDim")
    if missing:
        raise ParseError(f"{SOURCE}: {url} is not a GHO bulk CSV: no column {', '.join(map(repr, missing))}")
    yield from _records(_bulk_rows(reader), url, _BULK_NAMES)


def _parse_odata(body: bytes, url: str) -> Iterator[ParsedRecord]:
    document = _load_json(body, url)
    rows = document.get("value") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise ParseError(f"{SOURCE}: {url} is not a GHO OData answer: no 'value' list of rows")
    yield from _records(rows, url, _ODATA_NAMES)


def _records(rows: Iterable[Any], url: str, names: Mapping[str, str]) -> Iterator[ParsedRecord]:
    for row in rows:
        if not isinstance(row, dict):
            raise ParseError(f"{SOURCE}: {url}: a row is not an object: {str(row)[:80]!r}")
        if (record := _record(row, url, names)) is not None:
            yield record


def _record(row: Mapping[str, Any], url: str, names: Mapping[str, str]) -> ParsedRecord | None:
    """One row as a record; None for rows that are not about a country or have no value.

    ``names`` maps OData field names to their names in the layout being read, for error messages.
    """

    def required(field: str) -> str:
        value = row.get(field)
        if value is None or str(value).strip() == "":
            raise ParseError(f"{_where(row, url)} has no {names[field]!r}")
        return str(value).strip()

    if required("SpatialDimType") != "COUNTRY":
        return None  # WHO regions, income groups, GLOBAL
    indicator = required("IndicatorCode")
    country = required("SpatialDim")
    period_start, period_end = _period(row, url, names)
    value_num, value_text = _value(row, url)
    if value_text is None:
        return None
    return ParsedRecord(
        country=country,
        indicator=indicator,
        period_start=period_start,
        period_end=period_end,
        value_text=value_text,
        value_num=value_num,
        breakdown=_breakdown(row),
        published_at=_published_at(row, url),
    )


def _period(row: Mapping[str, Any], url: str, names: Mapping[str, str]) -> tuple[date, date]:
    begin, end, time_dim = row.get("TimeDimensionBegin"), row.get("TimeDimensionEnd"), row.get("TimeDim")
    has_time_dim = time_dim is not None and str(time_dim).strip() != ""
    if not (begin and end) and not has_time_dim:
        begin_name, time_dim_name = names["TimeDimensionBegin"], names["TimeDim"]
        raise ParseError(f"{_where(row, url)} has neither {begin_name!r} nor {time_dim_name!r}")
    try:
        if begin and end:
            # The date part as written: "2005-01-01T00:00:00+01:00" is the year 2005, which converting
            # to UTC would move to 31 December 2004.
            start, finish = date_part(begin), date_part(end)
        else:
            start, finish = period_from_year_text(str(time_dim))
    except ValueError as exc:  # BadDateError is one too
        raise ParseError(
            f"{_where(row, url)}: unreadable {row.get('TimeDimType') or 'period'}: {exc}"
        ) from None
    if start > finish:
        raise ParseError(f"{_where(row, url)}: period ends ({finish}) before it starts ({start})")
    return start, finish


def _value(row: Mapping[str, Any], url: str) -> tuple[float | None, str | None]:
    """(number, canonical text) from ``NumericValue``, else (None, ``Value``), else (None, None)."""
    numeric = row.get("NumericValue")
    if numeric is not None and not isinstance(numeric, bool):
        try:
            number = float(numeric)
        except (TypeError, ValueError):
            raise ParseError(f"{_where(row, url)}: NumericValue {numeric!r} is not a number") from None
        return number, number_text(number)
    text = row.get("Value")
    if text is None or not str(text).strip():
        return None, None
    return None, str(text).strip()


def _breakdown(row: Mapping[str, Any]) -> str:
    parts = []
    for n in (1, 2, 3):
        value = row.get(f"Dim{n}")
        if value is None or value == "":
            continue
        kind = row.get(f"Dim{n}Type")
        # A value without its type is still kept: dropping it would merge distinct breakdowns.
        parts.append(f"{kind}={value}" if kind else str(value))
    return ";".join(parts)


# A page of a million rows carries a handful of distinct ``Date`` strings: each is read once.
# (datetimes are immutable; a bad date raises each time, errors are not cached.)
_parse_date = functools.lru_cache(maxsize=1024)(parse_datetime)


def _published_at(row: Mapping[str, Any], url: str) -> datetime | None:
    text = row.get("Date")
    if text is None or not str(text).strip():
        return None
    try:
        return _parse_date(str(text))
    except BadDateError as exc:
        raise ParseError(f"{_where(row, url)}: unreadable Date: {exc}") from None


def _bulk_rows(reader: csv.DictReader[str]) -> Iterator[dict[str, Any]]:
    """Bulk CSV rows renamed to OData fields, empty cells as None."""
    for row in reader:
        yield {field: (row.get(column) or "").strip() or None for column, field in _BULK_COLUMNS.items()}


def _where(row: Mapping[str, Any], url: str) -> str:
    return f"{SOURCE}: row Id {row.get('Id')} in {url}"


def _is_bulk_csv(body: bytes) -> bool:
    first_line = body.lstrip(_BOM_AND_SPACE).split(b"\n", 1)[0]
    return not first_line.startswith((b"{", b"[")) and b"IndicatorCode" in first_line and b"," in first_line


def _load_json(body: bytes, url: str) -> Any:
    if not body.strip():
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ParseError(f"{SOURCE}: {url} is not valid JSON ({exc})") from None
