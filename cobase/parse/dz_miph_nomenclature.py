"""Read Algeria's « Nomenclature nationale des produits pharmaceutiques à usage de la médecine humaine »
(ministry of pharmaceutical industry, MIPH; older versions under the health ministry, MSPRH): one XLSX per
version, three disjoint lists: the register, « non renouvelés » and « retraits ».

What the real files taught (PROVENANCE « Round 3 »), and how each is handled:

* **The version date** comes from a title row (« … AU 28 FEVRIER 2026 ( 5298 DE ) »), which can disagree
  with the sheet name (``nomenclature JUILLET 2018`` for « AU 01 JUILLET 2018 ») and the file name: the
  title wins. A re-saved copy without any title falls back on the sheet name's month, whose last day is
  the version date. A workbook stating neither is refused.
* **The declared count** in a sheet's title is checked against the numbered rows read (a numbered row may
  be empty: the December 2019 « retraits » declares 2 475 and holds 10 blank numbers); a difference is a
  :class:`~cobase.parse.ParseError`, never a silent partial version.
* **Headers are found by content** (row 3, 8, 10, 11 or 14); sheet names carry trailing spaces; columns
  move (TYPE and STATUT are two columns left in « retraits »); cells carry trailing spaces and mixed case.
* **Which list** a sheet is comes from its name, title and header: « retrait » (or a ``DATE DE RETRAIT``
  column) -> ``withdrawn``; « renouvel » -> ``not_renewed``; otherwise the register -> ``registered``.
* **Product identity**: the registration number's stem ``NNN/CC X NNN`` (``024/13 P 287/06`` and
  ``024/ 13 P 287 /06/23`` are one product). The ``CODE`` column is the DCI × dosage code that several
  products share: it identifies a product only with its brand, for a row whose number is blank.
* **Withdrawal dates** are Excel dates or text (``RETRAIT LE 18/11/2016``, ``00-12-2005``, ``RETRAIT 2010``,
  ``ABROGATION``): a day, month or year is stored as ``NATREG_WITHDRAWAL``'s period when one is written;
  otherwise only the status is stored, its quote keeping the text.
* **Prices and reimbursement** (July 2018 only): ``PRIX PORTE SUR LA DECISION D'ENREGISTREMENT`` as text
  with its first amount and currency parsed; ``REMBOURSEMENT`` ``OUI``/``NON`` (any case, trailing spaces).

Every date here is the document's own (``document_date``): the version a ministry dates is what it stated
on that day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from cobase.parse import ParsedRecord, ParseError
from cobase.parse._register import (
    BRAND,
    DCI,
    DOSAGE,
    FORM,
    HOLDER,
    HOLDER_COUNTRY,
    NOT_REIMBURSED,
    NOT_RENEWED,
    PACK,
    PRICE,
    REGISTERED,
    REGISTRATION,
    REIMBURSED,
    REIMBURSEMENT,
    STATUS,
    WITHDRAWAL,
    WITHDRAWN,
    ProductRow,
    build_quote,
    item_resolver,
    parse_price,
    with_breakdowns,
)
from cobase.parse._workbook import (
    Sheet,
    cell_period,
    cell_text,
    column_map,
    declared_count,
    find_header,
    fold,
    name_month_end,
    read_workbook,
    title_date,
    value_at,
)

SOURCE = "dz_miph_nomenclature"
PUBLISHED_BASIS = "document_date"
# Each file is one dated version: a later file never "withdraws" the rows of an earlier one.
TRACKS_WITHDRAWALS = False
COUNTRY = "DZA"

_COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("N°", "N "),
    "registration": ("N°ENREGISTREMENT", "N° ENREGISTREMENT", "N ENREGISTREMENT"),
    "code": ("CODE",),
    "dci": ("DENOMINATION COMMUNE",),
    "brand": ("NOM DE MARQUE",),
    "form": ("FORME",),
    "dosage": ("DOSAGE",),
    "pack": ("CONDITIONNEMENT", "COND"),
    "list": ("LISTE",),
    "holder": ("LABORATOIRE",),
    "country": ("PAYS",),
    "initial": ("DATE D'ENREGISTREMENT INITIAL",),
    "final": ("DATE D'ENREGISTREMENT FINAL",),
    "type": ("TYPE",),
    "statut": ("STATUT",),
    "price": ("PRIX",),
    "reimbursement": ("REMBOURSEMENT",),
    "withdrawal_date": ("DATE DE RETRAIT",),
    "withdrawal_reason": ("MOTIF DE RETRAIT",),
}
_HEADER_REQUIRED = ("N°ENREGISTREMENT", "DENOMINATION COMMUNE")
_TITLE_WORDS = ("NOMENCLATURE", "LISTE DES", "RENOUVELLEMENT", "RETRAIT")
_STEM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*([A-Za-z])\s*(\d+)")


def registration_stem(number: str) -> str | None:
    """``NNN/CC X NNN`` of a registration number (``024/ 13 P 287 /06/23`` -> ``024/13 P 287``), or None."""
    match = _STEM.match(number)
    if not match:
        return None
    holder, chapter, letter, serial = match.groups()
    return f"{holder.zfill(3)}/{chapter.zfill(2)} {letter.upper()} {serial.zfill(3)}"


def sheet_status(sheet: Sheet, title: str, header: list[Any]) -> str:
    """Which of the three lists a sheet is, from its name, title and header."""
    words = fold(f"{sheet.name} {title}")
    headers = {fold(cell_text(value)) for value in header}
    if "RETRAIT" in words or "DATE DE RETRAIT" in headers:
        return WITHDRAWN
    if "RENOUVEL" in words:
        return NOT_RENEWED
    return REGISTERED


@dataclass(frozen=True)
class SheetCount:
    """One list of a version: what its title declares, how many rows it numbers, how many it stores."""

    sheet: str
    status: str
    declared: int | None
    numbered: int
    products: int


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield every product row of every list of one version, with its withdrawals, prices and flags."""
    _version, _counts, rows = read_version(body, url)
    yield from with_breakdowns(rows)


def read_version(body: bytes, url: str) -> tuple[date, list[SheetCount], list[ProductRow]]:
    """The version date, each list's counts (declared ones checked) and the product rows of a workbook."""
    where = f"{SOURCE}: {url}"
    sheets = read_workbook(body, where)
    laid_out = [entry for sheet in sheets if (entry := _layout(sheet, where)) is not None]
    if not laid_out:
        raise ParseError(f"{where}: no sheet has a register header (N°ENREGISTREMENT, DENOMINATION COMMUNE)")
    version = _version_date(laid_out, where)
    published_at = datetime.combine(version, time(0), tzinfo=UTC)
    resolve = item_resolver()
    rows: list[ProductRow] = []
    counts: list[SheetCount] = []
    for sheet, title, header_index, columns in laid_out:
        status = sheet_status(sheet, title, sheet.rows[header_index])
        numbered = 0
        before = len(rows)
        for row in sheet.rows[header_index + 1 :]:
            if cell_text(value_at(row, columns, "number")):
                numbered += 1
            product = _product_row(row, columns, status, version, published_at, resolve)
            if product is not None:
                rows.append(product)
        expected = declared_count(title) if title else None
        if expected is not None and expected != numbered:
            raise ParseError(
                f"{where}: sheet {sheet.name.strip()!r} declares {expected} entries in its title but "
                f"numbers {numbered}"
            )
        counts.append(SheetCount(sheet.name, status, expected, numbered, len(rows) - before))
    return version, counts, rows


def _layout(sheet: Sheet, where: str) -> tuple[Sheet, str, int, dict[str, int]] | None:
    """The sheet, its title (the last non-empty text above the header), header row and columns."""
    header_index = find_header(sheet.rows, _HEADER_REQUIRED)
    if header_index is None:
        return None
    columns = column_map(sheet.rows[header_index], _COLUMNS)
    if "registration" not in columns or "dci" not in columns:
        raise ParseError(f"{where}: sheet {sheet.name.strip()!r} has no N°ENREGISTREMENT or DCI column")
    title = ""
    for row in sheet.rows[:header_index]:
        text = " ".join(cell_text(value) for value in row if cell_text(value))
        folded = fold(text)
        if title_date(text) or any(word in folded for word in _TITLE_WORDS):
            title = text
    return sheet, title, header_index, columns


def _version_date(laid_out: list[tuple[Sheet, str, int, dict[str, int]]], where: str) -> date:
    """The title's date (the register's title first), else the last day of a sheet name's month."""
    by_status = sorted(laid_out, key=lambda entry: sheet_status(entry[0], entry[1], []) != REGISTERED)
    for _sheet, title, _index, _columns in by_status:
        if title and (found := title_date(title)):
            return found
    for sheet, _title, _index, _columns in by_status:
        if found := name_month_end(sheet.name):
            return found
    raise ParseError(f"{where}: no title row and no sheet name states the version's date")


def _product_row(
    row: list[Any],
    columns: dict[str, int],
    status: str,
    version: date,
    published_at: datetime,
    resolve: Callable[[str], str | None],
) -> ProductRow | None:
    registration = cell_text(value_at(row, columns, "registration"))
    text = {name: cell_text(value_at(row, columns, name)) for name in _COLUMNS}
    stem = registration_stem(registration)
    if stem is None and text["code"] and text["brand"]:
        # A row the ministry left without its number (IRESSA in 2018 and 2019): its CODE and brand.
        stem = f"CODE {text['code']} {text['brand']}"
    if stem is None:
        return None  # a blank numbered row, or a note under the table
    dci = text["dci"]
    item = resolve(dci) if dci else None
    withdrawal_cell = value_at(row, columns, "withdrawal_date")
    quote = build_quote(
        [
            (REGISTRATION, registration),
            ("CODE", text["code"]),
            (BRAND, text["brand"]),
            (DCI, dci),
            (DOSAGE, text["dosage"]),
            (FORM, text["form"]),
            (PACK, text["pack"]),
            ("LISTE", text["list"]),
            (HOLDER, text["holder"]),
            (HOLDER_COUNTRY, text["country"]),
            ("DATE D'ENREGISTREMENT INITIAL", text["initial"]),
            ("DATE D'ENREGISTREMENT FINAL", text["final"]),
            ("TYPE", text["type"]),
            ("STATUT", text["statut"]),
            ("PRIX", text["price"]),
            ("REMBOURSEMENT", text["reimbursement"]),
            ("DATE DE RETRAIT", text["withdrawal_date"]),
            ("MOTIF DE RETRAIT", text["withdrawal_reason"]),
        ]
    )

    def record(
        indicator: str, value: str, amount: float | None = None, unit: str | None = None
    ) -> ParsedRecord:
        return ParsedRecord(
            country=COUNTRY,
            indicator=indicator,
            period_start=version,
            period_end=version,
            value_text=value,
            value_num=amount,
            unit=unit,
            published_at=published_at,
            item=item,
            quote=quote,
        )

    records = [record(STATUS, status)]
    if status == WITHDRAWN and (period := cell_period(withdrawal_cell)) is not None:
        reason = text["withdrawal_reason"] or "retrait (motif non précisé)"
        # Each later version states the same withdrawal again, its number spaced differently
        # (``024/ 13 P 287 /06`` then ``024/13 P 287/06``): written without those spaces, the same
        # withdrawal is seen again, not "revised".
        withdrawal_quote = build_quote(
            [
                (REGISTRATION, re.sub(r"\s*/\s*", "/", registration)),
                (BRAND, text["brand"]),
                (DCI, dci),
                (DOSAGE, text["dosage"]),
                ("DATE DE RETRAIT", text["withdrawal_date"]),
                ("MOTIF DE RETRAIT", text["withdrawal_reason"]),
            ]
        )
        records.append(
            ParsedRecord(
                country=COUNTRY,
                indicator=WITHDRAWAL,
                period_start=period[0],
                period_end=period[1],
                value_text=reason,
                published_at=published_at,
                item=item,
                quote=withdrawal_quote,
            )
        )
    if text["price"]:
        amount, currency = parse_price(text["price"]) or (None, None)
        records.append(record(PRICE, text["price"], amount, currency))
    flag = fold(text["reimbursement"])
    if flag in ("OUI", "NON"):
        records.append(record(REIMBURSEMENT, REIMBURSED if flag == "OUI" else NOT_REIMBURSED))
    line = f"{status}:{text['number']}"
    return ProductRow(stem, text["brand"], text["pack"], tuple(records), " ".join(registration.split()), line)


__all__ = ["SheetCount", "parse", "read_version", "registration_stem", "sheet_status"]
