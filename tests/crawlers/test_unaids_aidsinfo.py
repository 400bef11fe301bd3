"""UNAIDS AIDSinfo: the spider replayed on saved responses, the parser on fixtures and the real export."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cobase.harmonize.countries import UnknownCountryError, country_by_name, is_aggregate_name
from cobase.parse import ParsedRecord, ParseError
from cobase.parse.unaids_aidsinfo import parse
from cobase.refresh import tls_settings
from cobase.yamltext import load_yaml
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.unaids_aidsinfo import UnaidsAidsinfoSpider
from tests.helpers import (
    SOURCES_YML,
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    parsed_indicators,
    period_is_one_calendar_year,
    published_at_is_none_or_aware_utc,
    real_recording,
    replay_crawl,
    source_config,
    spider_output,
    value_text_present,
)

SOURCE = "unaids_aidsinfo"
BASE_URL = "http://127.0.0.1:8765"
DOCUMENTS_URL = "https://aidsinfo.unaids.org/documents"
REAL_EXPORT = ("unaids", "aidsinfo_export_Treatment_cascade_PLHIV_suppressed_viral_loads_pct_All_ages.csv")
WIDE = "export_vl_suppressed_all_ages.csv"
VL_META = {"indicator": "UNAIDS_VL_SUPPRESSED", "subgroup": "All ages"}
EXPORT = {"path": f"/exports/{WIDE}", **VL_META}
LONG_HEADER = "Indicator,Unit,Subgroup,Area,Area ID,Time Period,Source,Data value,Formatted,Footnote\n"
ZIP_FILES = ["Estimates_2024_en.zip", "GAM_2024_en.zip", "NCPI_2024_en.zip"]
ZIP_FILES_2025 = ["Estimates_2025_en.zip", "GAM_2025_en.zip", "NCPI_2025_en.zip"]


def _spider(**kwargs: Any) -> UnaidsAidsinfoSpider:
    """The 2024 round, at the path it was served under (``/documents/``)."""
    return UnaidsAidsinfoSpider(
        base_url=BASE_URL, **{"zip_files": ZIP_FILES, "documents_path": "/documents/", **kwargs}
    )


def _meta(filename: str) -> dict[str, str]:
    return VL_META if filename.endswith(".csv") else {}


def _records(filename: str) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), f"{DOCUMENTS_URL}/{filename}", _meta(filename)))


def _long(rows: str, header: str = LONG_HEADER) -> list[ParsedRecord]:
    return list(parse((header + rows).encode(), f"{DOCUMENTS_URL}/inline.csv", {}))


def _one(records: list[ParsedRecord], country: str, indicator: str, year: int) -> ParsedRecord:
    (record,) = [
        r
        for r in records
        if (r.country, r.indicator, r.period_start.year, r.breakdown)
        == (country, indicator, year, "SUBGROUP=All ages")
    ]
    return record


def _real_export() -> Path:
    return real_recording(*REAL_EXPORT)


@contextmanager
def _warnings_of(logger_name: str) -> Iterator[list[logging.LogRecord]]:
    """Records logged at WARNING or above, whether or not pytest's logging plugin is active."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def registry_entry() -> Any:
    return source_config(SOURCE)


@pytest.fixture(scope="module")
def declared_indicators(registry_entry: Any) -> set[str]:
    return {indicator.code for indicator in registry_entry.indicators}


# --- TLS: an explicit, logged, per-source setting -------------------------------------------------


def test_tls_is_verified_by_default(registry_entry: Any) -> None:
    assert tls_settings(registry_entry) == {"DOWNLOAD_VERIFY_CERTIFICATES": True}


def test_tls_verification_off_is_passed_to_scrapy(registry_entry: Any) -> None:
    unverified = registry_entry.model_copy(update={"verify_tls": False})
    assert tls_settings(unverified) == {"DOWNLOAD_VERIFY_CERTIFICATES": False}


def test_tls_verification_off_is_logged_as_a_warning(registry_entry: Any) -> None:
    with _warnings_of("cobase.refresh") as warnings:
        tls_settings(registry_entry.model_copy(update={"verify_tls": False}))
    assert [record.getMessage() for record in warnings] == [
        "unaids_aidsinfo: TLS certificate verification is DISABLED for this source "
        "(verify_tls: false in sources.yml)"
    ]


def test_tls_verification_on_logs_nothing(registry_entry: Any) -> None:
    with _warnings_of("cobase.refresh") as warnings:
        tls_settings(registry_entry)
    assert warnings == []


def test_sources_yml_states_verify_tls_explicitly() -> None:
    raw = load_yaml(SOURCES_YML.read_text(encoding="utf-8"))
    assert raw["sources"][SOURCE]["verify_tls"] is True


# --- spider: requests ------------------------------------------------------------------------------


def test_start_requests_one_per_zip_file() -> None:
    urls = [request.url for request in _spider().start_requests()]
    assert urls == [f"{BASE_URL}/documents/{name}" for name in ZIP_FILES]


def test_2025_files_are_requested_under_public_documents_by_default() -> None:
    spider = UnaidsAidsinfoSpider(base_url=BASE_URL, zip_files=ZIP_FILES_2025)
    urls = [request.url for request in spider.start_requests()]
    assert urls == [f"{BASE_URL}/public/documents/{name}" for name in ZIP_FILES_2025]


def test_start_request_carries_the_file_name() -> None:
    request = first_request(_spider(zip_files=["GAM_2024_en.zip"]))
    assert request.meta == {"cobase": {"file": "GAM_2024_en.zip"}}


def test_zip_files_accept_a_comma_separated_argument() -> None:
    assert _spider(zip_files="GAM_2024_en.zip,NCPI_2024_en.zip").zip_files == ZIP_FILES[1:]


def test_export_request_carries_indicator_and_subgroup() -> None:
    (request,) = _spider(zip_files=[], exports=[EXPORT]).start_requests()
    assert (request.url, request.meta["cobase"]) == (f"{BASE_URL}/exports/{WIDE}", {"file": WIDE, **VL_META})


def test_start_request_errback_is_the_base_errback() -> None:
    spider = _spider()
    assert first_request(spider).errback == spider.errback


def test_download_timeout_is_raised_for_large_zips() -> None:
    assert UnaidsAidsinfoSpider.custom_settings["DOWNLOAD_TIMEOUT"] >= 300


# --- spider: responses -----------------------------------------------------------------------------


def _zip_output() -> list[Any]:
    request = first_request(_spider(zip_files=["GAM_2024_en.zip"]))
    return spider_output(_spider(), SOURCE, "GAM_2024_en.zip", request)


def test_zip_is_yielded_as_raw_response_exactly() -> None:
    (raw,) = _zip_output()
    assert isinstance(raw, RawResponse) and raw.body == fixture_bytes(SOURCE, "GAM_2024_en.zip")


def test_raw_response_names_source_and_file() -> None:
    (raw,) = _zip_output()
    assert (raw.source, raw.request_meta) == (SOURCE, {"file": "GAM_2024_en.zip"})


def test_errback_turns_http_404_into_fetch_failure() -> None:
    spider = _spider()
    request = first_request(spider)
    (item,) = http_error_output(spider, request, 404, b"Not Found")
    assert item == FetchFailure(
        source=SOURCE,
        url=request.url,
        error=f"HTTP 404 from {request.url}",
        request_meta={"file": "Estimates_2024_en.zip"},
    )


def test_replay_fetches_every_configured_file(registry_entry: Any) -> None:
    spider = UnaidsAidsinfoSpider(base_url=BASE_URL, exports=[EXPORT], **registry_entry.params)
    fetched = sorted(item.request_meta["file"] for item in replay_crawl(spider, SOURCE))
    assert fetched == sorted([*ZIP_FILES_2025, WIDE])
    assert all(isinstance(item, RawResponse) for item in replay_crawl(spider, SOURCE))


def test_replay_gives_records_for_every_declared_indicator(declared_indicators: set[str]) -> None:
    assert parsed_indicators(replay_crawl(_spider(), SOURCE), SOURCE) == declared_indicators


# --- parser: long CSV in the yearly ZIPs -----------------------------------------------------------


def test_published_at_is_the_zip_member_timestamp() -> None:
    assert {r.published_at for r in _records("GAM_2024_en.zip")} == {datetime(2024, 7, 18, 9, 30, tzinfo=UTC)}


def test_uncertainty_bounds_are_dropped() -> None:
    gin_2022 = [
        r for r in _records("Estimates_2024_en.zip") if r.country == "GIN" and r.period_start.year == 2022
    ]
    assert sorted(r.value_text for r in gin_2022) == ["120000", "59.4"]


def test_breakdown_is_the_subgroup_without_estimate() -> None:
    dimensions = {r.breakdown for r in _records("Estimates_2024_en.zip") if r.indicator == "UNAIDS_PLHIV"}
    assert dimensions == {"SUBGROUP=All ages", "SUBGROUP=Females Adults (15+)", "SUBGROUP=Children (0-14)"}


def test_iso3_area_id_is_passed_as_a_code() -> None:
    civ = _one(_records("Estimates_2024_en.zip"), "CIV", "UNAIDS_PLHIV", 2023)
    assert (civ.country_is_code, civ.value_num) == (True, 380000.0)


def test_regions_and_global_are_passed_by_name() -> None:
    by_name = {r.country for r in _records("Estimates_2024_en.zip") if not r.country_is_code}
    assert by_name == {"Western and central Africa", "Global"}


def test_row_whose_unit_contradicts_the_indicator_is_skipped() -> None:
    assert _one(_records("Estimates_2024_en.zip"), "GIN", "UNAIDS_ART_COVERAGE", 2023).value_text == "63.2"


def test_value_published_as_a_bound_is_text_without_number() -> None:
    dza = next(r for r in _records("Estimates_2024_en.zip") if r.country == "DZA")
    assert (dza.value_text, dza.value_num) == ("<500", None)


def test_missing_value_is_skipped() -> None:
    assert not [r for r in _records("Estimates_2024_en.zip") if r.country == "COD"]


def test_other_indicators_are_ignored() -> None:
    assert {r.indicator for r in _records("GAM_2024_en.zip")} == {"UNAIDS_ARV_STOCKOUTS"}


def test_stockout_share_is_read() -> None:
    cmr = next(r for r in _records("GAM_2024_en.zip") if r.country == "CMR")
    assert (cmr.value_num, cmr.period_start, cmr.period_end) == (30.2, date(2022, 1, 1), date(2022, 12, 31))


def test_law_coded_one_or_zero_reads_yes_or_no() -> None:
    answers = {r.country: r.value_text for r in _records("NCPI_2024_en.zip") if r.country in ("GIN", "CIV")}
    assert answers == {"GIN": "Yes", "CIV": "No"}


def test_law_wording_is_kept_as_text() -> None:
    dza = next(r for r in _records("NCPI_2024_en.zip") if r.country == "DZA")
    assert (dza.value_text, dza.value_num) == (
        "No, but prosecutions exist based on general criminal laws",
        None,
    )


def test_british_spelling_of_the_law_indicator_is_recognised() -> None:
    name = '"Criminalisation of HIV transmission, non-disclosure or exposure"'
    rows = f"{name},Yes/No,Reported,Guinea,GIN,2021,NCPI,1,,\n"
    assert _long(rows)[0].indicator == "UNAIDS_NCPI_HIV_CRIMINALISATION"


def test_gam_numbered_indicator_name_is_recognised() -> None:
    rows = "1.5 Antiretroviral medicine stock-outs,Percent,Total,Guinea,GIN,2020,GAM,10,10%,\n"
    assert _long(rows)[0].indicator == "UNAIDS_ARV_STOCKOUTS"


def test_older_column_names_are_accepted() -> None:
    header = "Indicator,Unit,Subgroup,Area,Area ID,Time Period,Source,Data Value,Footnotes\n"
    rows = "People living with HIV,Number,All ages estimate,Guinea,GIN,2014,UNAIDS_GARPR_,110000,\n"
    assert _long(rows, header)[0].value_num == 110000.0


# --- parser: the indicator page's wide export ------------------------------------------------------


def test_wide_digit_groups_are_joined() -> None:
    assert _one(_records(WIDE), "Guinea", "UNAIDS_VL_SUPPRESSED", 2021).value_num == 40.0125


def test_wide_bound_columns_are_not_values() -> None:
    assert len(_records(WIDE)) == 7  # the estimate of each (country, year) with one; no lower/upper


def test_wide_countries_are_names() -> None:
    assert {r.country_is_code for r in _records(WIDE)} == {False}


def test_wide_export_has_no_publication_date() -> None:
    assert {r.published_at for r in _records(WIDE)} == {None}


def test_wide_indicator_and_subgroup_from_aidsinfo_file_name() -> None:
    url = (
        "https://mirror.example/Treatment%20cascade_People%20living%20with%20HIV%20who%20have%20"
        "suppressed%20viral%20loads%20(%25)_Population_%20All%20ages.csv"
    )
    record = next(parse(fixture_bytes(SOURCE, WIDE), url, {}))
    assert (record.indicator, record.breakdown) == ("UNAIDS_VL_SUPPRESSED", "SUBGROUP=All ages")


def test_wide_export_of_unknown_indicator_raises() -> None:
    with pytest.raises(ParseError, match="which indicator it holds is unknown"):
        list(parse(fixture_bytes(SOURCE, WIDE), f"{BASE_URL}/exports/{WIDE}", {}))


# --- parser: bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("bad_truncated.zip", r"unaids_aidsinfo: .*bad_truncated\.zip is not a readable ZIP archive"),
        ("bad_not_a_zip.zip", r"bad_not_a_zip\.zip is an HTML page, not an AIDSinfo ZIP or CSV"),
        ("bad_zip_without_csv.zip", r"the ZIP holds no CSV file \(it holds readme\.txt\)"),
        ("bad_missing_columns.csv", r"not an AIDSinfo long CSV: no column 'area id', 'data value'"),
        ("bad_none_of_our_indicators.csv", r"holds none of the indicators cobase reads"),
        ("bad_wide_value.csv", r"line 2 \(Guinea, 2022\): value 'n/a ' is not a number"),
        ("bad_not_utf8.csv", r"bad_not_utf8\.csv is not UTF-8 text"),
    ],
)
def test_bad_input_raises_parse_error_naming_source_url_and_problem(filename: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        _records(filename)


def test_empty_body_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"  \n", f"{DOCUMENTS_URL}/GAM_2024_en.zip", {}))


def test_zip_member_with_a_changed_schema_raises() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("GAM_2025_en.csv", "Indicator;Subgroup;Area\nx;y;z\n")
    with pytest.raises(ParseError, match=r"GAM_2025_en\.zip!GAM_2025_en\.csv is neither"):
        list(parse(buffer.getvalue(), f"{DOCUMENTS_URL}/GAM_2025_en.zip", {}))


def test_corrupt_zip_member_raises() -> None:
    body = bytearray(fixture_bytes(SOURCE, "GAM_2024_en.zip"))
    body[60:90] = bytes(byte ^ 0xFF for byte in body[60:90])  # damage the compressed CSV
    with pytest.raises(ParseError, match=r"GAM_2024_en\.zip!GAM_2024_en\.csv cannot be extracted"):
        list(parse(bytes(body), f"{DOCUMENTS_URL}/GAM_2024_en.zip", {}))


# --- invariants over every good fixture ------------------------------------------------------------


# The GAM file of 2025 holds no indicator cobase reads (no ARV stock-outs): read without error, no records.
WITHOUT_OUR_INDICATORS = {"GAM_2025_en.zip"}


@pytest.mark.parametrize("filename", sorted(set(good_fixtures(SOURCE)) - WITHOUT_OUR_INDICATORS))
def test_every_fixture_yields_records(filename: str) -> None:
    assert _records(filename)


# --- the 2025 round: new columns, sub-national areas, the world, a missing indicator --------------------


def test_2025_columns_are_read_by_name() -> None:
    gin = _one(_records("Estimates_2025_en.zip"), "GIN", "UNAIDS_ART_COVERAGE", 2024)
    assert (gin.value_num, gin.breakdown, gin.set_aside) == (66.1, "SUBGROUP=All ages", None)
    assert gin.published_at == datetime(2025, 7, 10, 9, 0, tzinfo=UTC)


def test_2025_sub_national_and_world_rows_are_set_aside_as_such() -> None:
    records = _records("Estimates_2025_en.zip")
    set_aside = [(r.country, r.indicator, r.set_aside) for r in records if r.set_aside]
    assert set_aside == [
        ("Abia", "UNAIDS_PLHIV", "sub-national area"),
        ("Lagos", "UNAIDS_PLHIV", "sub-national area"),
        ("All countries", "UNAIDS_PLHIV", "world"),
        ("Abia", "UNAIDS_ART_COVERAGE", "sub-national area"),
    ]


def test_2025_set_aside_rows_are_counted_not_unknown_countries() -> None:
    from cobase.harmonize.records import HarmonizeReport, harmonize
    from cobase.registry import load_registry

    report = HarmonizeReport()
    stored = list(harmonize(_records("Estimates_2025_en.zip"), load_registry().get(SOURCE), report))
    assert sorted({o.country_iso3 for o in stored}) == ["CIV", "GIN"]
    assert report.set_aside == {"sub-national area": 3, "world": 1}
    assert (report.unknown_countries, report.aggregates) == ({}, 1)  # the region, by name


def test_2025_gam_without_stockouts_is_one_warning_naming_indicator_and_file(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="cobase.parse.unaids_aidsinfo"):
        assert _records("GAM_2025_en.zip") == []
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "UNAIDS_ARV_STOCKOUTS" in message and "stock-outs" in message and "GAM_2025_en.zip" in message


def test_2025_estimates_with_every_expected_indicator_warn_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cobase.parse.unaids_aidsinfo"):
        _records("Estimates_2025_en.zip")
        _records("NCPI_2025_en.zip")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_2025_estimates_missing_an_indicator_still_ingest_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with zipfile.ZipFile(io.BytesIO(fixture_bytes(SOURCE, "Estimates_2025_en.zip"))) as archive:
        text = archive.read("Estimates_2025_en.csv").decode("utf-8")
    kept = "\n".join(line for line in text.splitlines() if "suppressed viral loads" not in line)
    with caplog.at_level(logging.WARNING, logger="cobase.parse.unaids_aidsinfo"):
        records = list(parse(kept.encode(), f"{DOCUMENTS_URL}/Estimates_2025_en.csv", {}))
    assert {r.indicator for r in records} == {"UNAIDS_PLHIV", "UNAIDS_ART_COVERAGE"}
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "UNAIDS_VL_SUPPRESSED" in message and "Estimates_2025_en.csv" in message


@pytest.mark.parametrize("filename", good_fixtures(SOURCE))
def test_invariant_period_is_one_calendar_year(filename: str) -> None:
    assert all(period_is_one_calendar_year(r) for r in _records(filename))


@pytest.mark.parametrize("filename", good_fixtures(SOURCE))
def test_invariant_value_text_present(filename: str) -> None:
    assert all(value_text_present(r) for r in _records(filename))


@pytest.mark.parametrize("filename", good_fixtures(SOURCE))
def test_invariant_indicator_declared(filename: str, declared_indicators: set[str]) -> None:
    assert {r.indicator for r in _records(filename)} <= declared_indicators


@pytest.mark.parametrize("filename", good_fixtures(SOURCE))
def test_invariant_no_bound_is_stored(filename: str) -> None:
    assert not [r for r in _records(filename) if "lower" in r.breakdown or "upper" in r.breakdown]


@pytest.mark.parametrize("filename", good_fixtures(SOURCE))
def test_invariant_published_at_is_aware_utc_or_none(filename: str) -> None:
    assert all(published_at_is_none_or_aware_utc(r) for r in _records(filename))


# --- the real indicator-page export (shared, outside the repository) ------------------------------


def _real_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(_real_export().read_bytes().decode("utf-8"))))[1:]


def _real_records() -> list[ParsedRecord]:
    path = _real_export()
    return list(parse(path.read_bytes(), path.as_uri(), VL_META))


def test_real_export_has_172_rows_ending_with_global() -> None:
    rows = _real_rows()
    assert (len(rows), rows[-1][0]) == (172, "Global")


def test_real_export_gives_records_for_every_row_with_a_value() -> None:
    with_value = {row[0] for row in _real_rows() if any(cell.strip() != "..." for cell in row[1::4])}
    assert {r.country for r in _real_records()} == with_value


def test_real_export_known_value() -> None:
    assert _one(_real_records(), "Algeria", "UNAIDS_VL_SUPPRESSED", 2015).value_num == pytest.approx(
        60.275606
    )


def test_real_export_value_beside_a_footnote() -> None:
    assert _one(_real_records(), "Albania", "UNAIDS_VL_SUPPRESSED", 2019).value_text == "34.663196"


def test_real_export_global_is_kept_for_harmonization_to_set_aside() -> None:
    assert _one(_real_records(), "Global", "UNAIDS_VL_SUPPRESSED", 2020).value_num == pytest.approx(65.905954)


def test_real_export_every_country_name_resolves_strictly_or_is_an_aggregate() -> None:
    unresolved = []
    for row in _real_rows():
        if is_aggregate_name(row[0]):
            continue
        try:
            country_by_name(row[0], strict=True)
        except UnknownCountryError:
            unresolved.append(row[0])
    assert unresolved == []
