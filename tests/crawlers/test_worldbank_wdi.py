"""World Bank WDI: the spider replayed on saved responses, the parser on fixtures and a real recording."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request

from cobase.parse import ParsedRecord, ParseError
from cobase.parse.worldbank_wdi import parse
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.worldbank_wdi import WorldbankWdiSpider
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
    published_at_is_aware_utc,
    real_recording,
    replay_crawl,
    spider_output,
    value_text_present,
)

SOURCE = "worldbank_wdi"
BASE_URL = "http://127.0.0.1:8765"
API_URL = "https://api.worldbank.org/v2/country/all/indicator"
OOP = "SH.XPD.OOPC.CH.ZS"


def _spider(*indicators: str, **arguments: Any) -> WorldbankWdiSpider:
    return WorldbankWdiSpider(base_url=BASE_URL, indicators=list(indicators) or [OOP], **arguments)


def _callback_output(filename: str, page: int = 1) -> list[Any]:
    spider = _spider()
    meta = {"cobase": {"indicator": OOP, "page": page}}
    return spider_output(spider, SOURCE, filename, first_request(spider), meta)


def _url(filename: str) -> str:
    return f"{API_URL}/{Path(filename).stem}?format=json&per_page=1000&page=1"


def _records(filename: str) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), _url(filename), {}))


def _record(**changes: Any) -> dict[str, Any]:
    """One API v2 record (Guinea, physicians), with ``changes`` applied."""
    record = {
        "indicator": {"id": "SH.MED.PHYS.ZS", "value": "Physicians (per 1,000 people)"},
        "country": {"id": "GN", "value": "Guinea"},
        "countryiso3code": "GIN",
        "date": "2018",
        "value": 0.1846,
        "unit": "",
        "obs_status": "",
        "decimal": 2,
    }
    return {**record, **changes}


def _parse_records(*records: dict[str, Any], lastupdated: str | None = "2026-07-01") -> list[ParsedRecord]:
    metadata = {"page": 1, "pages": 1, "per_page": 1000, "total": len(records), "lastupdated": lastupdated}
    return list(parse(json.dumps([metadata, list(records)]).encode(), _url("SH.MED.PHYS.ZS"), {}))


@pytest.fixture(scope="module")
def declared_indicators() -> set[str]:
    return indicator_codes(SOURCE)


# --- spider: requests ------------------------------------------------------------------------------


def test_start_requests_ask_page_one_of_each_indicator() -> None:
    urls = [r.url for r in _spider(OOP, "SH.MED.PHYS.ZS").start_requests()]
    assert urls == [
        f"{BASE_URL}/v2/country/all/indicator/{OOP}?format=json&per_page=1000&page=1",
        f"{BASE_URL}/v2/country/all/indicator/SH.MED.PHYS.ZS?format=json&per_page=1000&page=1",
    ]


def test_page_size_argument_sets_per_page() -> None:
    (request,) = _spider(page_size="50").start_requests()
    assert "per_page=50&" in request.url


def test_start_request_carries_cobase_meta_and_errback() -> None:
    spider = _spider()
    (request,) = spider.start_requests()
    assert (request.meta, request.errback) == ({"cobase": {"indicator": OOP, "page": 1}}, spider.errback)


# --- spider: responses -----------------------------------------------------------------------------


def test_page_is_yielded_as_raw_response_exactly() -> None:
    raw = _callback_output(f"{OOP}.json")[0]
    assert isinstance(raw, RawResponse) and raw.body == fixture_bytes(SOURCE, f"{OOP}.json")


def test_raw_response_names_source_indicator_and_page() -> None:
    raw = _callback_output(f"{OOP}.json")[0]
    assert (raw.source, raw.request_meta) == ("worldbank_wdi", {"indicator": OOP, "page": 1})


def test_page_one_requests_the_remaining_pages() -> None:
    follow_ups = [item for item in _callback_output(f"{OOP}.json") if isinstance(item, Request)]
    assert [r.url for r in follow_ups] == [
        f"{BASE_URL}/v2/country/all/indicator/{OOP}?format=json&per_page=1000&page=2"
    ]


def test_follow_up_page_meta() -> None:
    follow_up = _callback_output(f"{OOP}.json")[1]
    assert follow_up.meta["cobase"] == {"indicator": OOP, "page": 2}


def test_later_pages_request_nothing_more() -> None:
    output = _callback_output(f"{OOP}_page2.json", page=2)
    assert [type(item) for item in output] == [RawResponse]


def test_single_page_requests_nothing_more() -> None:
    output = _callback_output("SH.MED.PHYS.ZS.json")
    assert [type(item) for item in output] == [RawResponse]


def test_error_message_is_kept_and_followed_by_nothing() -> None:
    output = _callback_output("bad_error_message.json")
    assert [type(item) for item in output] == [RawResponse]


def test_errback_turns_http_error_into_fetch_failure() -> None:
    spider = _spider()
    (request,) = spider.start_requests()
    (item,) = http_error_output(spider, request, 500, b"oops")
    assert item == FetchFailure(
        source="worldbank_wdi",
        url=request.url,
        error=f"HTTP 500 from {request.url}",
        request_meta={"indicator": OOP, "page": 1},
    )


def test_replay_fetches_every_declared_indicator_and_page(declared_indicators: set[str]) -> None:
    spider = WorldbankWdiSpider(base_url=BASE_URL, indicators=sorted(declared_indicators), page_size=1000)
    fetched = sorted(
        (item.request_meta["indicator"], item.request_meta["page"]) for item in replay_crawl(spider, SOURCE)
    )
    assert fetched == sorted([(code, 1) for code in declared_indicators] + [(OOP, 2)])


def test_replay_gives_records_for_every_declared_indicator(declared_indicators: set[str]) -> None:
    spider = WorldbankWdiSpider(base_url=BASE_URL, indicators=sorted(declared_indicators))
    assert parsed_indicators(replay_crawl(spider, SOURCE), SOURCE) == declared_indicators


# --- parser: one assertion each ------------------------------------------------------------------


def test_country_is_the_iso3_code() -> None:
    assert _records("SH.MED.PHYS.ZS.json")[2].country == "DZA"


def test_country_falls_back_to_country_id_when_iso3_is_empty() -> None:
    assert "1A" in {r.country for r in _records(f"{OOP}.json")}  # Arab World, countryiso3code ""


def test_aggregates_are_kept_for_harmonization() -> None:
    assert {"AFE", "SSF", "WLD"} <= {r.country for r in _records(f"{OOP}.json")}


def test_null_values_are_skipped() -> None:
    assert len(_records("SH.UHC.SRVS.CV.XD.json")) == 9  # 11 records, WLD 2020 and GIN 2020 are null


def test_published_at_is_lastupdated_at_midnight_utc() -> None:
    assert _records("SH.MED.PHYS.ZS.json")[0].published_at == datetime(2026, 6, 30, tzinfo=UTC)


def test_year_period() -> None:
    dza = _records("SH.MED.PHYS.ZS.json")[2]
    assert (dza.period_start, dza.period_end) == (date(2018, 1, 1), date(2018, 12, 31))


def test_quarter_period() -> None:
    (record,) = _parse_records(_record(date="2019Q1"))
    assert (record.period_start, record.period_end) == (date(2019, 1, 1), date(2019, 3, 31))


def test_month_period() -> None:
    (record,) = _parse_records(_record(date="2020M02"))
    assert (record.period_start, record.period_end) == (date(2020, 2, 1), date(2020, 2, 29))


def test_value_text_is_canonical_number_text() -> None:
    assert _records("SH.UHC.SRVS.CV.XD.json")[0].value_text == "46"


def test_breakdown_is_empty() -> None:
    assert {r.breakdown for r in _records(f"{OOP}.json")} == {""}


def test_indicator_is_the_record_indicator_id() -> None:
    assert {r.indicator for r in _records(f"{OOP}_page2.json")} == {OOP}


def test_page_beyond_the_end_yields_nothing() -> None:
    assert _records("page_beyond_end.json") == []


def test_unreadable_date_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="unreadable date '2019S1'"):
        _parse_records(_record(date="2019S1"))


def test_error_message_raises_parse_error_quoting_it() -> None:
    with pytest.raises(ParseError, match='120 Invalid value: "The provided parameter value is not valid"'):
        _records("bad_error_message.json")


def test_invalid_json_raises_parse_error_naming_source_and_url() -> None:
    with pytest.raises(ParseError, match=r"worldbank_wdi: https://api\.worldbank\.org/.* is not valid JSON"):
        _records("bad_not_json.json")


def test_empty_body_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"", _url(OOP), {}))


def test_record_missing_a_field_raises_parse_error_naming_it() -> None:
    with pytest.raises(ParseError, match=r"record #2 .* has no 'date'"):
        _records("bad_missing_date.json")


def test_object_instead_of_array_raises_parse_error() -> None:
    with pytest.raises(ParseError, match=r"expected \[metadata, records\]"):
        list(parse(b'{"page": 1}', _url(OOP), {}))


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
    may_be_empty={"page_beyond_end.json"},  # the page after the last holds no row
)


# --- real recording (shared, outside the repository) ----------------------------------------------


def test_real_recording_has_20_records() -> None:
    body = real_recording("worldbank", "NY.GDP.PCAP.PP.KD_IDN.json").read_bytes()
    url = "https://api.worldbank.org/v2/country/IDN/indicator/NY.GDP.PCAP.PP.KD?format=json"
    assert len(list(parse(body, url, {}))) == 20


def test_real_recording_known_value() -> None:
    body = real_recording("worldbank", "NY.GDP.PCAP.PP.KD_IDN.json").read_bytes()
    url = "https://api.worldbank.org/v2/country/IDN/indicator/NY.GDP.PCAP.PP.KD?format=json"
    idn_2019 = next(r for r in parse(body, url, {}) if r.period_start == date(2019, 1, 1))
    assert (idn_2019.country, idn_2019.value_num) == ("IDN", 12757.7850854842)


def test_real_recording_published_at() -> None:
    body = real_recording("worldbank", "NY.GDP.PCAP.PP.KD_IDN.json").read_bytes()
    url = "https://api.worldbank.org/v2/country/IDN/indicator/NY.GDP.PCAP.PP.KD?format=json"
    assert next(parse(body, url, {})).published_at == datetime(2026, 7, 13, tzinfo=UTC)


# --- official exchange rate (PA.NUS.FCRF), for the monthly cost in US$ ---------------------------------


def test_exchange_rate_morocco_2014_is_the_bulk_file_value() -> None:
    # Copied from the real WDI bulk CSV (API_PA.NUS.FCRF_DS2, last updated 2025-03-24), Morocco 2014.
    [mar] = [r for r in _records("PA.NUS.FCRF.json") if r.country == "MAR" and r.period_start.year == 2014]
    assert mar.value_num == 8.40633668826152


def test_exchange_rate_missing_year_is_not_a_record() -> None:
    assert not [r for r in _records("PA.NUS.FCRF.json") if r.country == "GIN" and r.period_start.year == 2022]


def test_real_exchange_rate_answer_barbados() -> None:
    path = real_recording("worldbank_round3", "statcite_wb-fx-brb.json")
    url = "https://api.worldbank.org/v2/country/BRB/indicator/PA.NUS.FCRF?format=json&mrv=3"
    records = list(parse(path.read_bytes(), url, {}))
    assert [(r.indicator, r.country, r.period_start.year, r.value_num) for r in records] == [
        ("PA.NUS.FCRF", "BRB", 2025, 2.0),
        ("PA.NUS.FCRF", "BRB", 2024, 2.0),
        ("PA.NUS.FCRF", "BRB", 2023, 2.0),
    ]
    assert {r.published_at for r in records} == {datetime(2026, 7, 13, tzinfo=UTC)}


def test_real_exchange_rate_bulk_file_morocco_2014_matches_our_fixture() -> None:
    import csv

    path = real_recording("worldbank_round3", "API_PA.NUS.FCRF_DS2_en_csv_v2_13510.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    header = rows[4]
    [mar] = [row for row in rows[5:] if len(row) > 1 and row[1] == "MAR"]
    assert float(mar[header.index("2014")]) == 8.40633668826152
