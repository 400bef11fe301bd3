"""Drift is never silent: what an answer holds, compared with the previous answer to the same request.

A producer that renames a field (GHO ``NumericValue`` or ``Dim1``, the World Bank's ``value``) does not
answer with an error: the refresh "succeeds" and the parser reads less, or reads numbers as text, or
reads one series as another. Each ingested snapshot therefore keeps its :class:`Shape` (the fields of
its records, the series it produced, per indicator the breakdowns and how many values were numbers),
and :func:`compare` weighs it against the shape of the previous answer to the same request (same URL and
same request parameters: ReliefWeb's searches all go to one URL):

* **refused** (the snapshot fails, nothing stored changes): values of an indicator that were numbers
  are now all text; a breakdown of an indicator (``SEX``) is gone while the indicator still has values
  (its rows would become other series, duplicating the old ones); a field of the records is gone *and*
  the answer gives fewer series;
* **flagged** (stored, and the run carries a warning that ``cobase status`` shows): fewer series than
  before, since a producer may legitimately withdraw rows (they are then marked withdrawn, see
  :func:`cobase.refresh.withdraw_unseen`); a field that is gone while the values read are unchanged.

Fields are read from the raw body, not from the parser: for JSON, the keys that every record holds
(a record is an object that is an element of a list, with no record above it: GHO ``value[]``, the
World Bank's ``[][]``, ReliefWeb ``data[]``); for CSV, the header; for a ZIP, each CSV member's header.
Other bodies (PDF, HTML) have no fields. Only keys present in every record count, so an answer with
fewer rows never loses a field by itself.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

_ZIP_MAGIC = b"PK\x03\x04"
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"
_HEADER_LINES = 10


class DriftError(ValueError):
    """An answer that reads as less than the previous answer to the same request (a renamed field)."""


class _Row(Protocol):
    @property
    def country_iso3(self) -> str: ...
    @property
    def indicator(self) -> str: ...
    @property
    def breakdown(self) -> str: ...
    @property
    def item(self) -> str | None: ...
    @property
    def value_num(self) -> float | None: ...


_R = TypeVar("_R", bound=_Row)


@dataclass
class IndicatorShape:
    """Per indicator: how many values were numbers, how many text, and the breakdowns it had."""

    numeric: int = 0
    text: int = 0
    breakdowns: set[str] = field(default_factory=set)


@dataclass
class Shape:
    """What one answer held: its fields by record path, its series, and per indicator its values."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    series: int = 0
    indicators: dict[str, IndicatorShape] = field(default_factory=dict)

    def to_json(self) -> str:
        """Compact JSON, as kept on the snapshot."""
        return json.dumps(
            {
                "fields": self.fields,
                "series": self.series,
                "indicators": {
                    code: {"numeric": i.numeric, "text": i.text, "breakdowns": sorted(i.breakdowns)}
                    for code, i in sorted(self.indicators.items())
                },
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Shape:
        """The shape kept on a snapshot."""
        raw = json.loads(text)
        return cls(
            fields={path: list(keys) for path, keys in raw.get("fields", {}).items()},
            series=int(raw.get("series", 0)),
            indicators={
                code: IndicatorShape(int(i["numeric"]), int(i["text"]), set(i["breakdowns"]))
                for code, i in raw.get("indicators", {}).items()
            },
        )


class ShapeObserver:
    """Watches harmonized rows as they stream to ingestion and counts what :class:`Shape` needs."""

    def __init__(self) -> None:
        self._series: set[tuple[str, str, str, str]] = set()
        self._indicators: dict[str, IndicatorShape] = {}

    def watch(self, rows: Iterable[_R]) -> Iterator[_R]:
        """Pass ``rows`` through unchanged, counting each."""
        for row in rows:
            self._series.add((row.country_iso3, row.indicator, row.breakdown, row.item or ""))
            shape = self._indicators.setdefault(row.indicator, IndicatorShape())
            if row.value_num is None:
                shape.text += 1
            else:
                shape.numeric += 1
            shape.breakdowns.update(part.split("=", 1)[0] for part in row.breakdown.split(";") if "=" in part)
            yield row

    def shape(self, body: bytes) -> Shape:
        """The shape of the rows watched so far, with the fields of ``body``."""
        return Shape(fields=body_fields(body), series=len(self._series), indicators=dict(self._indicators))


@dataclass
class Verdict:
    """What a comparison found: reasons to refuse the answer, and warnings to show."""

    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def compare(previous: Shape | None, current: Shape, complete: bool = True) -> Verdict:
    """Weigh ``current`` against the previous answer to the same request (see the module docstring).

    ``complete`` is False for search results cut to a number of pages (ReliefWeb): each answer lists other
    reports, so fewer series and breakdowns that come and go are not drift; fields and numbers still are.
    """
    verdict = Verdict()
    if previous is None:
        return verdict
    lost_fields = [
        f"{path}.{key}" if path else key
        for path, keys in previous.fields.items()
        if path in current.fields
        for key in keys
        if key not in current.fields[path]
    ]
    fewer = complete and current.series < previous.series
    for code, before in sorted(previous.indicators.items()):
        now = current.indicators.get(code)
        if now is None or now.numeric + now.text == 0:
            continue
        if before.numeric and not now.numeric:
            verdict.refusals.append(f"the values of {code} are now text, they were numbers")
        if complete and (gone := sorted(before.breakdowns - now.breakdowns)):
            verdict.refusals.append(f"the breakdown {', '.join(gone)} of {code} is gone")
    shown = ", ".join(repr(name) for name in lost_fields[:5])
    if lost_fields and (fewer or verdict.refusals):
        verdict.refusals.insert(0, f"field {shown} is no longer in the answer (renamed?)")
    elif lost_fields:
        verdict.warnings.append(f"field {shown} is no longer in the answer; the values read are unchanged")
    if verdict.refusals:
        return verdict
    if fewer:
        verdict.warnings.append(
            f"fewer series than the previous answer to the same request ({previous.series} -> "
            f"{current.series}): the missing ones are marked withdrawn"
        )
    return verdict


# --- fields of a raw body ------------------------------------------------------------------------------


def body_fields(body: bytes) -> dict[str, list[str]]:
    """The fields of a body's records by path (see the module docstring); {} when it has none."""
    head = body.lstrip(_BOM_AND_SPACE)[:1]
    try:
        if body.startswith(_ZIP_MAGIC):
            return _zip_fields(body)
        if head in (b"{", b"["):
            return _json_fields(json.loads(body))
        if head and head != b"<" and not body.startswith(b"%PDF"):
            text = body[: 1 << 16].decode("utf-8-sig", errors="replace")
            header = _csv_header(text.splitlines()[:_HEADER_LINES])
            return {"": header} if header else {}
    except (ValueError, zipfile.BadZipFile, EOFError, OSError):
        return {}  # the parser says what is wrong with the body; drift has nothing to compare
    return {}


def _json_fields(document: object) -> dict[str, list[str]]:
    common: dict[str, set[str]] = {}

    def walk(node: object, path: str, in_list: bool) -> None:
        if isinstance(node, dict):
            if in_list:  # a record: its keys count, and nothing below a record is one
                keys = set(node)
                common[path] = keys if path not in common else common[path] & keys
                return
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key, False)
        elif isinstance(node, list):
            for element in node:
                walk(element, f"{path}[]", True)

    # Records are not descended into: walking every value of a million-row answer took longer than
    # parsing it.
    walk(document, "", False)
    return {path: sorted(keys) for path, keys in sorted(common.items())}


def _zip_fields(body: bytes) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(".csv") or info.filename.startswith("__MACOSX/"):
                continue
            with archive.open(info) as member:
                lines = []
                for _ in range(_HEADER_LINES):
                    line = member.readline()
                    if not line:
                        break
                    lines.append(line.decode("utf-8-sig", errors="replace"))
            if header := _csv_header(lines):
                fields[info.filename] = header
    return fields


def _csv_header(lines: list[str]) -> list[str]:
    """The header of a CSV: among its first lines, the row with the most non-empty cells."""
    rows = list(csv.reader(line.rstrip("\r\n") for line in lines))
    best = max(rows, key=lambda row: sum(1 for cell in row if cell.strip()), default=[])
    return sorted({cell.strip() for cell in best if cell.strip()})
