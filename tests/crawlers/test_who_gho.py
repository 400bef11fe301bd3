"""WHO GHO: the spider replayed on saved responses, the parser on fixtures and on real recordings."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request

from cobase.parse import ParsedRecord, ParseError
from cobase.parse.who_gho import parse, parse_bulk_csv
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.who_gho import EMPTY_BODY_RETRIES, WhoGhoSpider, next_link
from tests.helpers import (
    build_response,
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    indicator_codes,
    indicator_declared,
    invariants_test,
    parsed_indicators,
    period_in_order,
    published_at_is_aware_utc,
    real_recording,
    replay_crawl,
    spider_output,
    value_text_present,
)

SOURCE = "who_gho"
BASE_URL = "http://127.0.0.1:8765"
API_URL = "https://ghoapi.azureedge.net/api"


def _spider(*indicators: str, base_url: str = BASE_URL) -> WhoGhoSpider:
    return WhoGhoSpider(base_url=base_url, indicators=list(indicators) or ["HIV_ARTCOVERAGE"])


def _callback_output(filename: str, page: int = 1, spider: WhoGhoSpider | None = None) -> list[Any]:
    spider = spider or _spider()
    meta = {"cobase": {"indicator": "HIV_ARTCOVERAGE", "page": page}}
    return spider_output(spider, SOURCE, filename, first_request(spider), meta)


def _body_response(body: bytes, meta: dict[str, Any] | None = None) -> Any:
    request = first_request(_spider())
    return build_response(request.replace(meta=meta or request.meta), body, 200, "application/json")


def _records(filename: str) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), f"{API_URL}/{Path(filename).stem}", {}))


def _row(**changes: Any) -> dict[str, Any]:
    """One GHO OData row (the current layout), with ``changes`` applied."""
    row = {
        "Id": 1,
        "IndicatorCode": "UHC_INDEX_REPORTED",
        "SpatialDimType": "COUNTRY",
        "SpatialDim": "GIN",
        "TimeDimType": "YEAR",
        "Dim1Type": None,
        "Dim1": None,
        "TimeDim": 2021,
        "Dim2Type": None,
        "Dim2": None,
        "Dim3Type": None,
        "Dim3": None,
        "Value": "40",
        "NumericValue": 40.0,
        "Date": "2024-12-19T10:40:12.233+01:00",
        "TimeDimensionBegin": "2021-01-01T00:00:00+01:00",
        "TimeDimensionEnd": "2021-12-31T00:00:00+01:00",
    }
    return {**row, **changes}


def _parse_rows(*rows: dict[str, Any]) -> list[ParsedRecord]:
    body = json.dumps({"@odata.context": f"{API_URL}/$metadata#X", "value": list(rows)}).encode()
    return list(parse(body, f"{API_URL}/UHC_INDEX_REPORTED", {}))


@pytest.fixture(scope="module")
def declared_indicators() -> set[str]:
    return indicator_codes(SOURCE)


# --- spider: requests ------------------------------------------------------------------------------


def test_start_requests_one_per_indicator() -> None:
    requests = list(_spider("UHC_INDEX_REPORTED", "MH_6").start_requests())
    assert [r.url for r in requests] == [f"{BASE_URL}/api/UHC_INDEX_REPORTED", f"{BASE_URL}/api/MH_6"]


def test_start_request_carries_cobase_meta() -> None:
    assert first_request(_spider()).meta == {"cobase": {"indicator": "HIV_ARTCOVERAGE", "page": 1}}


def test_start_request_errback_is_the_base_errback() -> None:
    spider = _spider()
    assert first_request(spider).errback == spider.errback


# --- spider: responses -----------------------------------------------------------------------------


def test_page_is_yielded_as_raw_response_exactly() -> None:
    raw = _callback_output("HIV_ARTCOVERAGE.json")[0]
    assert isinstance(raw, RawResponse) and raw.body == fixture_bytes(SOURCE, "HIV_ARTCOVERAGE.json")


def test_raw_response_names_source_indicator_and_page() -> None:
    raw = _callback_output("HIV_ARTCOVERAGE.json")[0]
    assert (raw.source, raw.request_meta) == ("who_gho", {"indicator": "HIV_ARTCOVERAGE", "page": 1})


def test_next_link_is_rebased_onto_base_url() -> None:
    follow_up = _callback_output("HIV_ARTCOVERAGE.json")[1]
    assert follow_up.url == f"{BASE_URL}/api/HIV_ARTCOVERAGE?$skip=3"


def test_next_link_unchanged_when_base_url_is_the_api() -> None:
    spider = _spider(base_url="https://ghoapi.azureedge.net")
    follow_up = _callback_output("HIV_ARTCOVERAGE.json", spider=spider)[1]
    assert follow_up.url == "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE?$skip=3"


def test_next_page_request_counts_pages() -> None:
    follow_up = _callback_output("HIV_ARTCOVERAGE.json")[1]
    assert follow_up.meta["cobase"] == {"indicator": "HIV_ARTCOVERAGE", "page": 2}


def _decoded_next_link(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    link = document.get("@odata.nextLink") if isinstance(document, dict) else None
    return link if isinstance(link, str) and link else None


def test_next_link_found_without_decoding_agrees_with_a_full_decode() -> None:
    folders = [Path(__file__).parents[1] / "fixtures" / SOURCE]
    bodies = [path.read_bytes() for folder in folders for path in sorted(folder.glob("*.json"))]
    assert any(_decoded_next_link(body) for body in bodies)  # the fixtures do hold a next page
    assert [next_link(body) for body in bodies] == [_decoded_next_link(body) for body in bodies]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"value": [], "@odata.nextLink": "https://x/api/A?$skip=3"}', "https://x/api/A?$skip=3"),
        (b'{"@odata.nextLink" : "a\\/b\\u0026c", "value": []}', "a/b&c"),
        # the words inside a value (quotes escaped) are not the page's link
        (b'{"value": [{"Comments": "see \\"@odata.nextLink\\": \\"x\\""}]}', None),
        (b'{"value": [{"Items@odata.nextLink": "nested"}]}', None),
        (b'{"value": [], "@odata.nextLink": ""}', None),
        (b'{"value": [], "@odata.nextLink": 3}', None),
        (b"<html>not json</html>", None),
        (b"", None),
    ],
)
def test_next_link_of_a_page(body: bytes, expected: str | None) -> None:
    assert next_link(body) == expected


def test_last_page_requests_nothing_more() -> None:
    output = _callback_output("HIV_ARTCOVERAGE_skip3.json", page=2)
    assert [type(item) for item in output] == [RawResponse]


def test_body_that_is_not_json_is_still_kept() -> None:
    output = _callback_output("bad_not_json.json")
    assert [type(item) for item in output] == [RawResponse]


def test_empty_body_is_retried_without_dupefilter() -> None:
    (retry,) = _spider().parse(_body_response(b""))
    assert isinstance(retry, Request) and retry.dont_filter


def test_whitespace_body_is_retried() -> None:
    (retry,) = _spider().parse(_body_response(b"  \r\n"))
    assert retry.url == f"{BASE_URL}/api/HIV_ARTCOVERAGE"


def test_empty_body_gives_up_with_fetch_failure() -> None:
    spider = _spider()
    response = _body_response(b"")
    outputs: list[Any] = []
    for _ in range(EMPTY_BODY_RETRIES + 1):
        (output,) = spider.parse(response)
        outputs.append(output)
        if isinstance(output, Request):
            response = build_response(output, b"", 200, "application/json")
    assert [type(o) for o in outputs] == [Request] * EMPTY_BODY_RETRIES + [FetchFailure]


def _given_up_failure() -> Any:
    meta = {"cobase": {"indicator": "HIV_ARTCOVERAGE", "page": 1}, "cobase_empty_body_retries": 3}
    (failure,) = _spider().parse(_body_response(b"", meta))
    return failure


def test_empty_body_failure_says_why() -> None:
    assert _given_up_failure().error == f"empty body from {BASE_URL}/api/HIV_ARTCOVERAGE after 3 retries"


def test_empty_body_failure_keeps_request_meta() -> None:
    assert _given_up_failure().request_meta == {"indicator": "HIV_ARTCOVERAGE", "page": 1}


def test_errback_turns_http_error_into_fetch_failure() -> None:
    spider = _spider()
    request = first_request(spider)
    (item,) = http_error_output(spider, request, 500, b"oops")
    assert item == FetchFailure(
        source="who_gho",
        url=request.url,
        error=f"HTTP 500 from {request.url}",
        request_meta={"indicator": "HIV_ARTCOVERAGE", "page": 1},
    )


def test_replay_fetches_every_declared_indicator_and_page(declared_indicators: set[str]) -> None:
    items = replay_crawl(WhoGhoSpider(base_url=BASE_URL, indicators=sorted(declared_indicators)), SOURCE)
    fetched = sorted((item.request_meta["indicator"], item.request_meta["page"]) for item in items)
    assert fetched == sorted([(code, 1) for code in declared_indicators] + [("HIV_ARTCOVERAGE", 2)])


def test_replay_gives_records_for_every_declared_indicator(declared_indicators: set[str]) -> None:
    items = replay_crawl(WhoGhoSpider(base_url=BASE_URL, indicators=sorted(declared_indicators)), SOURCE)
    assert parsed_indicators(items, SOURCE) == declared_indicators


# --- parser: one assertion each ------------------------------------------------------------------


def test_period_is_the_date_part_of_time_dimension_begin_and_end() -> None:
    gin_2022 = _records("GHED_OOPSCHE_SHA2011.json")[0]
    assert (gin_2022.period_start, gin_2022.period_end) == (date(2022, 1, 1), date(2022, 12, 31))


def test_period_falls_back_to_time_dim_year() -> None:
    gin = _records("HWF_0001.json")[0]  # the older layout: no TimeDimensionBegin/End
    assert (gin.period_start, gin.period_end) == (date(2018, 1, 1), date(2018, 12, 31))


def test_period_from_time_dim_range() -> None:
    (record,) = _parse_rows(_row(TimeDim="2015-2017", TimeDimensionBegin=None, TimeDimensionEnd=None))
    assert (record.period_start, record.period_end) == (date(2015, 1, 1), date(2017, 12, 31))


def test_published_at_is_date_converted_to_utc() -> None:
    gin_2022 = _records("GHED_OOPSCHE_SHA2011.json")[0]  # Date "2025-12-05T13:23:08.677+01:00"
    assert gin_2022.published_at == datetime(2025, 12, 5, 12, 23, 8, 677000, tzinfo=UTC)


def test_breakdown_names_sex_breakdowns() -> None:
    dimensions = {r.breakdown for r in _records("NCD_HYP_TREATMENT_A.json") if r.country == "GIN"}
    assert dimensions == {"SEX=SEX_BTSX", "SEX=SEX_MLE", "SEX=SEX_FMLE"}


def test_breakdown_joins_several_breakdowns() -> None:
    row = _row(Dim1Type="SEX", Dim1="SEX_BTSX", Dim2Type="RESIDENCEAREATYPE", Dim2="RESIDENCEAREATYPE_URB")
    assert _parse_rows(row)[0].breakdown == "SEX=SEX_BTSX;RESIDENCEAREATYPE=RESIDENCEAREATYPE_URB"


def test_breakdown_empty_without_breakdowns() -> None:
    assert {r.breakdown for r in _records("UHC_INDEX_REPORTED.json")} == {""}


def test_region_and_global_rows_are_dropped() -> None:
    assert {r.country for r in _records("UHC_INDEX_REPORTED.json")} == {"GIN", "CIV", "COD", "DZA", "CMR"}


def test_rows_without_any_value_are_skipped() -> None:
    assert len(_records("HWF_0001.json")) == 5  # six country rows, CMR 2020 has no value


def test_numeric_value_text_is_canonical() -> None:
    assert _records("UHC_INDEX_REPORTED.json")[0].value_text == "40"  # served as 40.000000000


def test_value_text_kept_when_numeric_value_is_null() -> None:
    dza = next(r for r in _records("HIV_ARTCOVERAGE_skip3.json") if r.country == "DZA")
    assert (dza.value_text, dza.value_num) == (">95 [81->95]", None)


def test_unit_is_left_to_the_registry() -> None:
    assert {r.unit for r in _records("MH_6.json")} == {None}


def test_invalid_json_raises_parse_error_naming_source_and_url() -> None:
    with pytest.raises(
        ParseError, match=r"who_gho: https://ghoapi\.azureedge\.net/api/bad_not_json .*not valid JSON"
    ):
        _records("bad_not_json.json")


def test_empty_body_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        _records("bad_empty_body.json")


def test_json_without_value_list_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="no 'value' list"):
        _records("bad_no_value_list.json")


def test_row_missing_a_field_raises_parse_error_naming_it_and_the_id() -> None:
    with pytest.raises(ParseError, match=r"row Id 29856999 .* has no 'SpatialDim'"):
        _records("bad_missing_spatial_dim.json")


def test_row_without_any_period_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="neither 'TimeDimensionBegin' nor 'TimeDim'"):
        _parse_rows(_row(TimeDim=None, TimeDimensionBegin=None, TimeDimensionEnd=None))


def test_bulk_csv_is_recognised_by_parse() -> None:
    records = _records("ghobulk_NCD_HYP_TREATMENT_A.csv")
    assert {r.country for r in records} == {"GIN", "CIV", "COD", "DZA", "CMR"}


def test_bulk_csv_breakdown_from_disaggregating_columns() -> None:
    body = fixture_bytes(SOURCE, "ghobulk_NCD_HYP_TREATMENT_A.csv")
    assert next(parse_bulk_csv(body, "file:///NCD_HYP_TREATMENT_A.csv")).breakdown == "SEX=SEX_BTSX"


def test_bulk_csv_without_its_columns_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="not a GHO bulk CSV: no column 'SpatialDimension'"):
        list(parse_bulk_csv(b"Id,IndicatorCode,Value\n1,MH_6,2\n", "file:///MH_6.csv"))


# --- invariants over every good fixture ------------------------------------------------------------


test_invariant_holds_for_every_record = invariants_test(
    _records,
    good_fixtures(SOURCE),
    {
        "period_in_order": period_in_order,
        "published_at_is_aware_utc": published_at_is_aware_utc,
        "value_text_present": value_text_present,
        "indicator_declared": indicator_declared(SOURCE),
    },
)


# --- real recordings (shared, outside the repository) ---------------------------------------------


def test_real_odata_recording_has_24_records() -> None:
    body = real_recording("who_gho", "GHED_OOPSCHE_SHA2011_IDN.json").read_bytes()
    assert len(list(parse(body, f"{API_URL}/GHED_OOPSCHE_SHA2011", {}))) == 24


def test_real_odata_recording_known_value() -> None:
    body = real_recording("who_gho", "GHED_OOPSCHE_SHA2011_IDN.json").read_bytes()
    idn_2019 = next(
        r for r in parse(body, f"{API_URL}/GHED_OOPSCHE_SHA2011", {}) if r.period_start.year == 2019
    )
    assert (idn_2019.country, idn_2019.value_text) == ("IDN", "34.55001068")


def test_real_bulk_csv_keeps_the_4384_country_rows() -> None:
    path = real_recording("who_gho", "ghobulk_health-financing", "data", "GHED_OOPSCHE_SHA2011.csv")
    assert len(list(parse_bulk_csv(path.read_bytes(), path.as_uri()))) == 4384


def test_real_bulk_csv_known_value() -> None:
    path = real_recording("who_gho", "ghobulk_health-financing", "data", "GHED_OOPSCHE_SHA2011.csv")
    records = parse(path.read_bytes(), path.as_uri(), {})
    gin_2019 = next(r for r in records if r.country == "GIN" and r.period_start == date(2019, 1, 1))
    assert gin_2019.value_num == pytest.approx(59.21543)
