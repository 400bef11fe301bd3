"""Read the USAID Supply Chain Management System (SCMS) delivery history: one row per shipment line.

PEPFAR-funded deliveries of antiretrovirals, HIV tests and antimalarials, 2006–2015 (public domain). The
same dataset circulates in several exports, all read here:

* the public data catalogue's CSV (catalog.data.gov / data.usaid.gov Socrata): **lower-case** headers
  (``id,project code,…,scheduled delivery date,delivered to client date,…,pack price,unit price,…``),
  UTF-8 without byte-order mark, **CRLF** line endings;
* older copies with **Title-Case** headers (``ID,Project Code,…,Delivered to Client Date,…``), a byte-order
  mark and LF (or CR) line endings.

Columns are read **by name** (case, spacing and a byte-order mark ignored), never by position. Rules:

* the molecule (``molecule/test type``) is resolved to a catalogue item by
  :func:`cobase.harmonize.medicines.resolve_medicine` (``Efavirenz/Lamivudine/Tenofovir Disoproxil
  Fumarate`` is TDF/3TC/EFV); a product that resolves to nothing (tests, co-packs, molecules the catalogue
  lacks) is counted and logged, never matched to a look-alike;
* each delivered line becomes the records of :mod:`cobase.parse._deliveries`, dated by ``delivered to
  client date``; the delay is that date minus ``scheduled delivery date``. Dates read ``2-Jun-06`` or
  ``11/16/2012``; cells such as ``Date Not Captured``, ``Pre-PQ Process``, ``See DN-2981 (ID#:82538)``,
  ``Freight Included in Commodity Cost`` are neither dates nor numbers and are kept as text;
* a line whose delivery date is not a date is counted and set aside (it cannot be placed in time);
* countries are names (``Côte d'Ivoire``, ``"Congo, DRC"``), resolved by :mod:`cobase.harmonize`;
* the file states no publication date: ``published_at`` is None (our retrieval dates it, ``first_seen``).
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

# A shipment line must name its catalogue item before a record exists (the timeline is per item), so the
# parser resolves molecules itself, as the PQR parser does.
from cobase.harmonize.medicines import UnknownMedicineError, resolve_medicine
from cobase.parse import ParsedRecord, ParseError
from cobase.parse._deliveries import DeliveryLine, delivery_records, read_date

SOURCE = "usaid_scms"
# The file states no date: every record is ``first_seen`` (this default is never used).
PUBLISHED_BASIS = "last_modified"

log = logging.getLogger(__name__)

# field -> the header it is published under (compared casefolded, spaces collapsed, BOM removed).
_COLUMNS: dict[str, str] = {
    "line_id": "id",
    "country": "country",
    "molecule": "molecule/test type",
    "scheduled": "scheduled delivery date",
    "delivered": "delivered to client date",
    "packs": "line item quantity",
    "line_value": "line item value",
    "pack_price": "pack price",
    "unit_price": "unit price",
    "dosage": "dosage",
    "form": "dosage form",
    "freight": "freight cost (usd)",
}
_OPTIONAL = {"dosage", "form", "freight"}


def _header_name(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").casefold().split())


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield the delivery records of an SCMS delivery history CSV (see the module docstring)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{SOURCE}: {url} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    if text.lstrip().startswith("<"):
        raise ParseError(f"{SOURCE}: {url} is an HTML page, not the SCMS delivery history CSV")
    # A file saved with CR-only line endings is split as lines too (csv reads \r\n and \n on its own).
    if "\n" not in text:
        text = text.replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [_header_name(cell) for cell in next(reader, [])]
    columns = _positions(header, url)
    return _lines(reader, columns, len(header), url)


def _positions(header: list[str], url: str) -> dict[str, int]:
    positions = {field: header.index(name) for field, name in _COLUMNS.items() if name in header}
    missing = [name for field, name in _COLUMNS.items() if field not in positions and field not in _OPTIONAL]
    if missing:
        raise ParseError(
            f"{SOURCE}: {url} is not the SCMS delivery history: no column {', '.join(map(repr, missing))}"
        )
    return positions


def _lines(reader: Any, columns: dict[str, int], width: int, url: str) -> Iterator[ParsedRecord]:
    unresolved: Counter[str] = Counter()
    undated = 0
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise ParseError(f"{SOURCE}: {url} line {line_number}: {len(row)} fields, expected {width}")
        cells = {field: row[index].strip() for field, index in columns.items()}
        item = _item_for(cells["molecule"])
        if item is None:
            unresolved[cells["molecule"]] += 1
            continue
        delivered = read_date(cells["delivered"])
        if delivered is None:
            undated += 1
            continue
        if not cells["line_id"] or not cells["country"]:
            raise ParseError(f"{SOURCE}: {url} line {line_number}: no 'id' or no 'country'")
        strength_form = " - ".join(part for part in (cells.get("dosage"), cells.get("form")) if part)
        yield from delivery_records(
            DeliveryLine(
                country=cells["country"],
                country_is_code=False,
                item=item,
                line_id=cells["line_id"],
                strength_form=" ".join(strength_form.split()),
                delivered=delivered,
                scheduled=cells["scheduled"],
                unit_price=cells["unit_price"],
                pack_price=cells["pack_price"],
                packs=cells["packs"],
                line_value=cells["line_value"],
                freight=cells.get("freight", ""),
            )
        )
    if unresolved:
        log.info(
            "%s: %d lines of %d products resolving to no catalogue item set aside in %s (e.g. %s)",
            SOURCE,
            sum(unresolved.values()),
            len(unresolved),
            url,
            ", ".join(name for name, _ in unresolved.most_common(5)),
        )
    if undated:
        log.info("%s: %d lines without a delivery date set aside in %s", SOURCE, undated, url)


def unresolved_products(body: bytes) -> Counter[str]:
    """How many lines of each product resolve to no catalogue item (what the parser sets aside)."""
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    header = [_header_name(cell) for cell in next(reader, [])]
    column = header.index(_COLUMNS["molecule"])
    return Counter(
        row[column].strip() for row in reader if len(row) > column and _item_for(row[column].strip()) is None
    )


@lru_cache(maxsize=1024)
def _item_for(molecule: str) -> str | None:
    """The catalogue item a molecule is, or None: an unknown product is counted, never guessed."""
    if not molecule:
        return None
    try:
        return resolve_medicine(molecule).item.id
    except UnknownMedicineError:
        return None


__all__ = ["SOURCE", "parse", "unresolved_products"]
