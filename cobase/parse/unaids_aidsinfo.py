"""Read UNAIDS AIDSinfo data: the yearly ZIPs of long CSV, and the indicator pages' wide "Export CSV".

The layout is recognised from the content, never from the file name:

* **ZIP** (``Estimates_<year>_en.zip``, ``GAM_<year>_en.zip``, ``NCPI_<year>_en.zip``): every ``.csv`` member
  is read as one of the CSV layouts below. ``published_at`` is the member's timestamp in the archive (the
  day UNAIDS wrote the file, taken as UTC): the CSV itself carries no publication date.
* **long CSV**, one value per row: ``Indicator, Unit, Subgroup, Area, Area ID, Time Period, Source,
  Data value, Formatted, Footnote`` (older files say ``Data Value`` and ``Footnotes``; columns are matched
  by name, case and surrounding spaces ignored). A file holds hundreds of indicators: only those of
  :data:`INDICATOR_NAMES` are kept, and a file holding none of them is an error (a renamed indicator must
  not pass for an empty year).
* **wide "Export CSV"** of an indicator page: ``Country,2015,2015_lower, 2015_upper, 2015_Footnote, 2016,...``
  (note the leading spaces), country *names* only, ``Global`` as the last row. It does not say which
  indicator it holds: ``request_meta["indicator"]`` (and ``["subgroup"]``) say so, else the AIDSinfo file
  name ``<Area>_<Indicator>_Population_ <Subgroup>.csv`` does.

Rules shared by both CSV layouts:

* **Estimates only.** Uncertainty bounds (``lower``/``upper`` columns, ``... lower estimate`` subgroups) are
  dropped: the evidence shown to a physician is the point estimate, and a bound stored as its own series
  would be read as a value. The breakdown becomes ``breakdown`` = ``SUBGROUP=All ages`` (the trailing word
  "estimate" removed, so both layouts give the same series).
* **Source** (``UNAIDS_Estimates_``, ``GAM``...) is *not* part of the breakdown: it names the collection
  round, not a breakdown, and a relabelled round must not split a series.
* **Numbers.** ``Data value`` is read as a number; the wide export groups digits with spaces on both sides
  of the decimal point and ends values with a space (``60.275 606 `` is 60.275606). ``...`` or an empty
  cell means no value (the row is skipped). A value published as a bound (``<100``, ``>95``) is kept as its
  text with no number: it is not a measurement.
* **Countries.** A three-letter ``Area ID`` is an ISO3 code. Since 2025 ``Area ID`` also holds sub-national
  areas (``NGA001`` "Abia": an ISO3 code followed by digits, or ``Area Level`` saying so) and the world
  (``03M49WLD`` "All countries"): they are set aside as such (``ParsedRecord.set_aside``, counted in the
  refresh summary), never reported as unknown countries. Any other area (UNAIDS regions) is passed on by
  name, so :mod:`cobase.harmonize` recognises it as an aggregate.
* **Columns are read by name.** The 2025 files added ``Indicator_GId``, ``Subgroup_Val_GId``,
  ``Data_Denominator`` and, in the estimates, ``Area Level``; new columns are ignored, a missing one is an
  error naming it.
* **An expected indicator absent from a year's file** (the GAM file of 2025 has no "Antiretroviral medicine
  stock-outs") is one warning naming the indicator and the file; the file's other indicators are still
  ingested. Which indicators a file should hold is known from its name (:data:`EXPECTED_BY_FILE`); a file of
  another name holding none of ours is an error, as a renamed indicator must not pass for an empty year.
* **NCPI laws** (criminalisation of HIV transmission) are text: ``Yes``/``No`` or the producer's wording.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from cobase.clock import BadDateError, period_from_year_text
from cobase.parse import ParsedRecord, ParseError, number_text
from cobase.parse._zip import bounded_lines, open_member

SOURCE = "unaids_aidsinfo"
# What ``published_at`` means here: a member's timestamp is when the bulk file was generated, not when a value
# first appeared.
PUBLISHED_BASIS = "last_modified"


ART_COVERAGE = "UNAIDS_ART_COVERAGE"
PLHIV = "UNAIDS_PLHIV"
VL_SUPPRESSED = "UNAIDS_VL_SUPPRESSED"
ARV_STOCKOUTS = "UNAIDS_ARV_STOCKOUTS"
HIV_CRIMINALISATION = "UNAIDS_NCPI_HIV_CRIMINALISATION"

SUB_NATIONAL = "sub-national area"
WORLD = "world"

# The data round a file belongs to (the start of its name, casefolded) -> the indicators it should hold.
EXPECTED_BY_FILE: dict[str, tuple[str, ...]] = {
    "estimates": (PLHIV, ART_COVERAGE, VL_SUPPRESSED),
    "gam": (ARV_STOCKOUTS,),
    "ncpi": (HIV_CRIMINALISATION,),
}
_WORLD_AREA_IDS = {"03M49WLD"}
_SUB_NATIONAL_ID = re.compile(r"^[A-Z]{3}\d+$")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Indicator:
    code: str
    kind: str  # "percent", "number" or "text": rows whose Unit says otherwise are another indicator


# Producer indicator names (normalized by _normalize) -> what cobase reads them as. AIDSinfo has renamed
# indicators between rounds, so each keeps the names it has been published under.
INDICATOR_NAMES: dict[str, _Indicator] = {
    **dict.fromkeys(
        (
            "people living with hiv receiving art (%)",
            "coverage of people living with hiv receiving art",
            "coverage of people receiving art",
            "per cent of people living with hiv receiving art",
            "among people living with hiv, the percent on art",
        ),
        _Indicator(ART_COVERAGE, "percent"),
    ),
    **dict.fromkeys(
        (
            "people living with hiv",
            "people living with hiv (#)",
            "estimated number of people living with hiv",
        ),
        _Indicator(PLHIV, "number"),
    ),
    **dict.fromkeys(
        (
            "people living with hiv who have suppressed viral loads (%)",
            "people living with hiv who have suppressed viral loads",
            "among people living with hiv, the percent with suppressed viral load",
        ),
        _Indicator(VL_SUPPRESSED, "percent"),
    ),
    **dict.fromkeys(
        (
            "antiretroviral medicine stock-outs",
            "antiretroviral medicines stock-outs",
            "arv stock-outs",
            "percentage of treatment sites that had a stock-out of one or more required antiretroviral "
            "medicines during a defined period",
        ),
        _Indicator(ARV_STOCKOUTS, "percent"),
    ),
    **dict.fromkeys(
        (
            "criminalization of hiv transmission, non-disclosure or exposure",
            "criminalization of hiv non-disclosure, exposure or transmission",
            "laws that specifically criminalize hiv non-disclosure, exposure or transmission",
            "laws criminalizing the transmission of, non-disclosure of or exposure to hiv transmission",
        ),
        _Indicator(HIV_CRIMINALISATION, "text"),
    ),
}
_BY_CODE = {indicator.code: indicator for indicator in INDICATOR_NAMES.values()}

# Long CSV column -> the names it has been published under (compared casefolded, spaces stripped).
_LONG_COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator",),
    "unit": ("unit",),
    "subgroup": ("subgroup",),
    "area": ("area",),
    "area_id": ("area id",),
    "area_level": ("area level",),
    "period": ("time period",),
    "value": ("data value",),
    "formatted": ("formatted",),
}
_LONG_OPTIONAL = {"formatted", "area_level"}
_MISSING = {"", "...", "..", "-"}
_UNIT_KINDS = {"percent": "percent", "%": "percent", "per cent": "percent", "number": "number", "#": "number"}
_ISO3 = re.compile(r"^[A-Z]{3}$")
_YEAR_COLUMN = re.compile(r"^\d{4}$")
_GAM_NUMBER = re.compile(r"^\d+(?:\.\d+)*\s+")
_DIGIT_GROUPING = str.maketrans("", "", " \u00a0\u202f")
_ZIP_MAGIC = b"PK\x03\x04"


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield the records of an AIDSinfo ZIP, long CSV or wide export (recognised by content)."""
    found: set[str] = set()
    if body.startswith(_ZIP_MAGIC):
        return _expected_present(_parse_zip(body, url, request_meta, found), url, found)
    if not body.strip():
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    if body.lstrip().startswith(b"<"):
        raise ParseError(f"{SOURCE}: {url} is an HTML page, not an AIDSinfo ZIP or CSV (an error page?)")
    records = _parse_csv(_lines(io.BytesIO(body), url), url, request_meta, None, found)
    return _expected_present(records, url, found)


def expected_indicators(file_name: str) -> tuple[str, ...]:
    """The indicators a file of this name should hold (``GAM_2025_en.zip`` -> the ARV stock-outs), or ()."""
    stem = PurePosixPath(unquote(urlsplit(file_name).path)).name.split("!")[0]
    return EXPECTED_BY_FILE.get(stem.split("_")[0].casefold(), ())


def _expected_present(records: Iterator[ParsedRecord], url: str, found: set[str]) -> Iterator[ParsedRecord]:
    """Pass the records on; then warn once per indicator the file should hold and does not."""
    yield from records
    file_name = PurePosixPath(unquote(urlsplit(url).path)).name
    for code in expected_indicators(url):
        if code not in found:
            names = [name for name, indicator in INDICATOR_NAMES.items() if indicator.code == code]
            log.warning(
                "%s: indicator %s (%r) is absent from %s; its other indicators were ingested",
                SOURCE,
                code,
                names[0],
                file_name,
            )


def _parse_zip(
    body: bytes, url: str, request_meta: Mapping[str, Any], found: set[str]
) -> Iterator[ParsedRecord]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as exc:
        raise ParseError(f"{SOURCE}: {url} is not a readable ZIP archive ({exc})") from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if info.filename.lower().endswith(".csv") and not info.filename.startswith("__MACOSX/")
        ]
        if not members:
            names = ", ".join(archive.namelist()[:5]) or "nothing"
            raise ParseError(f"{SOURCE}: {url}: the ZIP holds no CSV file (it holds {names})")
        for info in members:
            where = f"{url}!{info.filename}"
            try:
                with open_member(archive, info, f"{SOURCE}: {where}") as member:
                    lines = _lines(member, where)
                    yield from _parse_csv(lines, where, request_meta, _member_date(info), found)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # truncated or corrupt member
                raise ParseError(f"{SOURCE}: {where} cannot be extracted ({exc})") from None


def _parse_csv(
    lines: Iterable[str],
    where: str,
    request_meta: Mapping[str, Any],
    published_at: datetime | None,
    found: set[str],
) -> Iterator[ParsedRecord]:
    """Records of one CSV; ``found`` collects the codes of the indicators it holds (values or not)."""
    reader = csv.reader(lines)
    header = [cell.strip() for cell in next(reader, [])]
    folded = [cell.casefold() for cell in header]
    if {"indicator", "subgroup"} <= set(folded):
        yield from _parse_long(reader, folded, where, published_at, found)
    elif folded[:1] == ["country"] and any(_YEAR_COLUMN.match(cell) for cell in header):
        for record in _parse_wide(reader, header, where, request_meta, published_at):
            found.add(record.indicator)
            yield record
    else:
        shown = ",".join(header[:6])[:120]
        raise ParseError(
            f"{SOURCE}: {where} is neither an AIDSinfo long CSV nor an indicator export (header: {shown!r})"
        )


# --- long layout ---------------------------------------------------------------------------------------


def _parse_long(
    reader: Iterator[list[str]],
    header: list[str],
    where: str,
    published_at: datetime | None,
    found: set[str],
) -> Iterator[ParsedRecord]:
    positions = _long_positions(header, where)
    kept = 0
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ParseError(
                f"{SOURCE}: {where} line {line_number}: {len(row)} fields, expected {len(header)}"
            )
        cells = {field: row[index].strip() for field, index in positions.items()}
        if indicator := INDICATOR_NAMES.get(_normalize(cells["indicator"])):
            found.add(indicator.code)
        record = _long_record(cells, f"{SOURCE}: {where} line {line_number}", published_at)
        if record is not None:
            kept += 1
            yield record
    if kept == 0 and not expected_indicators(where):
        known = ", ".join(sorted(_BY_CODE))
        raise ParseError(f"{SOURCE}: {where} holds none of the indicators cobase reads ({known})")


def _long_positions(header: list[str], where: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    for field, names in _LONG_COLUMNS.items():
        index = next((header.index(name) for name in names if name in header), None)
        if index is not None:
            positions[field] = index
    required = [field for field in _LONG_COLUMNS if field not in _LONG_OPTIONAL]
    missing = [_LONG_COLUMNS[field][0] for field in required if field not in positions]
    if missing:
        raise ParseError(
            f"{SOURCE}: {where} is not an AIDSinfo long CSV: no column {', '.join(map(repr, missing))}"
        )
    return positions


def _long_record(cells: Mapping[str, str], where: str, published_at: datetime | None) -> ParsedRecord | None:
    """One row as a record; None for other indicators, uncertainty bounds and missing values."""
    indicator = INDICATOR_NAMES.get(_normalize(cells["indicator"]))
    if indicator is None or not _unit_agrees(indicator, cells["unit"]) or _is_bound(cells["subgroup"]):
        return None
    if indicator.kind == "text":
        value_num, value_text = None, _law_text(cells)
    else:
        value_num, value_text = _value(cells["value"], cells.get("formatted", ""), where)
    if value_text is None:
        return None
    country, is_code = _area(cells, where)
    period_start, period_end = _period(cells["period"], where)
    set_aside = _set_aside(cells)
    return ParsedRecord(
        country=country,
        indicator=indicator.code,
        period_start=period_start,
        period_end=period_end,
        value_text=value_text,
        value_num=value_num,
        breakdown=_breakdown(cells["subgroup"]),
        published_at=published_at,
        country_is_code=is_code,
        set_aside=set_aside,
    )


def _unit_agrees(indicator: _Indicator, unit: str) -> bool:
    """False when the row's Unit contradicts the indicator ("People living with HIV" as a percentage)."""
    kind = _UNIT_KINDS.get(unit.strip().casefold())
    return kind is None or indicator.kind == "text" or kind == indicator.kind


def _law_text(cells: Mapping[str, str]) -> str | None:
    """An NCPI answer as text: the producer's wording, or Yes/No for a 1/0 coded answer."""
    formatted = cells.get("formatted", "")
    if formatted and formatted not in _MISSING:
        return formatted
    value = cells["value"]
    if value in _MISSING:
        return None
    return {"1": "Yes", "1.0": "Yes", "0": "No", "0.0": "No"}.get(value, value)


def _set_aside(cells: Mapping[str, str]) -> str | None:
    """``world`` or ``sub-national area`` for the areas of the 2025 files that are not countries."""
    area_id, level = cells["area_id"].upper(), cells.get("area_level", "").casefold()
    if area_id in _WORLD_AREA_IDS or level in ("global", "world"):
        return WORLD
    if _SUB_NATIONAL_ID.match(area_id) or "sub" in level or "province" in level or "state" in level:
        return SUB_NATIONAL
    return None


def _area(cells: Mapping[str, str], where: str) -> tuple[str, bool]:
    if _ISO3.match(cells["area_id"]):
        return cells["area_id"], True
    if cells["area"]:
        return cells["area"], False
    raise ParseError(f"{where} has neither an 'Area ID' nor an 'Area'")


# --- wide layout ---------------------------------------------------------------------------------------


def _parse_wide(
    reader: Iterator[list[str]],
    header: list[str],
    where: str,
    request_meta: Mapping[str, Any],
    published_at: datetime | None,
) -> Iterator[ParsedRecord]:
    code, subgroup = _export_identity(where, request_meta)
    years = [(index, cell) for index, cell in enumerate(header) if _YEAR_COLUMN.match(cell)]
    breakdown = f"SUBGROUP={subgroup}" if subgroup else ""
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        country = row[0].strip()
        if not country or len(row) < len(header):
            raise ParseError(
                f"{SOURCE}: {where} line {line_number}: expected a country and {len(header) - 1} values"
            )
        for index, year in years:
            row_where = f"{SOURCE}: {where} line {line_number} ({country}, {year})"
            value_num, value_text = _value(row[index], "", row_where)
            if value_text is None:
                continue
            period_start, period_end = _period(year, row_where)
            yield ParsedRecord(
                country=country,
                indicator=code,
                period_start=period_start,
                period_end=period_end,
                value_text=value_text,
                value_num=value_num,
                breakdown=breakdown,
                published_at=published_at,
                country_is_code=False,
            )


def _export_identity(where: str, request_meta: Mapping[str, Any]) -> tuple[str, str]:
    """(indicator code, subgroup) of a wide export: from the request, else from AIDSinfo's file name."""
    code = request_meta.get("indicator")
    subgroup = request_meta.get("subgroup")
    if not code:
        code, subgroup = _identity_from_file_name(where)
    if code not in _BY_CODE:
        raise ParseError(
            f"{SOURCE}: {where} is an indicator export, but which indicator it holds is unknown "
            f"({code!r}); name it with 'indicator' in the export's parameters"
        )
    return str(code), str(subgroup or "").strip()


def _identity_from_file_name(where: str) -> tuple[str | None, str | None]:
    """Read ``<Area>_<Indicator name>_Population_ <Subgroup>.csv``, as AIDSinfo names its exports."""
    stem = PurePosixPath(unquote(urlsplit(where).path)).stem
    parts = [part.strip() for part in stem.split("_")]
    subgroup = parts[parts.index("Population") + 1] if "Population" in parts[:-1] else None
    for part in parts:
        if indicator := INDICATOR_NAMES.get(_normalize(part)):
            return indicator.code, subgroup
    return None, None


# --- shared helpers ------------------------------------------------------------------------------------


def _value(text: str, formatted: str, where: str) -> tuple[float | None, str | None]:
    """(number, canonical text); (None, text) for a bound like ``<100``; (None, None) when missing."""
    cleaned = text.strip()
    shown = formatted.strip()
    for candidate in (shown, cleaned):
        if candidate.startswith(("<", ">")):
            return None, candidate.translate(_DIGIT_GROUPING)
    if cleaned in _MISSING:
        return None, None
    try:
        number = float(cleaned.translate(_DIGIT_GROUPING))
    except ValueError:
        raise ParseError(f"{where}: value {text!r} is not a number") from None
    return number, number_text(number)


def _period(text: str, where: str) -> tuple[date, date]:
    try:
        return period_from_year_text(text)
    except BadDateError as exc:
        raise ParseError(f"{where}: unreadable 'Time Period': {exc}") from None


def _is_bound(subgroup: str) -> bool:
    folded = subgroup.casefold()
    return any(word in folded for word in ("lower estimate", "upper estimate", "lower bound", "upper bound"))


def _breakdown(subgroup: str) -> str:
    cleaned = re.sub(r"\s+estimate$", "", subgroup.strip(), flags=re.IGNORECASE)
    return f"SUBGROUP={cleaned}" if cleaned else ""


def _normalize(name: str) -> str:
    """Casefolded, spaces collapsed, GAM numbering ("1.5 ") and British spelling folded."""
    folded = " ".join(name.casefold().split())
    return _GAM_NUMBER.sub("", folded).replace("criminalis", "criminaliz")


def _lines(stream: IO[bytes], where: str) -> Iterator[str]:
    """Text lines of a UTF-8 stream (BOM tolerated); a clear error on bytes that are not UTF-8."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from bounded_lines(text, f"{SOURCE}: {where}")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{SOURCE}: {where} is not UTF-8 text ({exc.reason})") from None


def _member_date(info: zipfile.ZipInfo) -> datetime | None:
    """When the CSV was written into the archive; None for the 1980 placeholder of unset timestamps."""
    stamp = datetime(*info.date_time, tzinfo=UTC)
    return stamp if stamp.year >= 2000 else None
