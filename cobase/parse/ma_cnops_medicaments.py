"""Read Morocco's reference list of medicines (CNOPS, data.gov.ma): one row per presentation (EAN).

The workbook (``ref-des-medicaments-cnops-2014.xlsx``) has one sheet, ``Réf. des médicaments``, with its
header in row 1 and twelve columns: ``CODE, NOM, DCI1, DOSAGE1, UNITE_DOSAGE1, FORME, PRESENTATION, PPV,
PH, PRIX_BR, PRINCEPS_GENERIQUE, TAUX_REMBOURSEMENT``. Quirks, all in the real file:

* ``CODE`` is a 13-digit EAN **stored as text**; it names the series (breakdown ``EAN=<code>``), so two
  presentations of one product (duplicates with different EANs exist) stay two series;
* ``PPV``/``PH``/``PRIX_BR`` are numbers in dirhams in an accounting format (integers or decimals);
  ``0`` is a real value (a hospital-only product has no public price) and is kept;
* ``TAUX_REMBOURSEMENT`` is the text ``70%`` or ``0%``; ``PRINCEPS_GENERIQUE`` is ``P``/``G``;
* the header is found by its content (the row holding ``CODE``, ``DCI1`` and ``PPV``), not by position, and
  cells carry stray spaces;
* there is **no title row**: the list's year is the one in the file name (``…-cnops-2014.xlsx``), else the
  year of the workbook's own ``dcterms:modified``. That stamp (2014-07-16) is ``published_at`` with basis
  ``last_modified``: it proves the list existed then, not when a price first applied.

Each row gives four records (``MA_PPV``, ``MA_PH``, ``MA_PRIX_BR``, ``MA_REIMBURSEMENT_RATE``) whose
period is the list's year, whose ``item`` is the catalogue medicine of its DCI (None when the catalogue
has none: the row is still kept, a later catalogue reaches it through ``cobase rebuild``) and whose
``quote`` is the row as CNOPS wrote it, ``COLUMN: value`` joined by `` | `` (:func:`row_from_quote` reads
it back, so the monthly cost needs no other copy of the row).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from cobase.catalogue import load_catalogue

# Resolving a DCI is harmonization, but the row's form decides between an oral item and its long-acting
# injectable twin, and only the parser still has the form next to the DCI (as for Global Fund PQR).
from cobase.clock import year_period
from cobase.harmonize.medicines import UnknownMedicineError, resolve_medicine
from cobase.parse import ParsedRecord, ParseError, number_text

if TYPE_CHECKING:
    import pandas as pd

SOURCE = "ma_cnops_medicaments"
# The workbook's dcterms:modified: a last-modified stamp of the file.
PUBLISHED_BASIS = "last_modified"

COLUMNS = (
    "CODE",
    "NOM",
    "DCI1",
    "DOSAGE1",
    "UNITE_DOSAGE1",
    "FORME",
    "PRESENTATION",
    "PPV",
    "PH",
    "PRIX_BR",
    "PRINCEPS_GENERIQUE",
    "TAUX_REMBOURSEMENT",
)
_QUOTED = COLUMNS[1:]  # CODE is the breakdown
PRICE_INDICATORS = {"PPV": "MA_PPV", "PH": "MA_PH", "PRIX_BR": "MA_PRIX_BR"}
RATE_INDICATOR = "MA_REIMBURSEMENT_RATE"
_RATE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*%$")
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_INJECTED = re.compile(r"\b(INJECTABLE|LP|RETARD|DEPOT)\b")
_CORE_NS = {"dcterms": "http://purl.org/dc/terms/"}


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield four records per row of the list."""
    frame = _read_sheet(body, url)
    modified = workbook_modified(body)
    year = _list_year(url, modified)
    period = year_period(year)
    for position, row in enumerate(frame.itertuples(index=False), start=2):
        cells = dict(zip(frame.columns, row, strict=True))
        yield from _row_records(cells, position, url, period, modified)


def row_from_quote(quote: str) -> dict[str, str]:
    """The row a record's ``quote`` holds, ``{column: text}`` (what the monthly cost reads back)."""
    row: dict[str, str] = {}
    for part in quote.split(" | "):
        column, _, value = part.partition(": ")
        if column in _QUOTED:
            row[column] = value
    return row


def workbook_modified(body: bytes) -> datetime | None:
    """``dcterms:modified`` of an XLSX's ``docProps/core.xml``, aware UTC; None when absent or unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            core = ElementTree.fromstring(archive.read("docProps/core.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return None
    node = core.find("dcterms:modified", _CORE_NS)
    text = (node.text or "").strip() if node is not None else ""
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _read_sheet(body: bytes, url: str) -> pd.DataFrame:
    """The first sheet with the list's header, as text cells, header found by content."""
    # pandas (and pyarrow) only when a workbook is read: the cost module imports this parser for
    # row_from_quote, and `cobase dossier` paid a third of a second for them.
    import pandas as pd

    try:
        sheets = pd.read_excel(
            io.BytesIO(body), sheet_name=None, header=None, dtype=object, engine="calamine"
        )
    except Exception as exc:  # calamine raises its own types for a body that is no workbook
        raise ParseError(f"{SOURCE}: {url} is not a readable XLSX workbook ({exc})") from None
    for name, sheet in sheets.items():
        for index in range(min(len(sheet), 30)):
            header = [_text(cell).upper() for cell in sheet.iloc[index]]
            if {"CODE", "DCI1", "PPV"} <= set(header):
                missing = [column for column in COLUMNS if column not in header]
                if missing:
                    raise ParseError(
                        f"{SOURCE}: {url}, sheet {name.strip()!r}: no column {', '.join(missing)}"
                    )
                frame = sheet.iloc[index + 1 :].copy()
                frame.columns = header
                frame = frame[list(COLUMNS)]
                return frame[frame["CODE"].map(_text) != ""]
    raise ParseError(f"{SOURCE}: {url}: no sheet has the list's header (CODE, DCI1, PPV)")


def _list_year(url: str, modified: datetime | None) -> int:
    name = url.rsplit("/", 1)[-1]
    if match := _YEAR_IN_NAME.search(name):
        return int(match.group(1))
    if modified is not None:
        return modified.year
    raise ParseError(f"{SOURCE}: {url}: no year in the file name and no date in the workbook")


def _row_records(
    cells: Mapping[str, Any],
    position: int,
    url: str,
    period: tuple[date, date],
    published_at: datetime | None,
) -> Iterator[ParsedRecord]:
    where = f"{SOURCE}: {url}, row {position}"
    code = _text(cells["CODE"])
    if isinstance(cells["CODE"], float):  # an EAN re-saved as a number: keep its digits
        code = str(int(cells["CODE"]))
    item = _item(_text(cells["DCI1"]), _text(cells["FORME"]))
    quote = " | ".join(f"{column}: {_cell_text(cells[column])}" for column in _QUOTED)
    common: dict[str, Any] = {
        "country": "MAR",
        "period_start": period[0],
        "period_end": period[1],
        "breakdown": f"EAN={code}",
        "published_at": published_at,
        "item": item,
        "quote": quote,
    }
    for column, indicator in PRICE_INDICATORS.items():
        amount = _amount(cells[column], f"{where}, {column}")
        if amount is not None:
            yield ParsedRecord(
                indicator=indicator, value_text=number_text(amount), value_num=amount, unit="MAD", **common
            )
    rate_text = _text(cells["TAUX_REMBOURSEMENT"])
    if rate_text:
        match = _RATE.match(rate_text)
        if match is None:
            raise ParseError(f"{where}: unreadable TAUX_REMBOURSEMENT {rate_text!r} (expected 70% or 0%)")
        rate = float(match.group(1).replace(",", "."))
        yield ParsedRecord(
            indicator=RATE_INDICATOR, value_text=number_text(rate), value_num=rate, unit="%", **common
        )


def _item(dci: str, form: str) -> str | None:
    """The catalogue medicine of a DCI, its long-acting twin when the form is a depot injection."""
    item = _dci_item(dci)
    depot_words = _INJECTED.findall(form.upper())
    if item is None or not depot_words:
        return item
    twin = _dci_item(f"{dci} {' '.join(sorted(set(depot_words)))}")
    return twin if twin is not None and _long_acting_of(twin) == item else item


@lru_cache(maxsize=16384)
def _dci_item(text: str) -> str | None:
    """Resolved once per distinct text: resolving is most of the parse time (5,917 rows, ~1,300 DCIs)."""
    if not text:
        return None
    try:
        return resolve_medicine(text).item.id
    except UnknownMedicineError:
        return None


def _long_acting_of(item_id: str) -> str | None:
    item = load_catalogue().items.get(item_id)
    return item.long_acting_form_of if item else None


def _amount(cell: Any, where: str) -> float | None:
    if isinstance(cell, bool):
        raise ParseError(f"{where}: {cell!r} is not an amount")
    if isinstance(cell, int | float):
        return None if isinstance(cell, float) and math.isnan(cell) else round(float(cell), 4)
    text = _text(cell).replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        return round(float(text), 4)
    except ValueError:
        raise ParseError(f"{where}: {cell!r} is not an amount") from None


def _cell_text(cell: Any) -> str:
    if isinstance(cell, float) and not math.isnan(cell):
        return number_text(round(cell, 4))
    return _text(cell)


def _text(cell: Any) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    return " ".join(str(cell).split())
