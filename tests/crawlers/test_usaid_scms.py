"""USAID SCMS delivery history: the spider replayed on the served CSV, the parser on both exports
(lower-case headers with CRLF as served by the data catalogue; Title-Case headers with a byte-order mark
and LF) and on the real file kept outside the repository.

The fixture lines are made up in the real layout (33 columns, ``2-Jun-06`` dates, ``"Congo, DRC"``,
``See DN-…`` and ``Freight Included in Commodity Cost`` cells).
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from typing import Any

import pytest

from cobase.parse import ParsedRecord, ParseError
from cobase.parse._deliveries import read_date, read_number
from cobase.parse.usaid_scms import parse, unresolved_products
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.usaid_scms import DEFAULT_PATH, UsaidScmsSpider
from tests.helpers import (
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    indicator_codes,
    parsed_indicators,
    period_in_order,
    real_recording,
    replay_crawl,
    spider_output,
    value_text_present,
)

SOURCE = "usaid_scms"
BASE_URL = "http://127.0.0.1:8765"
URL = f"https://data.usaid.gov{DEFAULT_PATH}"
LOWER = "rows.csv"
TITLE = "SCMS_Delivery_History_Dataset.csv"
TLE_CIV = ("Côte d'Ivoire", "tdf_3tc_efv")


def _spider(**kwargs: Any) -> UsaidScmsSpider:
    return UsaidScmsSpider(base_url=BASE_URL, **kwargs)


def _records(filename: str) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), URL, {}))


def _values(records: list[ParsedRecord], indicator: str) -> dict[str, str]:
    """Value text per delivery line id."""
    return {
        r.breakdown.split(";")[0].removeprefix("DELIVERY="): r.value_text
        for r in records
        if r.indicator == indicator
    }


# --- spider ----------------------------------------------------------------------------------------


def test_start_request_is_the_catalogue_csv_export() -> None:
    assert first_request(_spider()).url == f"{BASE_URL}/api/views/a3rc-nmf6/rows.csv?accessType=DOWNLOAD"


def test_path_comes_from_params() -> None:
    assert first_request(_spider(path="mirror/scms.csv")).url == f"{BASE_URL}/mirror/scms.csv"


def test_start_request_carries_cobase_meta() -> None:
    assert first_request(_spider()).meta == {"cobase": {"file": "rows.csv"}}


def test_response_is_yielded_raw() -> None:
    spider = _spider()
    [raw] = spider_output(spider, SOURCE, LOWER, first_request(spider))
    assert isinstance(raw, RawResponse) and raw.body == fixture_bytes(SOURCE, LOWER)


def test_http_error_becomes_a_fetch_failure() -> None:
    spider = _spider()
    [failure] = http_error_output(spider, first_request(spider), 503)
    assert isinstance(failure, FetchFailure) and "HTTP 503" in failure.error


def test_replay_yields_every_declared_indicator() -> None:
    items = replay_crawl(_spider(), SOURCE)
    assert parsed_indicators(items, SOURCE) == indicator_codes(SOURCE)


# --- parser: both layouts ------------------------------------------------------------------------------


def test_lower_case_export_has_crlf_line_endings() -> None:
    body = fixture_bytes(SOURCE, LOWER)
    assert body.count(b"\r\n") == body.count(b"\n") and body.startswith(b"id,project code")


def test_title_case_export_has_a_bom_and_lf() -> None:
    body = fixture_bytes(SOURCE, TITLE)
    assert body.startswith(b"\xef\xbb\xbfID,Project Code") and b"\r" not in body


def test_lower_case_export_delivery_count() -> None:
    records = _records(LOWER)
    assert len(_values(records, "SUPPLY_DELIVERY_DELAY_DAYS")) == 5  # 6 lines, one HIV test set aside


def test_title_case_export_delivery_count() -> None:
    records = _records(TITLE)
    assert len(_values(records, "SUPPLY_DELIVERY_DELAY_DAYS")) == 2  # one line has no delivery date


def test_delay_is_actual_minus_scheduled() -> None:
    assert _values(_records(LOWER), "SUPPLY_DELIVERY_DELAY_DAYS")["91001"] == "18"


def test_early_delivery_has_a_negative_delay() -> None:
    assert _values(_records(LOWER), "SUPPLY_DELIVERY_DELAY_DAYS")["91002"] == "-13"


def test_period_is_the_actual_delivery_day() -> None:
    [record] = [r for r in _records(LOWER) if r.breakdown.startswith("DELIVERY=91001;")][:1]
    assert (record.period_start, record.period_end) == (date(2012, 5, 18), date(2012, 5, 18))


def test_scheduled_date_not_captured_is_kept_as_text() -> None:
    [record] = [
        r
        for r in _records(TITLE)
        if r.indicator == "SUPPLY_DELIVERY_DELAY_DAYS" and r.breakdown.startswith("DELIVERY=92001;")
    ]
    assert (record.value_text, record.value_num) == ("Date Not Captured", None)


def test_freight_included_in_commodity_cost_is_text() -> None:
    records = [r for r in _records(LOWER) if r.indicator == "SUPPLY_FREIGHT_COST_USD"]
    assert [(r.value_text, r.value_num) for r in records if r.breakdown.startswith("DELIVERY=91001;")] == [
        ("Freight Included in Commodity Cost", None)
    ]


def test_see_delivery_note_is_text() -> None:
    assert _values(_records(LOWER), "SUPPLY_FREIGHT_COST_USD")["91002"] == "See DN-3002 (ID#:91001)"


def test_number_with_thousands_comma() -> None:
    assert _values(_records(LOWER), "SUPPLY_FREIGHT_COST_USD")["91005"] == "1804.2"


def test_unit_price_and_pack_price_are_both_kept() -> None:
    records = _records(LOWER)
    prices = (
        _values(records, "SUPPLY_UNIT_PRICE_USD")["91005"],
        _values(records, "SUPPLY_PACK_PRICE_USD")["91005"],
    )
    assert prices == ("0.37", "11.15")


def test_molecule_resolves_to_the_tle_combination() -> None:
    records = [r for r in _records(LOWER) if r.breakdown.startswith("DELIVERY=91001;")]
    assert {(r.country, r.item) for r in records} == {TLE_CIV}


def test_quoted_country_with_comma_is_read_whole() -> None:
    assert {r.country for r in _records(LOWER) if r.item == "nevirapine"} == {"Congo, DRC"}


def test_strength_and_form_are_the_breakdown() -> None:
    [record] = [
        r for r in _records(LOWER) if r.indicator == "SUPPLY_UNIT_PRICE_USD" and r.item == "nevirapine"
    ]
    assert record.breakdown == "DELIVERY=91004;STRENGTH_FORM=200mg - Tablet"


def test_unresolved_products_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="cobase.parse.usaid_scms"):
        _records(LOWER)
    assert "1 lines of 1 products resolving to no catalogue item" in caplog.text


def test_unresolved_products_by_name() -> None:
    assert unresolved_products(fixture_bytes(SOURCE, LOWER)) == {"HIV 1/2, Determine Complete HIV Kit": 1}


def test_columns_are_read_by_name_in_any_order() -> None:
    rows = list(csv.reader(io.StringIO(fixture_bytes(SOURCE, LOWER).decode("utf-8"), newline="")))
    reordered = io.StringIO()
    csv.writer(reordered, lineterminator="\n").writerows([list(reversed(row)) for row in rows])
    records = list(parse(reordered.getvalue().encode("utf-8"), URL, {}))
    assert records == _records(LOWER)


def test_cr_only_line_endings_are_read() -> None:
    body = fixture_bytes(SOURCE, LOWER).replace(b"\r\n", b"\r")
    assert list(parse(body, URL, {})) == _records(LOWER)


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("bad_missing_columns.csv", "no column 'scheduled delivery date'"),
        ("bad_html_page.csv", "is an HTML page"),
        ("bad_truncated.csv", "line 3: 6 fields, expected 33"),
    ],
)
def test_bad_input_is_one_clear_error(filename: str, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(")):
        _records(filename)


def test_empty_body_is_an_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"\xef\xbb\xbf\r\n", URL, {}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2-Jun-06", date(2006, 6, 2)),
        ("19-Mar-09", date(2009, 3, 19)),
        ("11/16/2012", date(2012, 11, 16)),
        ("2006-06-02T00:00:00", date(2006, 6, 2)),
        ("Date Not Captured", None),
        ("Pre-PQ Process", None),
        ("N/A - From RDC", None),
        ("31-Feb-12", None),
        ("18-Mai-16", None),
    ],
)
def test_read_date(text: str, expected: date | None) -> None:
    assert read_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("600,000", 600000.0),
        ("12.11", 12.11),
        ("See DN-2981 (ID#:82538)", None),
        ("Weight Captured Separately", None),
    ],
)
def test_read_number(text: str, expected: float | None) -> None:
    assert read_number(text) == expected


# --- invariants over every record of the good fixtures ---------------------------------------------------


@pytest.fixture(scope="module", params=good_fixtures(SOURCE))
def fixture_records(request: pytest.FixtureRequest) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, request.param), URL, {}))


def test_every_record_has_a_text_value(fixture_records: list[ParsedRecord]) -> None:
    assert all(value_text_present(r) for r in fixture_records)


def test_every_record_is_one_day(fixture_records: list[ParsedRecord]) -> None:
    assert all(period_in_order(r) and r.period_start == r.period_end for r in fixture_records)


def test_every_record_names_an_item(fixture_records: list[ParsedRecord]) -> None:
    assert all(r.item for r in fixture_records)


def test_every_record_is_a_declared_indicator(fixture_records: list[ParsedRecord]) -> None:
    assert {r.indicator for r in fixture_records} <= indicator_codes(SOURCE)


def test_no_record_has_a_publication_date(fixture_records: list[ParsedRecord]) -> None:
    assert all(r.published_at is None for r in fixture_records)


# --- the real file (shared fixtures) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_rows() -> list[dict[str, str]]:
    path = real_recording("supply", "scms", "Supply_Chain_Shipment_Pricing_Data.csv")
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


@pytest.fixture(scope="module")
def real_records() -> list[ParsedRecord]:
    path = real_recording("supply", "scms", "Supply_Chain_Shipment_Pricing_Data.csv")
    return list(parse(path.read_bytes(), path.as_uri(), {}))


def test_real_file_has_10324_lines(real_rows: list[dict[str, str]]) -> None:
    assert len(real_rows) == 10324


def test_real_file_deliveries_are_the_resolved_lines(real_records: list[ParsedRecord]) -> None:
    # 6,296 lines name a molecule of the catalogue; the other 4,028 (tests, TDF/3TC...) are set aside.
    assert len({r.breakdown for r in real_records if r.indicator == "SUPPLY_DELIVERY_DELAY_DAYS"}) == 6296


def test_real_file_unresolved_products_are_counted() -> None:
    path = real_recording("supply", "scms", "Supply_Chain_Shipment_Pricing_Data.csv")
    counted = unresolved_products(path.read_bytes())
    assert (sum(counted.values()), counted["Lamivudine/Tenofovir Disoproxil Fumarate"]) == (4028, 301)


def test_real_file_civ_tle_deliveries(real_records: list[ParsedRecord]) -> None:
    delays = [
        r
        for r in real_records
        if (r.country, r.item) == TLE_CIV and r.indicator == "SUPPLY_DELIVERY_DELAY_DAYS"
    ]
    assert (len(delays), min(r.period_start for r in delays), max(r.period_start for r in delays)) == (
        12,
        date(2012, 8, 27),
        date(2015, 6, 8),
    )


def test_real_file_every_delay_is_a_number(real_records: list[ParsedRecord]) -> None:
    assert all(r.value_num is not None for r in real_records if r.indicator == "SUPPLY_DELIVERY_DELAY_DAYS")


def test_real_file_keeps_freight_texts(real_records: list[ParsedRecord]) -> None:
    texts = {
        r.value_text for r in real_records if r.indicator == "SUPPLY_FREIGHT_COST_USD" and r.value_num is None
    }
    assert {"Freight Included in Commodity Cost", "Invoiced Separately"} <= texts


def test_real_file_one_line_as_served(real_records: list[ParsedRecord]) -> None:
    # 82539: "Congo, DRC", TDF/3TC/EFV, 2952 packs at 12.11 (0.4 a tablet), delivered 11-Sep-13.
    line = {r.indicator: r.value_text for r in real_records if r.breakdown.startswith("DELIVERY=82539;")}
    assert line == {
        "SUPPLY_DELIVERY_DELAY_DAYS": "0",
        "SUPPLY_UNIT_PRICE_USD": "0.4",
        "SUPPLY_PACK_PRICE_USD": "12.11",
        "SUPPLY_DELIVERED_PACKS": "2952",
        "SUPPLY_LINE_VALUE_USD": "35748.72",
        "SUPPLY_FREIGHT_COST_USD": "See DN-2981 (ID#:82538)",
    }
