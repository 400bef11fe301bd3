"""Global Fund PQR: the spider replayed on saved responses, the parser on fixtures; grant disbursements are
retired (issue 10) and the real v4.2 rows (shared fixtures) show why."""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from datetime import date
from typing import Any

import pytest
from scrapy import Request

from cobase.parse import ParsedRecord, ParseError
from cobase.parse.globalfund_pqr import parse
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.globalfund_pqr import GlobalfundPqrSpider
from tests.helpers import (
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    indicator_codes,
    indicator_declared,
    invariants_test,
    parsed_indicators,
    period_in_order,
    real_recording,
    replay_crawl,
    spider_output,
    value_is_a_number,
)

SOURCE = "globalfund_pqr"
BASE_URL = "http://127.0.0.1:8765"
SERVICE = "https://data-service.theglobalfund.org"
V42_PATH = "/v4.2/odata/AllFinancialIndicators"
PQR_EXPORT = "/pqr/pqr_transactions.csv"
PQR_COLUMNS = [
    "Country Name",
    "ISO3CodeCountry",
    "Product Category Language",
    "Product Name (EN)",
    "Strength Dosage Form (EN)",
    "Pack quantity",
    "Unit Cost (USD)",
    "Purchase Order Date",
    "Scheduled Delivery Date",
    "Actual Delivery Date",
]
TLD_ROW = {
    "Country Name": "Guinea",
    "ISO3CodeCountry": "GIN",
    "Product Category Language": "en",
    "Product Name (EN)": "Tenofovir Disoproxil Fumarate/Lamivudine/Dolutegravir 300/300/50 mg",
    "Strength Dosage Form (EN)": "300mg+300mg+50mg - Tablet",
    "Pack quantity": "100",
    "Unit Cost (USD)": "0.07",
    "Purchase Order Date": "2024-01-10",
    "Scheduled Delivery Date": "2024-03-01",
    "Actual Delivery Date": "2024-02-20T00:00:00",
}


def _spider(**kwargs: Any) -> GlobalfundPqrSpider:
    return GlobalfundPqrSpider(base_url=kwargs.pop("base_url", BASE_URL), **kwargs)


def _first_request(spider: GlobalfundPqrSpider | None = None) -> Request:
    return first_request(spider or _spider(pqr_exports=[PQR_EXPORT]))


def _records(filename: str) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), f"{SERVICE}/{filename}", {}))


def _pqr(*changes: dict[str, str], columns: list[str] = PQR_COLUMNS) -> list[ParsedRecord]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**TLD_ROW, **change} for change in changes)
    return list(parse(buffer.getvalue().encode(), f"{BASE_URL}{PQR_EXPORT}", {}))


def _value(records: list[ParsedRecord], indicator: str, **where: Any) -> float | None:
    (record,) = [
        r
        for r in records
        if r.indicator == indicator and all(getattr(r, key) == value for key, value in where.items())
    ]
    return record.value_num


@pytest.fixture(scope="module")
def declared_indicators() -> set[str]:
    return indicator_codes(SOURCE)


@pytest.fixture(scope="module")
def pqr_records() -> list[ParsedRecord]:
    return _records("pqr_transactions.csv")


# --- spider: requests ------------------------------------------------------------------------------


def test_no_pqr_export_configured_means_no_request() -> None:
    assert list(_spider().start_requests()) == []


def test_pqr_export_path_is_joined_to_base_url() -> None:
    request = _first_request()
    assert (request.url, request.meta["cobase"]) == (
        f"{BASE_URL}{PQR_EXPORT}",
        {"dataset": "pqr", "file": "pqr_transactions.csv"},
    )


def test_absolute_pqr_export_url_is_kept() -> None:
    url = "https://pqr.example.org/export/transactions.csv"
    assert _first_request(_spider(pqr_exports=url)).url == url


def test_the_data_service_is_no_longer_asked() -> None:
    spider = _spider(pqr_exports=[PQR_EXPORT, "https://pqr.example.org/b.csv"])
    assert all("odata" not in request.url for request in spider.start_requests())


def test_start_request_errback_is_the_base_errback() -> None:
    spider = _spider(pqr_exports=[PQR_EXPORT])
    assert _first_request(spider).errback == spider.errback


# --- spider: responses -----------------------------------------------------------------------------


def test_pqr_export_is_yielded_as_raw_response_exactly() -> None:
    spider = _spider(pqr_exports=[PQR_EXPORT])
    output = spider_output(spider, SOURCE, "pqr_transactions.csv", _first_request(spider))
    assert [type(item) for item in output] == [RawResponse]
    assert output[0].body == fixture_bytes(SOURCE, "pqr_transactions.csv")
    assert output[0].request_meta == {"dataset": "pqr", "file": "pqr_transactions.csv"}


def test_errback_turns_http_error_into_fetch_failure() -> None:
    spider = _spider(pqr_exports=[PQR_EXPORT])
    request = _first_request(spider)
    (item,) = http_error_output(spider, request, 503, b"oops")
    assert item == FetchFailure(
        source=SOURCE,
        url=request.url,
        error=f"HTTP 503 from {request.url}",
        request_meta={"dataset": "pqr", "file": "pqr_transactions.csv"},
    )


def test_replay_fetches_the_export() -> None:
    items = replay_crawl(_spider(pqr_exports=[PQR_EXPORT]), SOURCE)
    assert [(item.request_meta["dataset"], item.request_meta["file"]) for item in items] == [
        ("pqr", "pqr_transactions.csv")
    ]


def test_replay_gives_records_for_every_declared_indicator(declared_indicators: set[str]) -> None:
    items = replay_crawl(_spider(pqr_exports=[PQR_EXPORT]), SOURCE)
    assert parsed_indicators(items, SOURCE) == declared_indicators


def test_disbursement_indicator_is_retired(declared_indicators: set[str]) -> None:
    assert "GF_DISBURSEMENTS_USD" not in declared_indicators


# --- parser: PQR transactions ----------------------------------------------------------------------


def test_pqr_fdc_product_maps_to_the_combination_item(pqr_records: list[ParsedRecord]) -> None:
    assert {r.item for r in pqr_records if r.country == "GIN" and r.period_start == date(2023, 4, 1)} == {
        "tdf_3tc_dtg"
    }


def test_full_combination_name_with_strengths_maps_to_tld() -> None:
    assert {r.item for r in _pqr({})} == {"tdf_3tc_dtg"}


def test_product_abbreviation_in_parenthesis_is_dropped_when_needed() -> None:
    assert {r.item for r in _pqr({"Product Name (EN)": "Lamivudine (3TC)"})} == {"lamivudine"}


def test_product_that_could_be_two_combinations_is_ignored() -> None:
    assert _pqr({"Product Name (EN)": "Emtricitabine+Tenofovir - FDC"}) == []


def test_unmatched_products_are_ignored(pqr_records: list[ParsedRecord]) -> None:
    assert {r.country for r in pqr_records} == {"GIN", "CIV", "CMR"}  # no bednet (COD), no 3TC/TDF row


def test_unmatched_products_are_counted_in_the_log() -> None:
    messages: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = messages.append  # type: ignore[method-assign]
    logger = logging.getLogger("cobase.parse.globalfund_pqr")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        _records("pqr_transactions.csv")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert "2 rows of 2 products matching no catalogue item ignored" in messages[0].getMessage()


def test_translated_duplicate_rows_are_not_counted(pqr_records: list[ParsedRecord]) -> None:
    packs = _value(pqr_records, "PQR_DELIVERED_QUANTITY", country="GIN", period_start=date(2023, 4, 1))
    assert packs == 15000.0  # 10 000 + 5,000; the French copy of the first order is skipped


def test_unit_cost_is_the_median_of_the_month(pqr_records: list[ParsedRecord]) -> None:
    cost = _value(pqr_records, "PQR_UNIT_COST_USD", country="GIN", period_start=date(2023, 4, 1))
    assert cost == pytest.approx(0.06415)


def test_delivery_delay_is_the_median_of_actual_minus_scheduled(pqr_records: list[ParsedRecord]) -> None:
    delay = _value(pqr_records, "PQR_DELIVERY_DELAY_DAYS", country="GIN", period_start=date(2023, 4, 1))
    assert delay == 8.5  # 19 days late and 2 days early


def test_early_delivery_gives_a_negative_delay() -> None:
    assert _value(_pqr({}), "PQR_DELIVERY_DELAY_DAYS") == -10.0


def test_two_strengths_are_two_series(pqr_records: list[ParsedRecord]) -> None:
    dimensions = {
        r.breakdown for r in pqr_records if r.item == "dolutegravir" and r.indicator.startswith("PQR_")
    }
    assert dimensions == {
        "STRENGTH_FORM=50mg - Tablet",
        "STRENGTH_FORM=10mg - Tablet for oral suspension",
    }


def test_period_is_the_delivery_month(pqr_records: list[ParsedRecord]) -> None:
    cmr = next(r for r in pqr_records if r.country == "CMR")
    assert (cmr.period_start, cmr.period_end) == (date(2023, 1, 1), date(2023, 1, 31))


def test_undelivered_order_gives_only_a_unit_cost_in_its_order_month(pqr_records: list[ParsedRecord]) -> None:
    civ = [(r.indicator, r.period_start) for r in pqr_records if r.country == "CIV"]
    assert civ == [("PQR_UNIT_COST_USD", date(2023, 11, 1)), ("PQR_PACK_COST_USD", date(2023, 11, 1))]


def test_country_name_is_used_without_an_iso3_column() -> None:
    columns = [column for column in PQR_COLUMNS if column != "ISO3CodeCountry"]
    record = _pqr({}, columns=columns)[0]
    assert (record.country, record.country_is_code) == ("Guinea", False)


def test_pqr_states_no_publication_date(pqr_records: list[ParsedRecord]) -> None:
    assert {r.published_at for r in pqr_records} == {None}


# --- grant disbursements: retired, and why (the real v4.2 rows) ------------------------------------


def test_a_data_service_json_answer_is_refused_as_retired() -> None:
    body = json.dumps({"@odata.context": f"{SERVICE}{V42_PATH}", "value": []}).encode()
    with pytest.raises(
        ParseError, match=r"grant disbursements are no longer read \(the v4\.2 rows carry GUIDs"
    ):
        list(parse(body, f"{SERVICE}{V42_PATH}", {}))


def _real_v42() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    disbursements = real_recording(
        "globalfund", "gf_v4.2_AllFinancialIndicators_malaria_disbursements_2026-08-22.json.gz"
    )
    grants = real_recording("globalfund", "gf_v4.2_Grants_malaria_2026-08-22.json")
    rows = json.loads(gzip.decompress(disbursements.read_bytes()))["disbursements"]
    return rows, json.loads(grants.read_bytes())["grants"]


def test_real_v42_rows_carry_no_country_component_or_year() -> None:
    rows, _grants = _real_v42()
    assert len(rows) == 37033
    fields = set().union(*(row.keys() for row in rows))
    assert {"recordId", "activityAreaId", "actualAmount"} <= fields
    assert not fields & {"geographicAreaCode_ISO3", "componentName", "disbursementYear", "disbursed"}


def test_real_v42_rows_reach_a_country_only_through_two_joins() -> None:
    rows, grants = _real_v42()
    periods = {period["id"]: grant for grant in grants for period in grant["implementationPeriods"]}
    assert len(grants) == 382 and all(row["recordId"] in periods for row in rows)
    # The grant gives a geography GUID, still not a country: Geographies would be a third request.
    assert all(len(periods[row["recordId"]]["geographyId"]) == 36 for row in rows[:100])
    assert round(sum(row["actualAmount"] for row in rows), 2) == 21504106625.5


def test_real_v42_answer_is_refused_as_retired() -> None:
    rows, _grants = _real_v42()
    body = json.dumps({"value": rows[:50]}).encode()
    with pytest.raises(ParseError, match="no longer read"):
        list(parse(body, f"{SERVICE}{V42_PATH}", {}))


# --- parser: bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("bad_not_json.json", r"globalfund_pqr: .*bad_not_json\.json is an HTML page"),
        ("bad_pqr_missing_columns.csv", r"not a PQR transaction export: no column 'Unit Cost \(USD\)'"),
        ("bad_pqr_date.csv", r"line 2: unreadable 'Actual Delivery Date' '20\.04\.2023'"),
    ],
)
def test_bad_input_raises_parse_error_naming_source_url_and_problem(filename: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        _records(filename)


def test_empty_body_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"\r\n", f"{BASE_URL}{PQR_EXPORT}", {}))


def test_unreadable_unit_cost_raises_parse_error() -> None:
    with pytest.raises(ParseError, match=r"'Unit Cost \(USD\)' 'n/a' is not a number"):
        _pqr({"Unit Cost (USD)": "n/a"})


# --- invariants over every good fixture ------------------------------------------------------------


test_invariant_holds_for_every_record = invariants_test(
    _records,
    good_fixtures(SOURCE),
    {
        "period_in_order": period_in_order,
        "value_is_a_number_with_its_text": value_is_a_number,
        "indicator_declared": indicator_declared(SOURCE),
        "pqr_values_name_their_item": lambda r: (
            (r.item is not None) == r.indicator.startswith(("PQR_", "SUPPLY_"))
        ),
    },
)


@pytest.mark.parametrize("filename", good_fixtures(SOURCE))
def test_invariant_one_value_per_series(filename: str) -> None:
    keys = [(r.indicator, r.country, r.item, r.breakdown, r.period_start) for r in _records(filename)]
    assert len(keys) == len(set(keys))
