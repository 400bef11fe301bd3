"""Read Global Fund Price & Quality Reporting (PQR) transactions.

**PQR transaction export (CSV)**, one row per purchase order line, columns matched by name (case and
spacing ignored; the names are those of the PQR ``ExternalReportingView`` export: ``Country Name``,
``ISO3CodeCountry``, ``Product Name (EN)``, ``Strength Dosage Form (EN)`` or ``Description``,
``Pack quantity``, ``Unit Cost (USD)``, ``Purchase Order Date``, ``Scheduled Delivery Date``,
``Actual Delivery Date``, ``Product Category Language``). Rules:

* the export repeats each transaction once per language (``Product Category Language`` ``en``/``fr``/
  ``es``): only English rows are read, so nothing is counted three times;
* the product is resolved to a catalogue item by :func:`cobase.harmonize.medicines.resolve_medicine` after
  PQR's packaging suffix is removed (``Dolutegravir+Lamivudine+Tenofovir - FDC`` is TLD); a name with a
  parenthesis is tried as written (``Tenofovir (TDF)``), then without it (``Lamivudine (3TC)``). A product
  that matches no item (bednets, tests, combinations the catalogue lacks) is counted, logged and ignored,
  never matched to a look-alike;
* values are aggregated per country x item x strength/form x **month**, so that the timeline shows
  continuity per molecule: the month is the actual delivery month, or the purchase order month for an
  order not yet delivered. ``PQR_UNIT_COST_USD`` is the median unit cost of that month's transactions,
  ``PQR_DELIVERY_DELAY_DAYS`` the median of (actual - scheduled delivery date) in days (negative: early),
  ``PQR_DELIVERED_QUANTITY`` the packs delivered. The strength and form is the breakdown
  (``STRENGTH_FORM=50 mg - Tablet``): two strengths are two series;
* dates are read as PQR writes them, US ``M/D/YYYY`` with an optional time (``11/10/2017 12:00:00 AM``),
  or ISO ``YYYY-MM-DD``; numbers may carry thousands commas;
* the export states no publication date: ``published_at`` is None (the retrieval date stands in).

**PQR "Transaction Summary" crosstab** (the public Tableau workbook's "Download → Crosstab"), read by
the same rules through the headers it is served with, misspellings included: ``Country/Teritorry`` (country
*names*, no ISO3), ``Product``, ``Description``, ``Product Pack``, ``Purchase Order Date``, ``Scheduled
Delivery Date``, ``Actual Delivery Date``, ``Nb of Suom in Pack``, ``Pack quantity``, ``Product Pack
(USD)``, ``Total Product Cost (USD)``, ``Primary Key``. Dates read ``19-Mar-09``; numbers ``"600,000"``.
``Product Pack (USD)`` is a **pack** price: the unit price is ``Product Pack (USD)`` / ``Nb of Suom in
Pack``, never the pack price itself; both are kept, each with its unit (``PQR_PACK_COST_USD`` beside
``PQR_UNIT_COST_USD``; per delivery ``SUPPLY_PACK_PRICE_USD`` beside ``SUPPLY_UNIT_PRICE_USD``).

**Each delivered transaction** (both layouts) also gives the per-delivery records of
:mod:`cobase.parse._deliveries` (``DELIVERY=<Primary Key>``), from which the delivery timeline is built.

**Grant disbursements are retired.** The data service's v3 views (one row per country, component and
year) are no longer served; v4.2 ``AllFinancialIndicators`` rows carry GUIDs (``recordId``, an
implementation period of a grant, whose ``geographyId`` resolves only through ``Grants`` and
``Geographies``), no ISO3 code, no component name and no year, and its 37,033 malaria rows come in pages
a per-snapshot parser cannot total. A JSON body (an old disbursement snapshot) raises
:class:`~cobase.parse.ParseError` saying so. Grant payments were never evidence that a patient can
obtain a medicine (scope ``system`` in the catalogue): nothing a physician relies on is lost.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

# Resolving medicines is harmonization, but PQR rows must be grouped per catalogue item before any record
# exists (two spellings of one molecule are one series), so this parser resolves them itself.
from cobase.clock import month_end
from cobase.harmonize.medicines import UnknownMedicineError, resolve_medicine
from cobase.parse import ParsedRecord, ParseError, number_text
from cobase.parse._deliveries import DeliveryLine, delivery_records, read_date

SOURCE = "globalfund_pqr"
# What ``published_at`` means here: the export states no date: every record is ``first_seen`` (this default is
# never used).
PUBLISHED_BASIS = "last_modified"

UNIT_COST = "PQR_UNIT_COST_USD"
PACK_COST = "PQR_PACK_COST_USD"
DELIVERY_DELAY = "PQR_DELIVERY_DELAY_DAYS"
DELIVERED_QUANTITY = "PQR_DELIVERED_QUANTITY"

log = logging.getLogger(__name__)

# PQR column -> the names it is published under, best first (compared casefolded, spaces collapsed).
_PQR_COLUMNS: dict[str, tuple[str, ...]] = {
    "iso3": ("ISO3CodeCountry", "ISO3 Code", "Country ISO3"),
    "country": ("Country Name", "Country", "Country/Teritorry", "Country/Territory"),
    "product": ("Product Name (EN)", "Product Name", "Product"),
    "strength_form": ("Strength Dosage Form (EN)", "Description", "Strength"),
    "packs": ("Pack quantity", "Total Package Quantity"),
    "unit_cost": ("Unit Cost (USD)",),
    "pack_cost": ("Product Pack (USD)", "Pack Cost (USD)"),
    "units_in_pack": ("Nb of Suom in Pack", "Nb of SUoM in Pack"),
    "total_cost": ("Total Product Cost (USD)",),
    "line_id": ("Primary Key",),
    "ordered": ("Purchase Order Date", "Order Date"),
    "scheduled": ("Scheduled Delivery Date",),
    "delivered": ("Actual Delivery Date",),
    "language": ("Product Category Language",),
}
_PQR_OPTIONAL = {
    "iso3",
    "country",
    "language",
    "unit_cost",
    "pack_cost",
    "units_in_pack",
    "total_cost",
    "line_id",
}
# one of iso3/country, and a unit cost or a pack cost with its units per pack, are checked separately
_PACKAGING_SUFFIX = re.compile(r"\s+-\s+(?:fdc|co-?blister.*)\s*$", re.IGNORECASE)
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield the records of a PQR transaction CSV."""
    head = body.lstrip(_BOM_AND_SPACE)
    if not head:
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    if head.startswith((b"{", b"[")):
        raise ParseError(
            f"{SOURCE}: {url} is a data-service (JSON) answer: Global Fund grant disbursements are no longer "
            "read (the v4.2 rows carry GUIDs, not countries, components or years; see the README)"
        )
    if head.startswith(b"<"):
        raise ParseError(f"{SOURCE}: {url} is an HTML page, not a PQR export or OData answer")
    return _parse_pqr(body, url)


# --- PQR transactions ----------------------------------------------------------------------------------


@dataclass
class _Month:
    """What one country x item x strength/form received or ordered in one month."""

    unit_costs: list[float] = field(default_factory=list)
    pack_costs: list[float] = field(default_factory=list)
    delays: list[int] = field(default_factory=list)
    packs: float = 0.0
    deliveries: int = 0


_Key = tuple[str, bool, str, str, date]  # country, country_is_code, item, strength/form, first day of month


def _parse_pqr(body: bytes, url: str) -> Iterator[ParsedRecord]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{SOURCE}: {url} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [" ".join(cell.casefold().split()) for cell in next(reader, [])]
    columns = _pqr_positions(header, url)
    months: dict[_Key, _Month] = defaultdict(_Month)
    deliveries: list[ParsedRecord] = []
    unmatched: Counter[str] = Counter()
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise ParseError(f"{SOURCE}: {url} line {line_number}: {len(row)} fields, expected {len(header)}")
        cells = {name: row[index].strip() for name, index in columns.items()}
        if cells.get("language", "en").casefold() not in ("en", ""):
            continue  # the same transaction in French or Spanish
        item = _item_for(cells["product"])
        if item is None:
            unmatched[cells["product"]] += 1
            continue
        where = f"{SOURCE}: {url} line {line_number}"
        _add_transaction(months, cells, item, where)
        deliveries.extend(_delivery_records(cells, item, row, where))
    if unmatched:
        log.info(
            "%s: %d rows of %d products matching no catalogue item ignored in %s (e.g. %s)",
            SOURCE,
            sum(unmatched.values()),
            len(unmatched),
            url,
            ", ".join(name for name, _ in unmatched.most_common(5)),
        )
    for key in sorted(months):
        yield from _month_records(key, months[key])
    yield from deliveries


def _pqr_positions(header: list[str], url: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    for name, aliases in _PQR_COLUMNS.items():
        folded = [alias.casefold() for alias in aliases]
        index = next((header.index(alias) for alias in folded if alias in header), None)
        if index is not None:
            positions[name] = index
    # A unit cost is required unless the pack price and the units per pack give it (Transaction Summary).
    pack_priced = {"pack_cost", "units_in_pack"} <= set(positions)
    required = [
        name
        for name in _PQR_COLUMNS
        if name not in _PQR_OPTIONAL or (name == "unit_cost" and not pack_priced)
    ]
    missing = [_PQR_COLUMNS[name][0] for name in required if name not in positions]
    if "iso3" not in positions and "country" not in positions:
        missing.insert(0, "Country Name")
    if missing:
        hint = " (or 'Product Pack (USD)' with 'Nb of Suom in Pack')" if "unit_cost" in required else ""
        raise ParseError(
            f"{SOURCE}: {url} is not a PQR transaction export: no column {', '.join(map(repr, missing))}"
            + (hint if "Unit Cost (USD)" in missing else "")
        )
    return positions


def _add_transaction(months: dict[_Key, _Month], cells: Mapping[str, str], item: str, where: str) -> None:
    country, is_code = _country(cells, where)
    ordered = _date(cells["ordered"], "Purchase Order Date", where)
    scheduled = _date(cells["scheduled"], "Scheduled Delivery Date", where)
    delivered = _date(cells["delivered"], "Actual Delivery Date", where)
    day = delivered or ordered
    if day is None:
        raise ParseError(f"{where}: neither 'Actual Delivery Date' nor 'Purchase Order Date'")
    strength_form = " ".join(cells["strength_form"].split())
    month = months[(country, is_code, item, strength_form, day.replace(day=1))]
    if (unit_cost := _unit_cost(cells, where)) is not None:
        month.unit_costs.append(unit_cost)
    if cells.get("pack_cost"):
        month.pack_costs.append(_number(cells["pack_cost"], "Product Pack (USD)", where))
    if delivered is not None:
        month.deliveries += 1
        if cells["packs"]:
            month.packs += _number(cells["packs"], "Pack quantity", where)
        if scheduled is not None:
            month.delays.append((delivered - scheduled).days)


def _month_records(key: _Key, month: _Month) -> Iterator[ParsedRecord]:
    country, is_code, item, strength_form, first_day = key
    last_day = month_end(first_day.year, first_day.month)
    values: list[tuple[str, float]] = []
    if month.unit_costs:
        values.append((UNIT_COST, round(statistics.median(month.unit_costs), 6)))
    if month.pack_costs:
        values.append((PACK_COST, round(statistics.median(month.pack_costs), 6)))
    if month.delays:
        values.append((DELIVERY_DELAY, float(statistics.median(month.delays))))
    if month.deliveries:
        values.append((DELIVERED_QUANTITY, round(month.packs, 6)))
    for indicator, value in values:
        yield ParsedRecord(
            country=country,
            indicator=indicator,
            period_start=first_day,
            period_end=last_day,
            value_text=number_text(value),
            value_num=value,
            breakdown=f"STRENGTH_FORM={strength_form}" if strength_form else "",
            country_is_code=is_code,
            item=item,
        )


def _unit_cost(cells: Mapping[str, str], where: str) -> float | None:
    """The unit cost as stated (``Unit Cost (USD)``), else ``Product Pack (USD)`` / ``Nb of Suom in Pack``:
    a pack price is never taken for a unit price."""
    if cells.get("unit_cost"):
        return _number(cells["unit_cost"], "Unit Cost (USD)", where)
    if cells.get("pack_cost") and cells.get("units_in_pack"):
        units = _number(cells["units_in_pack"], "Nb of Suom in Pack", where)
        if units > 0:
            return _number(cells["pack_cost"], "Product Pack (USD)", where) / units
    return None


def _delivery_records(cells: Mapping[str, str], item: str, row: list[str], where: str) -> list[ParsedRecord]:
    """The per-delivery records of a delivered transaction (none for an order not yet delivered)."""
    delivered = _date(cells["delivered"], "Actual Delivery Date", where)
    if delivered is None:
        return []
    country, is_code = _country(cells, where)
    # The Primary Key identifies a transaction; an export without it gets a digest of the row, stable
    # whatever the order of rows.
    line_id = cells.get("line_id") or hashlib.sha256("\x1f".join(row).encode()).hexdigest()[:12]
    stated = bool(cells.get("unit_cost"))
    return list(
        delivery_records(
            DeliveryLine(
                country=country,
                country_is_code=is_code,
                item=item,
                line_id=line_id,
                strength_form=" ".join(cells["strength_form"].split()),
                delivered=delivered,
                scheduled=cells["scheduled"],
                unit_price=cells["unit_cost"] if stated else "",
                pack_price=cells.get("pack_cost", ""),
                packs=cells["packs"],
                line_value=cells.get("total_cost", ""),
                computed_unit_price=None if stated else _unit_cost(cells, where),
            )
        )
    )


@lru_cache(maxsize=4096)
def _item_for(product: str) -> str | None:
    """The catalogue item a PQR product name is, or None: an unmatched product is ignored, never guessed."""
    name = _PACKAGING_SUFFIX.sub("", product).strip()
    for candidate in dict.fromkeys((name, _PARENTHESIS.sub("", name).strip())):
        if not candidate:
            continue
        try:
            return resolve_medicine(candidate).item.id
        except UnknownMedicineError:
            continue
    return None


def _country(cells: Mapping[str, str], where: str) -> tuple[str, bool]:
    code = cells.get("iso3", "").upper()
    if _ISO3.match(code):
        return code, True
    if name := cells.get("country", ""):
        return name, False
    raise ParseError(f"{where}: no country (neither 'ISO3CodeCountry' nor 'Country Name')")


def _date(text: str, column: str, where: str) -> date | None:
    if not text:
        return None
    if (day := read_date(text)) is not None:  # 19-Mar-09 (Transaction Summary), M/D/YYYY, ISO
        return day
    raise ParseError(f"{where}: unreadable {column!r} {text!r} (expected M/D/YYYY, D-Mon-YY or YYYY-MM-DD)")


def _number(text: str, column: str, where: str) -> float:
    try:
        return float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        raise ParseError(f"{where}: {column!r} {text!r} is not a number") from None


__all__ = ["DELIVERED_QUANTITY", "DELIVERY_DELAY", "PACK_COST", "UNIT_COST", "parse"]
