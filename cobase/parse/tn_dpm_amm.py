"""Read Tunisia's DPM « liste des médicaments ayant une AMM » (``liste_amm.xls``, legacy Excel 97, one
sheet ``liste_amm``): every medicine with a marketing authorisation, its AMM number and date, DCI, class,
generic/princeps/biosimilar (``G/P/B``) and VEIC (vital, essential, intermediate, comfort).

What the real file taught (PROVENANCE « Round 3 »):

* **No version stamp.** The DPM replaces the file at the same address. The version date is the latest
  ``Date AMM`` it holds (the list cannot be older than its newest authorisation), and its publication
  basis is ``first_seen``: only our retrieval proves when it was public. A copy listed with a date
  (``params.files`` entry ``{url, published}``: an archived copy whose capture date is known) is dated
  by it instead, as a ``document_date``.
* **Headers** are found by content (row 1 in the files known); ``Spécifocation`` is the DPM's spelling.
* ``AMM`` is text (``6943091H``): it is the product's identity across versions; twelve numbers appear
  twice (two presentations): those rows get ``;brand=`` in their breakdown.
* Every row is ``registered``. A product absent from a later version is ``no_longer_listed`` as of that
  version: only comparing versions shows it (:mod:`cobase.evidence.register_timeline`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from cobase.clock import BadDateError, parse_datetime
from cobase.parse import ParsedRecord, ParseError
from cobase.parse._register import (
    BRAND,
    DCI,
    DOSAGE,
    FORM,
    HOLDER,
    PACK,
    REGISTERED,
    STATUS,
    ProductRow,
    build_quote,
    item_resolver,
    with_breakdowns,
)
from cobase.parse._workbook import cell_date, cell_text, column_map, find_header, read_workbook, value_at

SOURCE = "tn_dpm_amm"
# The file states no date: its records carry none and are ``first_seen`` (ingestion decides so for a
# record without a date); a copy listed with its date is a ``document_date``.
PUBLISHED_BASIS = "document_date"
TRACKS_WITHDRAWALS = False
COUNTRY = "TUN"

_COLUMNS: dict[str, tuple[str, ...]] = {
    "brand": ("NOM",),
    "dosage": ("DOSAGE",),
    "form": ("FORME",),
    "pack": ("PRESENTATION",),
    "dci": ("DCI",),
    "class": ("CLASSE",),
    "subclass": ("SOUS CLASSE",),
    "holder": ("LABORATOIRE",),
    "amm": ("AMM",),
    "amm_date": ("DATE AMM",),
    "table": ("TABLEAU",),
    "gpb": ("G/P/B",),
    "veic": ("VEIC",),
}


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield one ``registered`` record per product of the list, dated by its newest AMM."""
    where = f"{SOURCE}: {url}"
    sheets = read_workbook(body, where)
    for sheet in sheets:
        header_index = find_header(sheet.rows, ("AMM", "DATE AMM", "DCI"))
        if header_index is not None:
            break
    else:
        raise ParseError(f"{where}: no sheet has the AMM list's header (AMM, Date AMM, DCI)")
    columns = column_map(sheet.rows[header_index], _COLUMNS)
    data = [row for row in sheet.rows[header_index + 1 :] if cell_text(value_at(row, columns, "amm"))]
    dates = [day for row in data if (day := cell_date(value_at(row, columns, "amm_date"))) is not None]
    if not dates:
        raise ParseError(f"{where}: no row has a readable Date AMM, so the list's version cannot be dated")
    version = max(dates)
    published_at = _listed_date(request_meta, where)
    resolve = item_resolver()
    rows: list[ProductRow] = []
    for row in data:
        text = {name: cell_text(value_at(row, columns, name)) for name in _COLUMNS}
        amm_date = cell_date(value_at(row, columns, "amm_date"))
        quote = build_quote(
            [
                ("AMM", text["amm"]),
                (BRAND, text["brand"]),
                (DCI, text["dci"]),
                (DOSAGE, text["dosage"]),
                (FORM, text["form"]),
                (PACK, text["pack"]),
                (HOLDER, text["holder"]),
                ("DATE AMM", amm_date.isoformat() if amm_date else text["amm_date"]),
                ("CLASSE", text["class"]),
                ("SOUS CLASSE", text["subclass"]),
                ("TABLEAU", text["table"]),
                ("G/P/B", text["gpb"]),
                ("VEIC", text["veic"]),
            ]
        )
        record = ParsedRecord(
            country=COUNTRY,
            indicator=STATUS,
            period_start=version,
            period_end=version,
            value_text=REGISTERED,
            published_at=published_at,
            item=resolve(text["dci"]) if text["dci"] else None,
            quote=quote,
        )
        rows.append(
            # Two rows under one AMM differ by dosage, then by form and presentation.
            ProductRow(
                text["amm"],
                text["brand"],
                text["pack"],
                (record,),
                text["dosage"],
                f"{text['form']} {text['pack']}",
            )
        )
    yield from with_breakdowns(rows)


def _listed_date(request_meta: Mapping[str, Any], where: str) -> datetime | None:
    """The date a listed copy carries (``published`` in its ``params.files`` entry), else None."""
    listed = request_meta.get("published")
    if not listed:
        return None
    if isinstance(listed, date):
        return datetime.combine(listed, time(0), tzinfo=UTC)
    try:
        return parse_datetime(str(listed))
    except BadDateError:
        raise ParseError(f"{where}: the listed date {listed!r} is not a date") from None
