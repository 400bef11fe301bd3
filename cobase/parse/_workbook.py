"""Reading national registers published as spreadsheets (XLSX, legacy Excel 97 XLS), with a maintained
reader (``python-calamine``), never by hand.

What ministries' workbooks share, and what the register parsers rely on:

* **headers are found by their content**, not by a fixed row: banners, a title and blank rows come first
  (row 8, 10, 14 or 17 in Algeria's files), and columns move between versions and sheets;
* **cells carry trailing spaces and mixed case** (``Gé``/``GE``, ``LISTE I ``): :func:`cell_text` folds
  whitespace, never the text itself (what the ministry wrote is what a quote shows);
* **dates come as real Excel dates or as text** (``RETRAIT LE 18/11/2016``, ``00-12-2005``,
  ``1- 14/05/2008  2- 24/11/2012``): :func:`cell_date` reads what can be read and says nothing otherwise;
* **titles state the version** in French (« … AU 28 FEVRIER 2026 ( 5298 DE ) »): :func:`title_date` and
  :func:`declared_count` read them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cobase.clock import month_end, month_period, year_period
from cobase.parse import ParseError
from cobase.text import strip_accents

Row = list[Any]

MONTHS_FR = {
    "JANVIER": 1,
    "FEVRIER": 2,
    "MARS": 3,
    "AVRIL": 4,
    "MAI": 5,
    "JUIN": 6,
    "JUILLET": 7,
    "AOUT": 8,
    "SEPTEMBRE": 9,
    "OCTOBRE": 10,
    "NOVEMBRE": 11,
    "DECEMBRE": 12,
}
_MONTH_NAMES = "|".join(MONTHS_FR)
_TITLE_DAY = re.compile(rf"\bAU\s+(\d{{1,2}})(?:ER)?\s+({_MONTH_NAMES})\s+(\d{{4}})\b")
_TITLE_MONTH = re.compile(rf"\b({_MONTH_NAMES})\s*(\d{{4}})\b")
# « ( 5298 DE ) », « ( DE 2475) », « (AU JUILLET DE 4627 ) »: the number of entries the list declares.
_DECLARED = re.compile(r"\(\s*(?:AU\s+[A-Z]+\s+)?(?:DE\s+)?(\d+)\s*(?:DE\s*)?\)")
_DAY_TEXT = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_YEAR_TEXT = re.compile(r"\b(19\d{2}|20\d{2})\b")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name as written (trailing spaces kept) and its rows of cell values."""

    name: str
    rows: list[Row]


def read_workbook(body: bytes, where: str) -> list[Sheet]:
    """Every sheet of an XLSX or XLS body; a body that is neither is one clear :class:`ParseError`."""
    from python_calamine import CalamineWorkbook  # imported here: only register parsers need it

    if not body.strip():
        raise ParseError(f"{where} is empty")
    if not (body.startswith(b"PK\x03\x04") or body.startswith(b"\xd0\xcf\x11\xe0")):
        raise ParseError(f"{where} is not an Excel workbook (it starts with {body[:24]!r})")
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(body))
        return [
            Sheet(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in workbook.sheet_names
        ]
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ParseError(f"{where} cannot be read as a workbook ({exc})") from None


def fold(text: str) -> str:
    """Upper case, accents removed, whitespace collapsed: for recognising headers and titles only."""
    return " ".join(strip_accents(text).upper().split())


def cell_text(value: Any) -> str:
    """A cell as text, whitespace collapsed; a date as ISO 8601; a whole float without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return " ".join(str(value).split())


def cell_date(value: Any) -> date | None:
    """A real Excel date, or the last ``dd/mm/yyyy`` written in a text cell; None otherwise.

    The last date of a text is taken because a cell listing two events (``1- 14/05/2008  2- 24/11/2012``)
    ends with the one that stands. ``00-12-2005`` (day unknown) and ``00/00/2019`` are not days: see
    :func:`cell_period`.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = None
    for match in _DAY_TEXT.finditer(str(value or "")):
        day, month, year = (int(part) for part in match.groups())
        try:
            found = date(year, month, day)
        except ValueError:
            continue
    return found


def cell_period(value: Any) -> tuple[date, date] | None:
    """The period a date cell states: a day, else a month (``00-12-2005``), else a year (``RETRAIT 2010``)."""
    day = cell_date(value)
    if day is not None:
        return day, day
    text = str(value or "")
    for match in _DAY_TEXT.finditer(text):
        _day, month, year = (int(part) for part in match.groups())
        if 1 <= month <= 12:
            return month_period(year, month)
    years = _YEAR_TEXT.findall(text)
    if years:
        return year_period(int(years[-1]))
    return None


def title_date(text: str) -> date | None:
    """The day a title states (« … AU 28 FEVRIER 2026 ( 5298 DE ) » -> 2026-02-28), or None."""
    match = _TITLE_DAY.search(fold(text))
    if not match:
        return None
    day, month, year = int(match.group(1)), MONTHS_FR[match.group(2)], int(match.group(3))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def name_month_end(text: str) -> date | None:
    """The last day of the month a sheet or file name states (« nomenclature décembre 2019 »), or None."""
    match = _TITLE_MONTH.search(fold(text))
    if not match:
        return None
    return month_end(int(match.group(2)), MONTHS_FR[match.group(1)])


def declared_count(text: str) -> int | None:
    """How many entries a title declares (« ( 5298 DE ) », « ( DE 2475) »), or None."""
    match = _DECLARED.search(fold(text))
    return int(match.group(1)) if match else None


def find_header(rows: Sequence[Row], required: Sequence[str], limit: int = 60) -> int | None:
    """The index of the first row (among the first ``limit``) having a cell that starts with each of
    ``required`` (folded), or None."""
    for index, row in enumerate(rows[:limit]):
        cells = [fold(cell_text(value)) for value in row]
        if all(any(cell.startswith(name) for cell in cells) for name in required):
            return index
    return None


def column_map(header: Row, wanted: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Which column holds each wanted field: ``{field: (prefix, ...)}`` matched on folded headers,
    first prefix first (a field found by an earlier prefix is never taken by a later, looser one)."""
    cells = [fold(cell_text(value)) for value in header]
    found: dict[str, int] = {}
    for field_name, prefixes in wanted.items():
        for prefix in prefixes:
            index = next(
                (i for i, cell in enumerate(cells) if cell.startswith(prefix) and i not in found.values()),
                None,
            )
            if index is not None:
                found[field_name] = index
                break
    return found


def value_at(row: Row, columns: dict[str, int], field_name: str) -> Any:
    """The raw cell of ``field_name`` in ``row`` ('' when the column is absent or the row is short)."""
    index = columns.get(field_name)
    if index is None or index >= len(row):
        return ""
    return row[index]
