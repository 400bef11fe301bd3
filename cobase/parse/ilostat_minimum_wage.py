"""Read ILOSTAT's bulk CSV of the statutory monthly minimum wage (``EAR_INEE_NOC_NB_A``, rplumber).

``https://rplumber.ilo.org/data/indicator/?id=EAR_INEE_NOC_NB_A&format=.csv`` answers the whole world in
one file. Quirks, all in the real file:

* UTF-8 **with a BOM** (the first column reads ``\\ufeffref_area`` to a naive reader), LF line endings;
* columns ``ref_area, source, indicator, time, obs_value, note_indicator, note_source`` (found by name);
  the sister file ``EAR_INEE_CUR_NB_A`` adds ``classif1`` (``CUR_TYPE_LCU``/``PPP``/``USD``): only local
  currency rows are read there, so both give the same local-currency series;
* ``indicator`` is written without the frequency suffix (``EAR_INEE_NOC_NB``): the record keeps the
  bulk id, ``EAR_INEE_NOC_NB_A``, the code sources.yml declares;
* ``source`` and the notes are ILOSTAT **codes** (``FX:3351``, ``I19:6285_T30:31``, ``R1:2803``): they are
  kept as written in the quote, undecoded (decoding needs ILOSTAT's dictionaries);
* ``time`` is a year; ``obs_value`` an unquoted number; a row without value is skipped;
* the file states no publication date: ``published_at`` is None and our retrieval dates it
  (``first_seen``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from cobase.clock import BadDateError, period_from_year_text
from cobase.parse import ParsedRecord, ParseError, number_text

SOURCE = "ilostat_minimum_wage"
# No date in the file: every record is ``first_seen`` (this default is never used).
PUBLISHED_BASIS = "last_modified"

_REQUIRED = ("ref_area", "indicator", "time", "obs_value")
_LOCAL_CURRENCY = "CUR_TYPE_LCU"


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield one record per country and year."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{SOURCE}: {url} is not UTF-8 text ({exc.reason})") from None
    if not text.strip():
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise ParseError(f"{SOURCE}: {url} is not an ILOSTAT bulk CSV: no column {', '.join(missing)}")
    for line, row in enumerate(reader, start=2):
        cells = {(key or "").strip(): (value or "").strip() for key, value in row.items() if key}
        if cells.get("classif1", _LOCAL_CURRENCY) != _LOCAL_CURRENCY:
            continue
        if (record := _record(cells, f"{SOURCE}: {url}, line {line}")) is not None:
            yield record


def _record(cells: Mapping[str, str], where: str) -> ParsedRecord | None:
    value_text = cells["obs_value"]
    if not value_text:
        return None
    try:
        value = float(value_text)
    except ValueError:
        raise ParseError(f"{where}: obs_value {value_text!r} is not a number") from None
    try:
        period_start, period_end = period_from_year_text(cells["time"])
    except BadDateError:
        raise ParseError(f"{where}: time {cells['time']!r} is not a year") from None
    indicator = cells["indicator"]
    quote = "; ".join(
        f"{label} {cells[column]}"
        for column, label in (
            ("source", "source"),
            ("note_indicator", "note_indicator"),
            ("note_source", "note_source"),
        )
        if cells.get(column)
    )
    return ParsedRecord(
        country=cells["ref_area"],
        indicator=indicator if indicator.endswith("_A") else f"{indicator}_A",
        period_start=period_start,
        period_end=period_end,
        value_text=number_text(value),
        value_num=value,
        quote=quote or None,
    )
