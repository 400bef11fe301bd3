"""One record set per delivery line, shared by the sources that list shipments (USAID SCMS, Global Fund PQR).

Why per line and not per month: a physician's question is "was this molecule delivered to this country,
when, late or not, at what price", and the delivery timeline (:mod:`cobase.evidence.deliveries`) needs each
delivery with its own dates. Each line becomes records with the same breakdown
``DELIVERY=<line id>;STRENGTH_FORM=<strength - form>`` and the same period (the actual delivery day):

* ``SUPPLY_DELIVERY_DELAY_DAYS``: actual minus scheduled delivery date in days (negative: early). Every
  delivered line has one, so it anchors the delivery; when the scheduled date is not a date (``Date Not
  Captured``) the producer's words are kept as text, never turned into a number;
* ``SUPPLY_UNIT_PRICE_USD`` (per unit: a tablet, a test) and ``SUPPLY_PACK_PRICE_USD`` (per pack), both
  kept with their own unit, never one for the other;
* ``SUPPLY_DELIVERED_PACKS``, ``SUPPLY_LINE_VALUE_USD`` and ``SUPPLY_FREIGHT_COST_USD`` when given.
  A cell that is not a number (``Freight Included in Commodity Cost``, ``See DN-2981 (ID#:82538)``) is
  stored as its text with no number.

A line whose actual delivery date is not a date cannot be placed in time: the caller counts it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from cobase.parse import ParsedRecord, number_text

DELIVERY_DELAY = "SUPPLY_DELIVERY_DELAY_DAYS"
UNIT_PRICE = "SUPPLY_UNIT_PRICE_USD"
PACK_PRICE = "SUPPLY_PACK_PRICE_USD"
DELIVERED_PACKS = "SUPPLY_DELIVERED_PACKS"
LINE_VALUE = "SUPPLY_LINE_VALUE_USD"
FREIGHT_COST = "SUPPLY_FREIGHT_COST_USD"

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s.*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T\s].*)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[-\s]([A-Za-z]{3})[-\s](\d{2}|\d{4})$")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}
"""English month abbreviations (``Jan`` -> 1), whatever the locale."""
_NUMBER = re.compile(r"^-?\$?\s*-?[\d,]*\.?\d+$")


def read_date(text: str) -> date | None:
    """A date as these exports write it, or None when the cell is not a date.

    ``2-Jun-06`` and ``19-Mar-09`` (two-digit years are 20xx: the data start in 2006), ``11/16/2012`` (US
    month first, optional time), ``2006-06-02T00:00:00`` (Socrata's API).
    """
    cell = text.strip()
    try:
        if m := _DAY_MONTH_YEAR.match(cell):
            year = int(m.group(3))
            year = year + 2000 if year < 100 else year
            month = _MONTHS.get(m.group(2).title())
            if month is None:
                return None
            return date(year, month, int(m.group(1)))
        if m := _US_DATE.match(cell):
            return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        if m := _ISO_DATE.match(cell):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return None


def read_number(text: str) -> float | None:
    """A number as written (``600,000``, ``12.11``, ``$4.15``), or None when the cell is not a number."""
    cell = text.strip()
    if not cell or not _NUMBER.match(cell):
        return None
    try:
        return float(cell.replace(",", "").replace("$", "").replace(" ", ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class DeliveryLine:
    """One delivered shipment line, as the producer states it (cells kept as text)."""

    country: str
    country_is_code: bool
    item: str
    line_id: str
    strength_form: str
    delivered: date
    scheduled: str
    unit_price: str = ""
    pack_price: str = ""
    packs: str = ""
    line_value: str = ""
    freight: str = ""
    computed_unit_price: float | None = None
    """A unit price the parser computed (PQR: pack price / units per pack) when none is stated."""


def delivery_records(line: DeliveryLine) -> Iterator[ParsedRecord]:
    """The records of one delivered line (see the module docstring)."""
    breakdown = f"DELIVERY={line.line_id}"
    if line.strength_form:
        breakdown += f";STRENGTH_FORM={line.strength_form}"
    scheduled = read_date(line.scheduled)
    if scheduled is not None:
        delay = float((line.delivered - scheduled).days)
        yield _record(line, breakdown, DELIVERY_DELAY, number_text(delay), delay)
    else:
        # The producer's words when there are any; a dash (no words of ours) when the cell is empty.
        yield _record(line, breakdown, DELIVERY_DELAY, " ".join(line.scheduled.split()) or "—", None)
    if line.computed_unit_price is not None:
        price = round(line.computed_unit_price, 6)
        yield _record(line, breakdown, UNIT_PRICE, number_text(price), price)
    for code, cell in (
        (UNIT_PRICE, line.unit_price),
        (PACK_PRICE, line.pack_price),
        (DELIVERED_PACKS, line.packs),
        (LINE_VALUE, line.line_value),
        (FREIGHT_COST, line.freight),
    ):
        if not cell.strip() or (code == UNIT_PRICE and line.computed_unit_price is not None):
            continue
        number = read_number(cell)
        text = number_text(number) if number is not None else " ".join(cell.split())
        yield _record(line, breakdown, code, text, number)


def _record(line: DeliveryLine, breakdown: str, code: str, text: str, number: float | None) -> ParsedRecord:
    return ParsedRecord(
        country=line.country,
        indicator=code,
        period_start=line.delivered,
        period_end=line.delivered,
        value_text=text,
        value_num=number,
        breakdown=breakdown,
        country_is_code=line.country_is_code,
        item=line.item,
    )


__all__ = [
    "DELIVERED_PACKS",
    "DELIVERY_DELAY",
    "FREIGHT_COST",
    "LINE_VALUE",
    "PACK_PRICE",
    "UNIT_PRICE",
    "DeliveryLine",
    "delivery_records",
    "read_date",
    "read_number",
]
