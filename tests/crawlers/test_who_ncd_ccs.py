"""WHO NCD Country Capacity Survey: the spider replayed on the saved bulk ZIP, the parser on both layouts
(GHO bulk ZIP, legacy Athena CSV) and on real recordings.

``tests/fixtures/who_ncd_ccs/noncommunicable-diseases/`` is the unpacked content of
``noncommunicable-diseases.zip`` (same names as in the GHO bulk ZIP), kept so the fixture can be read and
reviewed; a test checks that the two agree. The question and section codes follow the bulk download's
pattern (``NCDCCS_QUESTION_NCD_CCS_INSULIN``); the answers are made up.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cobase.catalogue import load_catalogue
from cobase.parse import ParsedRecord, ParseError
from cobase.parse.who_ncd_ccs import QUESTIONS, answer_text, parse, question_code
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.who_ncd_ccs import WhoNcdCcsSpider
from tests.helpers import (
    FIXTURES,
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    indicator_codes,
    indicator_declared,
    invariants_test,
    parsed_indicators,
    period_is_one_calendar_year,
    published_at_is_none_or_aware_utc,
    real_recording,
    replay_crawl,
    spider_output,
)

SOURCE = "who_ncd_ccs"
BASE_URL = "http://127.0.0.1:8765"
BULK_URL = "https://ghobulkdownloads.blob.core.windows.net/ghocontainer/noncommunicable-diseases.zip"
ATHENA_URL = "http://apps.who.int/gho/athena/data/data-coded.csv?target=GHO/NCD_CCS_Metformin"
ZIP = "noncommunicable-diseases.zip"


def _spider(**kwargs: Any) -> WhoNcdCcsSpider:
    return WhoNcdCcsSpider(base_url=BASE_URL, indicators=["NCD_CCS_Insulin"], **kwargs)


def _callback_output(filename: str) -> list[Any]:
    spider = _spider()
    return spider_output(spider, SOURCE, filename, first_request(spider))


def _records(filename: str) -> list[ParsedRecord]:
    url = ATHENA_URL if filename.endswith(".csv") else BULK_URL
    return list(parse(fixture_bytes(SOURCE, filename), url, {}))


def _zip_records() -> list[ParsedRecord]:
    return _records(ZIP)


def _answer(country: str, indicator: str, year: int, records: list[ParsedRecord] | None = None) -> str:
    found = [
        r
        for r in (records if records is not None else _zip_records())
        if (r.country, r.indicator, r.period_start.year) == (country, indicator, year)
    ]
    return found[0].value_text if found else "(none)"


def _athena_recording() -> list[ParsedRecord]:
    path = real_recording("who_ncd_ccs", "gho_athena_NCD_CCS_Insulin.csv")
    return list(parse(path.read_bytes(), path.as_uri(), {}))


def _zip_of(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def declared_indicators() -> set[str]:
    return indicator_codes(SOURCE)


# --- spider ----------------------------------------------------------------------------------------


def test_start_request_is_the_bulk_zip() -> None:
    assert first_request(_spider()).url == f"{BASE_URL}/ghocontainer/noncommunicable-diseases.zip"


def test_bulk_path_comes_from_params() -> None:
    request = first_request(_spider(bulk_path="ghocontainer/other.zip"))
    assert request.url == f"{BASE_URL}/ghocontainer/other.zip"


def test_start_request_carries_cobase_meta() -> None:
    assert first_request(_spider()).meta == {"cobase": {"file": ZIP}}


def test_start_request_errback_is_the_base_errback() -> None:
    spider = _spider()
    assert first_request(spider).errback == spider.errback


def test_zip_is_yielded_as_raw_response_exactly() -> None:
    raw = _callback_output(ZIP)[0]
    assert isinstance(raw, RawResponse) and raw.body == fixture_bytes(SOURCE, ZIP)


def test_raw_response_names_source_and_file() -> None:
    raw = _callback_output(ZIP)[0]
    assert (raw.source, raw.request_meta) == (SOURCE, {"file": ZIP})


def test_body_that_is_not_a_zip_is_still_kept() -> None:
    assert [type(item) for item in _callback_output("bad_not_a_zip.zip")] == [RawResponse]


def test_errback_turns_blob_not_found_into_fetch_failure() -> None:
    spider = _spider()
    request = first_request(spider)
    (item,) = http_error_output(spider, request, 404, b"<Error><Code>BlobNotFound</Code></Error>")
    assert item == FetchFailure(SOURCE, request.url, f"HTTP 404 from {request.url}", {"file": ZIP})


def test_download_timeout_is_raised_for_the_large_zip() -> None:
    assert WhoNcdCcsSpider.custom_settings["DOWNLOAD_TIMEOUT"] > 60


def test_replay_fetches_the_one_zip() -> None:
    items = replay_crawl(_spider(), SOURCE)
    assert [(type(item), item.request_meta) for item in items] == [(RawResponse, {"file": ZIP})]


def test_replay_gives_records_for_every_declared_indicator(declared_indicators: set[str]) -> None:
    (raw,) = replay_crawl(_spider(), SOURCE)
    assert parsed_indicators([raw], SOURCE) == declared_indicators


# --- parser: the GHO bulk ZIP --------------------------------------------------------------------


def test_parser_questions_are_the_declared_indicators(declared_indicators: set[str]) -> None:
    assert set(QUESTIONS) == declared_indicators


def test_bulk_question_code_is_renamed_to_the_declared_code() -> None:
    assert question_code("NCDCCS_QUESTION_NCD_CCS_CCBLKRS") == "NCD_CCS_CCBlkrs"


def test_athena_question_code_is_the_declared_code() -> None:
    assert question_code("NCD_CCS_Insulin") == "NCD_CCS_Insulin"


def test_questions_not_collected_are_skipped() -> None:
    assert question_code("NCDCCS_QUESTION_NCD_CCS_ASPIRIN") is None


def test_zip_keeps_only_collected_questions(declared_indicators: set[str]) -> None:
    assert {r.indicator for r in _zip_records()} == declared_indicators


def test_other_data_files_of_the_zip_are_ignored() -> None:
    assert {r.country for r in _zip_records() if r.period_start.year == 2019} == {"GIN"}


def test_answers_change_between_rounds() -> None:
    assert (_answer("GIN", "NCD_CCS_Insulin", 2019), _answer("GIN", "NCD_CCS_Insulin", 2021)) == ("No", "Yes")


def test_period_is_the_survey_round() -> None:
    record = next(r for r in _zip_records() if r.country == "DZA")
    assert (record.period_start, record.period_end) == (date(2021, 1, 1), date(2021, 12, 31))


def test_published_at_is_the_row_date() -> None:
    record = next(r for r in _zip_records() if r.period_start.year == 2019)
    assert record.published_at == datetime(2022, 3, 10, 10, 2, 11, tzinfo=UTC)


def test_curly_dont_know_is_normalised() -> None:
    assert _answer("CIV", "NCD_CCS_Insulin", 2021) == "Don't know"


def test_no_response_is_not_stored() -> None:
    assert _answer("COD", "NCD_CCS_HbA1c", 2021) == "(none)"


def test_no_data_received_is_not_stored() -> None:
    assert "CMR" not in {r.country for r in _zip_records()}


def test_survey_section_and_question_are_not_a_breakdown() -> None:
    assert {r.breakdown for r in _zip_records()} == {""}


def test_item_is_set_when_the_question_is_about_one_item() -> None:
    assert {r.item for r in _zip_records() if r.indicator == "NCD_CCS_Metformin"} == {"metformin"}


def test_item_is_empty_for_a_class_of_medicines() -> None:
    assert {r.item for r in _zip_records() if r.indicator == "NCD_CCS_Sulphonylurea"} == {None}


def test_bulk_csv_outside_its_zip_is_read_too() -> None:
    member = (
        FIXTURES / SOURCE / "noncommunicable-diseases" / "data" / "NCDCCS_COUNTRYRESPONSE.csv"
    ).read_bytes()
    assert list(parse(member, "file:///NCDCCS_COUNTRYRESPONSE.csv", {})) == _zip_records()


def test_committed_zip_holds_the_unpacked_fixture_tree() -> None:
    tree = FIXTURES / SOURCE / "noncommunicable-diseases"
    with zipfile.ZipFile(FIXTURES / SOURCE / ZIP) as archive:
        in_zip = {name: archive.read(name) for name in archive.namelist()}
    on_disk = {p.relative_to(tree).as_posix(): p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    assert in_zip == on_disk


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Yes", "Yes"), (" yes ", "Yes"), ("NO", "No"), ("Don\u2019t know", "Don't know"), ("Partly", "Partly")],
)
def test_answer_text_normalises(text: str, expected: str) -> None:
    assert answer_text(text) == expected


@pytest.mark.parametrize("text", ["No response", "No data received", "", "  "])
def test_answer_text_skips_non_answers(text: str) -> None:
    assert answer_text(text) is None


# --- parser: the legacy Athena CSV ---------------------------------------------------------------


def test_athena_csv_is_recognised_by_content() -> None:
    records = _records("athena_NCD_CCS_Metformin.csv")
    assert [_answer("GIN", "NCD_CCS_Metformin", y, records) for y in (2013, 2015, 2017)] == [
        "Yes",
        "Yes",
        "No",
    ]


def test_athena_csv_has_no_publication_date() -> None:
    assert {r.published_at for r in _records("athena_NCD_CCS_Metformin.csv")} == {None}


def test_athena_regional_and_non_answer_rows_are_skipped() -> None:
    assert len(_records("athena_NCD_CCS_Metformin.csv")) == 5  # 8 rows: no data, no response, no country


def test_athena_item_is_set() -> None:
    assert {r.item for r in _records("athena_NCD_CCS_Metformin.csv")} == {"metformin"}


# --- parser: bad input ---------------------------------------------------------------------------


def test_body_that_is_not_a_zip_raises_parse_error_naming_source_and_url() -> None:
    with pytest.raises(
        ParseError, match=rf"^who_ncd_ccs: {BULK_URL} is neither a GHO bulk ZIP nor a GHO CSV"
    ):
        _records("bad_not_a_zip.zip")


def test_truncated_zip_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="is not a readable ZIP"):
        _records("bad_truncated.zip")


def test_zip_without_the_answers_file_says_what_it_holds() -> None:
    with pytest.raises(ParseError, match=r"has no data/NCDCCS_COUNTRYRESPONSE\.csv \(it holds README\.txt"):
        _records("bad_zip_without_data.zip")


def test_bulk_csv_without_its_columns_names_this_source() -> None:
    with pytest.raises(
        ParseError, match=r"^who_ncd_ccs: .* not a GHO bulk CSV: no column 'SpatialDimension'"
    ):
        _records("bad_missing_columns.csv")


def test_athena_row_with_unreadable_year_names_the_line() -> None:
    with pytest.raises(ParseError, match=r"line 3 of .* \(CIV\): unreadable YEAR 'round 3'"):
        _records("bad_athena_year.csv")


def test_empty_body_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"", BULK_URL, {}))


# --- invariants over every good fixture ------------------------------------------------------------


test_invariant_holds_for_every_record = invariants_test(
    _records,
    good_fixtures(SOURCE),
    {
        "period_is_one_calendar_year": period_is_one_calendar_year,
        "value_is_an_answer": lambda r: r.value_text in {"Yes", "No", "Don't know"},
        "indicator_declared": indicator_declared(SOURCE),
        "item_is_a_catalogue_item": lambda r: not r.item or r.item in load_catalogue().items,
        "published_at_is_none_or_aware_utc": published_at_is_none_or_aware_utc,
    },
)


# --- real recordings (shared, outside the repository) ---------------------------------------------


def test_real_athena_recording_keeps_546_answers() -> None:
    assert len(_athena_recording()) == 546  # 582 rows less 33 "No data received" and 3 "No response"


def test_real_athena_recording_guinea_answers() -> None:
    records = _athena_recording()
    assert [_answer("GIN", "NCD_CCS_Insulin", y, records) for y in (2013, 2015, 2017)] == ["No", "Yes", "No"]


def test_real_athena_recording_keeps_dont_know() -> None:
    assert _answer("POL", "NCD_CCS_Insulin", 2013, _athena_recording()) == "Don't know"


def test_real_athena_recording_covers_194_countries() -> None:
    assert len({r.country for r in _athena_recording()}) == 194


def test_real_bulk_csv_layout_is_read_without_error_and_holds_no_survey_answers() -> None:
    path = real_recording("who_gho", "ghobulk_health-financing", "data", "GHED_OOPSCHE_SHA2011.csv")
    assert list(parse(path.read_bytes(), path.as_uri(), {})) == []


def test_real_bulk_zip_layout_without_survey_answers_is_a_clear_error() -> None:
    folder = real_recording("who_gho", "ghobulk_health-financing")
    with pytest.raises(
        ParseError, match=r"has no data/NCDCCS_COUNTRYRESPONSE\.csv \(it holds README\.txt, codes/"
    ):
        list(parse(_zip_of(folder), "file:///health-financing.zip", {}))
