"""Read the WHO NCD Country Capacity Survey (NCD CCS): whether a medicine or test is *generally available*
in public primary care, as each country's ministry of health answered, per survey round.

Two layouts of the same answers exist, and the parser tells them apart by content:

* **the GHO bulk ZIP** (``noncommunicable-diseases.zip``: ``README.txt``, ``data/*.csv``, ``codes/*.csv``).
  The answers are in ``data/NCDCCS_COUNTRYRESPONSE.csv``, in the GHO bulk-CSV layout that
  :func:`cobase.parse.who_gho.parse_bulk_csv` reads (countries only, period from
  ``TimeDimensionBegin``/``End``, ``Date`` -> ``published_at``). The survey section and the question are
  disaggregations: ``NCDCCS_SECTION=...;NCDCCS_QUESTION=NCDCCS_QUESTION_NCD_CCS_INSULIN``. That CSV on
  its own (outside its ZIP) is read too.
* **the legacy GHO Athena CSV** (``data-coded.csv?target=GHO/NCD_CCS_Insulin``, retired; one question per
  file): ``GHO,PUBLISHSTATE,YEAR,REGION,COUNTRY,Display Value,Numeric,Low,High,Comments``. It states no
  publication date, so ``published_at`` stays empty (the retrieval date stands in).

Rules shared by both:

* only the questions of :data:`QUESTIONS` are kept (the bulk file holds a few hundred). A question code is
  matched without regard to case, so the bulk's ``NCD_CCS_INSULIN`` and Athena's ``NCD_CCS_Insulin`` are
  one indicator, named as in ``sources.yml``.
* answers are normalised to ``Yes``, ``No`` and ``Don't know`` (what the evidence engine reads as
  available / not available / neither). ``No response`` and ``No data received`` are **skipped**: the
  country did not answer that question, or did not return the survey at all, which says nothing about
  availability; storing them would make a gap look like data. Any other answer is kept as written.
* the period is the survey round (``2019`` -> 1 January to 31 December 2019).
* ``item`` is the catalogue item when the question is about exactly one item (metformin, HbA1c); class
  questions (insulin, sulphonylureas, ACE inhibitors...) leave it empty and are linked to their items by
  ``indicator_map.yml``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cobase.clock import BadDateError, period_from_year_text
from cobase.parse import ParsedRecord, ParseError
from cobase.parse._zip import bounded_lines, open_member
from cobase.parse.who_gho import parse_bulk_csv

SOURCE = "who_ncd_ccs"
# What ``published_at`` means here: the bulk table's ``Date`` is a last-modified stamp (the Athena CSV gives
# none: ``first_seen``).
PUBLISHED_BASIS = "last_modified"

DATA_FILE = "NCDCCS_COUNTRYRESPONSE.csv"

QUESTIONS: dict[str, str | None] = {
    "NCD_CCS_Insulin": None,
    "NCD_CCS_Metformin": "metformin",
    "NCD_CCS_Sulphonylurea": None,
    "NCD_CCS_ACE": None,
    "NCD_CCS_Thiazide": None,
    "NCD_CCS_CCBlkrs": None,
    "NCD_CCS_Statins": None,
    "NCD_CCS_HbA1c": "hba1c",
}
"""Question code (as declared in sources.yml) -> the catalogue item it is about, when it is one item."""

_BY_UPPER = {code.upper(): code for code in QUESTIONS}
_QUESTION_PREFIX = "NCDCCS_QUESTION_"
_SURVEY_STRUCTURE = "NCDCCS_"  # section and question disaggregations: what the survey asked, not a breakdown
_ANSWERS = {"yes": "Yes", "no": "No", "don't know": "Don't know"}
_NOT_ANSWERS = {"no response", "no data received"}
_ATHENA_REQUIRED = ("GHO", "YEAR", "COUNTRY", "Display Value")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"


def parse(body: bytes, url: str, request_meta: Mapping[str, Any]) -> Iterator[ParsedRecord]:
    """Yield the answers to the known questions from a GHO bulk ZIP, a bulk CSV or an Athena CSV."""
    if body.startswith(_ZIP_MAGIC):
        return _parse_zip(body, url)
    first_line = body.lstrip(_BOM_AND_SPACE).split(b"\n", 1)[0]
    if b"IndicatorCode" in first_line:
        return _parse_bulk_csv(body, url)
    if b"Display Value" in first_line and b"GHO" in first_line:
        return _parse_athena_csv(body, url)
    if not body.strip():
        raise ParseError(f"{SOURCE}: {url} returned an empty body")
    raise ParseError(
        f"{SOURCE}: {url} is neither a GHO bulk ZIP nor a GHO CSV (it starts with {body[:40]!r})"
    )


def question_code(text: str) -> str | None:
    """The declared question code for a producer's code (``NCDCCS_QUESTION_NCD_CCS_INSULIN``,
    ``NCD_CCS_Insulin``), or None for a question cobase does not collect."""
    code = text.strip().upper()
    return _BY_UPPER.get(code.removeprefix(_QUESTION_PREFIX))


def answer_text(text: str) -> str | None:
    """The answer as stored (``Yes``, ``No``, ``Don't know`` or the text as written); None for a
    non-answer (``No response``, ``No data received``, empty)."""
    cleaned = " ".join(text.replace("\u2019", "'").split())
    folded = cleaned.casefold()
    if not folded or folded in _NOT_ANSWERS:
        return None
    return _ANSWERS.get(folded, cleaned)


# --- GHO bulk ZIP and CSV ----------------------------------------------------------------------------


def _parse_zip(body: bytes, url: str) -> Iterator[ParsedRecord]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseError(f"{SOURCE}: {url} is not a readable ZIP ({exc})") from None
    with archive:
        names = archive.namelist()
        member = next((name for name in names if name.rsplit("/", 1)[-1].upper() == DATA_FILE.upper()), None)
        if member is None:
            listed = ", ".join(names[:8]) or "nothing"
            raise ParseError(f"{SOURCE}: {url}: the ZIP has no data/{DATA_FILE} (it holds {listed})")
        try:
            with open_member(archive, member, f"{SOURCE}: {url}!{member}") as stream:
                wanted = _rows_about_known_questions(stream, f"{url} ({member})")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ParseError(f"{SOURCE}: {url}: cannot read {member} from the ZIP ({exc})") from None
    yield from _parse_bulk_csv(wanted, f"{url} ({member})")


def _rows_about_known_questions(stream: Any, where: str) -> bytes:
    """The header and the rows about :data:`QUESTIONS`, as CSV bytes.

    The full file holds every question of every round (hundreds of thousands of rows); filtering while
    streaming keeps memory to the few thousand rows cobase stores.
    """
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(bounded_lines(text, where))
        header = next(reader, [])
        columns = [i for i, name in enumerate(header) if _may_name_question(name)]
        output = io.StringIO()
        writer = csv.writer(output, lineterminator="\n")
        writer.writerow(header)
        for row in reader:
            if any(i < len(row) and question_code(row[i]) for i in columns):
                writer.writerow(row)
    except UnicodeDecodeError as exc:
        raise ParseError(f"{SOURCE}: {where} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise ParseError(f"{SOURCE}: {where} is not readable CSV ({exc})") from None
    return output.getvalue().encode("utf-8")


def _may_name_question(column: str) -> bool:
    return column == "IndicatorCode" or (
        column.startswith("DisaggregatingDimension") and column.endswith("Code")
    )


def _parse_bulk_csv(body: bytes, url: str) -> Iterator[ParsedRecord]:
    try:
        for record in parse_bulk_csv(body, url):
            if (answer := _bulk_answer(record)) is not None:
                yield answer
    except ParseError as exc:
        # The shared GHO reader names its own source; this snapshot belongs to the NCD CCS.
        raise ParseError(f"{SOURCE}: {str(exc).removeprefix('who_gho: ')}") from None


def _bulk_answer(record: ParsedRecord) -> ParsedRecord | None:
    """The record renamed to its question, with the answer normalised; None when it is not collected."""
    parts = [part.partition("=") for part in record.breakdown.split(";") if part]
    code = question_code(record.indicator) or next(
        (found for _kind, _eq, value in parts if (found := question_code(value))), None
    )
    if code is None:
        return None
    answer = record.value_text if record.value_num is not None else answer_text(record.value_text)
    if answer is None:
        return None
    breakdown = ";".join(
        "".join(part) for part in parts if not (part[1] and part[0].startswith(_SURVEY_STRUCTURE))
    )
    return ParsedRecord(
        country=record.country,
        indicator=code,
        period_start=record.period_start,
        period_end=record.period_end,
        value_text=answer,
        value_num=record.value_num,
        breakdown=breakdown,
        published_at=record.published_at,
        item=QUESTIONS[code],
    )


# --- legacy GHO Athena CSV ---------------------------------------------------------------------------


def _parse_athena_csv(body: bytes, url: str) -> Iterator[ParsedRecord]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{SOURCE}: {url} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in _ATHENA_REQUIRED if column not in (reader.fieldnames or [])]
    if missing:
        raise ParseError(
            f"{SOURCE}: {url} is not a GHO Athena CSV: no column {', '.join(map(repr, missing))}"
        )
    yield from _athena_records(reader, url)


def _athena_records(rows: Iterable[dict[str, str | None]], url: str) -> Iterator[ParsedRecord]:
    for line, row in enumerate(rows, start=2):
        code = question_code(row.get("GHO") or "")
        country = (row.get("COUNTRY") or "").strip()
        if code is None or not country:  # another question, or a regional row
            continue
        answer = answer_text(row.get("Display Value") or "")
        if answer is None:
            continue
        year = (row.get("YEAR") or "").strip()
        try:
            period_start, period_end = period_from_year_text(year)
        except BadDateError:
            raise ParseError(
                f"{SOURCE}: line {line} of {url} ({country}): unreadable YEAR {year!r}"
            ) from None
        yield ParsedRecord(
            country=country,
            indicator=code,
            period_start=period_start,
            period_end=period_end,
            value_text=answer,
            item=QUESTIONS[code],
        )
