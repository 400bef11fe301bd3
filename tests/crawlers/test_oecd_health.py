"""OECD Health Statistics: the spider replayed on saved SDMX answers; the generic SDMX reader and the parser
on fixtures (SDMX-JSON flat and series-keyed, SDMX-CSV with labels) and on the real OECD.Stat recording.

The fixtures follow the layout of ``sdmx.oecd.org`` answers (``meta`` + ``data``, value objects with
``order``/``names``, ``TIME_PERIOD`` with ``start``/``end``); the numbers are made up.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request

from cobase.parse import ParsedRecord, ParseError
from cobase.parse._sdmx import read_sdmx
from cobase.parse.oecd_health import parse
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.oecd_health import OecdHealthSpider
from tests.helpers import (
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    indicator_declared,
    invariants_test,
    parsed_indicators,
    period_in_order,
    real_recording,
    replay_crawl,
    source_config,
    spider_output,
    value_is_a_number,
)

SOURCE = "oecd_health"
BASE_URL = "http://127.0.0.1:8765"
API_URL = "https://sdmx.oecd.org/public/rest/data"
CSV_HEADER = (
    "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,FREQ,MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MULT\n"
)


@pytest.fixture(scope="module")
def config() -> Any:
    return source_config(SOURCE)


@pytest.fixture(scope="module")
def declared_indicators(config: Any) -> set[str]:
    return {indicator.code for indicator in config.indicators}


def _spider(config: Any, **overrides: Any) -> OecdHealthSpider:
    arguments = {**config.params, **overrides}
    return OecdHealthSpider(base_url=BASE_URL, indicators=[i.code for i in config.indicators], **arguments)


def _requests(config: Any, **overrides: Any) -> list[Any]:
    return list(_spider(config, **overrides).start_requests())


def _indicator_of(filename: str) -> str:
    return filename.split(".")[0]


def _records(filename: str) -> list[ParsedRecord]:
    meta = {"indicator": _indicator_of(filename)}
    return list(parse(fixture_bytes(SOURCE, filename), f"{API_URL}/{filename}", meta))


def _csv_records(*rows: str) -> list[ParsedRecord]:
    body = (CSV_HEADER + "".join(f"{row}\n" for row in rows)).encode()
    return list(parse(body, f"{API_URL}/test.csv", {"indicator": "SHA_HF3_PT_EXP_HLTH"}))


def _one(records: list[ParsedRecord], country: str, year: int, dimension: str = "") -> ParsedRecord:
    (record,) = [
        r for r in records if (r.country, r.period_start.year, r.breakdown) == (country, year, dimension)
    ]
    return record


def _real_recording() -> Path:
    return real_recording("oecd", "OECD_PART2_all_all.sdmx.json")


# --- spider: requests ------------------------------------------------------------------------------


def test_one_request_per_indicator(config: Any, declared_indicators: set[str]) -> None:
    assert {r.meta["cobase"]["indicator"] for r in _requests(config)} == declared_indicators


def test_request_path_is_dataflow_then_key(config: Any) -> None:
    url = _requests(config)[0].url
    assert url.startswith(f"{BASE_URL}/public/rest/data/OECD.ELS.HD,DSD_SHA@DF_SHA,1.1/AUS+AUT+")


def test_key_lists_only_the_covered_countries(config: Any) -> None:
    key = _requests(config)[0].meta["cobase"]["key"]
    assert key.split(".")[0].split("+") == config.params["countries"]


def test_query_asks_for_flat_sdmx_json_since_start_period(config: Any) -> None:
    url = _requests(config)[0].url
    assert url.endswith("?startPeriod=2010&dimensionAtObservation=AllDimensions&format=jsondata")


def test_data_format_is_a_parameter(config: Any) -> None:
    assert _requests(config, data_format="csvfilewithlabels")[0].url.endswith("format=csvfilewithlabels")


def test_request_meta_names_indicator_dataflow_and_key(config: Any) -> None:
    meta = _requests(config, countries="TUR,COL")[1].meta["cobase"]
    assert meta == {
        "indicator": "PHYS_PRACT_10P3HB",
        "dataflow": "OECD.ELS.HD,DSD_HEALTH_EMP_REAC@DF_PHYS,1.0",
        "key": "TUR+COL.HSE.10P3HB...PHYS..P.",
    }


def test_series_may_come_as_json_text(config: Any) -> None:
    series = json.dumps({"SHA_HF3_PT_EXP_HLTH": {"dataflow": "F", "key": "{countries}.A"}})
    spider = OecdHealthSpider(BASE_URL, ["SHA_HF3_PT_EXP_HLTH"], countries="MEX", series=series)
    assert first_request(spider).meta["cobase"]["key"] == "MEX.A"


def test_indicator_without_series_is_a_fetch_failure(config: Any) -> None:
    (item,) = OecdHealthSpider(BASE_URL, ["NEW_CODE"], countries=["TUR"]).start_requests()
    assert isinstance(item, FetchFailure) and "no dataflow and key for indicator 'NEW_CODE'" in item.error


def test_every_declared_indicator_has_a_series(config: Any, declared_indicators: set[str]) -> None:
    assert set(config.params["series"]) == declared_indicators


def test_start_request_errback_is_the_base_errback(config: Any) -> None:
    spider = _spider(config)
    assert first_request(spider).errback == spider.errback


# --- spider: responses -----------------------------------------------------------------------------


def _first_request(config: Any) -> Request:
    return _requests(config)[0]


def test_answer_is_yielded_as_raw_response_exactly(config: Any) -> None:
    (raw,) = spider_output(_spider(config), SOURCE, "SHA_HF3_PT_EXP_HLTH.json", _first_request(config))
    assert isinstance(raw, RawResponse) and raw.body == fixture_bytes(SOURCE, "SHA_HF3_PT_EXP_HLTH.json")


def test_raw_response_carries_the_indicator(config: Any) -> None:
    (raw,) = spider_output(_spider(config), SOURCE, "SHA_HF3_PT_EXP_HLTH.json", _first_request(config))
    assert (raw.source, raw.request_meta["indicator"]) == (SOURCE, "SHA_HF3_PT_EXP_HLTH")


def test_errback_turns_no_results_404_into_fetch_failure(config: Any) -> None:
    spider = _spider(config)
    request = _first_request(config)
    (item,) = http_error_output(spider, request, 404, b"NoResultsFound")
    assert item.error == f"HTTP 404 from {request.url}"


def test_replay_fetches_every_declared_indicator(config: Any, declared_indicators: set[str]) -> None:
    items = replay_crawl(_spider(config), SOURCE)
    assert {(type(item), item.request_meta["indicator"]) for item in items} == {
        (RawResponse, code) for code in declared_indicators
    }


def test_replay_gives_records_for_every_declared_indicator(
    config: Any, declared_indicators: set[str]
) -> None:
    assert parsed_indicators(replay_crawl(_spider(config), SOURCE), SOURCE) == declared_indicators


# --- parser: SDMX-JSON -----------------------------------------------------------------------------


def test_flat_json_value_and_period() -> None:
    record = _one(_records("SHA_HF3_PT_EXP_HLTH.json"), "TUR", 2021)
    assert (record.value_num, record.period_start, record.period_end) == (
        15.9,
        date(2021, 1, 1),
        date(2021, 12, 31),
    )


def test_value_text_is_canonical() -> None:
    assert _one(_records("PHYS_PRACT_10P3HB.json"), "TUR", 2019).value_text == "2"


def test_null_observation_is_skipped() -> None:
    assert ("COL", 2022) not in {
        (r.country, r.period_start.year) for r in _records("SHA_HF3_PT_EXP_HLTH.json")
    }


def test_pinned_dimensions_are_not_a_breakdown() -> None:
    assert {r.breakdown for r in _records("SHA_HF3_PT_EXP_HLTH.json")} == {""}


def test_series_layout_with_dataset_level_dimensions() -> None:
    record = _one(_records("PHYS_PRACT_10P3HB.series.json"), "COL", 2021, "SEX=F")
    assert record.value_num == pytest.approx(1.12)


def test_open_dimension_with_several_values_is_the_breakdown() -> None:
    assert {r.breakdown for r in _records("PHYS_PRACT_10P3HB.series.json")} == {"SEX=_T", "SEX=F", "SEX=M"}


def test_published_at_is_left_to_the_retrieval_date() -> None:
    assert {r.published_at for r in _records("SHA_HF3_PT_EXP_HLTH.json")} == {None}


def test_indicator_comes_from_the_request() -> None:
    assert {r.indicator for r in _records("PHYS_PRACT_10P3HB.json")} == {"PHYS_PRACT_10P3HB"}


def test_observation_attribute_default_applies() -> None:
    data = read_sdmx(fixture_bytes(SOURCE, "SHA_HF3_PT_EXP_HLTH.json"), API_URL, SOURCE)
    assert {obs.attributes.get("OBS_STATUS") for obs in data.observations} == {"A", "E", "P"}


def test_dataset_attributes_reach_every_observation() -> None:
    data = read_sdmx(fixture_bytes(SOURCE, "SHA_HF3_PT_EXP_HLTH.json"), API_URL, SOURCE)
    assert {obs.attributes.get("UNIT_MULT") for obs in data.observations} == {"0"}


# --- parser: SDMX-CSV ------------------------------------------------------------------------------


def test_csv_with_labels_reads_codes_not_labels() -> None:
    data = read_sdmx(fixture_bytes(SOURCE, "PHYS_PRACT_10P3HB.csv"), API_URL, SOURCE)
    assert "Sex" not in data.observations[0].key and data.observations[0].key["SEX"] == "_T"


def test_csv_breakdown_and_value() -> None:
    assert _one(_records("PHYS_PRACT_10P3HB.csv"), "COL", 2021, "SEX=M").value_num == pytest.approx(1.38)


def test_csv_row_without_value_is_skipped() -> None:
    assert "MEX" not in {r.country for r in _records("PHYS_PRACT_10P3HB.csv")}


def test_csv_and_json_agree_on_totals() -> None:
    csv_totals = {
        (r.country, r.period_start, r.value_num)
        for r in _records("PHYS_PRACT_10P3HB.csv")
        if r.breakdown == "SEX=_T"
    }
    json_totals = {
        (r.country, r.period_start, r.value_num)
        for r in _records("PHYS_PRACT_10P3HB.json")
        if r.country in ("TUR", "COL")
    }
    assert csv_totals == json_totals


def test_quarter_period() -> None:
    (record,) = _csv_records("DATAFLOW,X:Y(1.0),I,TUR,Q,M,2021-Q2,3.5,A,0")
    assert (record.period_start, record.period_end) == (date(2021, 4, 1), date(2021, 6, 30))


def test_month_period() -> None:
    (record,) = _csv_records("DATAFLOW,X:Y(1.0),I,TUR,M,M,2024-02,3.5,A,0")
    assert (record.period_start, record.period_end) == (date(2024, 2, 1), date(2024, 2, 29))


def test_unit_multiplier_is_applied() -> None:
    (record,) = _csv_records("DATAFLOW,X:Y(1.0),I,TUR,A,M,2021,3.5,A,3")
    assert record.value_num == 3500.0


def test_unreadable_period_raises_parse_error() -> None:
    with pytest.raises(ParseError, match=r"oecd_health: .* \(TUR 21\): unreadable TIME_PERIOD '21'"):
        _csv_records("DATAFLOW,X:Y(1.0),I,TUR,A,M,21,3.5,A,0")


def test_answer_without_observations_yields_nothing() -> None:
    assert _csv_records() == []


# --- parser: bad input -----------------------------------------------------------------------------


def test_missing_indicator_in_request_meta_raises() -> None:
    with pytest.raises(ParseError, match="carries no indicator code"):
        list(parse(fixture_bytes(SOURCE, "SHA_HF3_PT_EXP_HLTH.json"), API_URL, {}))


def test_sdmx_error_message_is_quoted() -> None:
    with pytest.raises(
        ParseError, match=r"answered .* with an error: 150 Semantic Error Invalid number of dimensions"
    ):
        _records("bad_error_message.json")


def test_json_without_structure_raises() -> None:
    with pytest.raises(
        ParseError, match=r"^oecd_health: .*bad_no_structure\.json is not an SDMX-JSON message"
    ):
        _records("bad_no_structure.json")


def test_key_position_outside_the_structure_raises() -> None:
    with pytest.raises(ParseError, match="'9' is not a value of dimension REF_AREA"):
        _records("bad_key_out_of_range.json")


def test_answer_without_time_dimension_raises() -> None:
    with pytest.raises(ParseError, match="has no TIME_PERIOD dimension"):
        _records("bad_no_time_dimension.json")


def test_csv_that_is_not_sdmx_raises() -> None:
    with pytest.raises(ParseError, match="is neither SDMX-JSON nor SDMX-CSV"):
        _records("bad_not_sdmx.csv")


def test_html_page_raises() -> None:
    with pytest.raises(ParseError, match="is neither SDMX-JSON nor SDMX-CSV"):
        list(parse(b"<html><body>Service unavailable</body></html>", API_URL, {"indicator": "X"}))


def test_invalid_json_raises() -> None:
    with pytest.raises(ParseError, match="is not valid JSON"):
        list(parse(b'{"data": ', API_URL, {"indicator": "X"}))


def test_empty_body_raises() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"", API_URL, {"indicator": "X"}))


# --- invariants over every good fixture ------------------------------------------------------------


test_invariant_holds_for_every_record = invariants_test(
    _records,
    good_fixtures(SOURCE),
    {
        "period_in_order": period_in_order,
        "value_is_a_number": value_is_a_number,
        "country_is_a_covered_iso3": lambda r: r.country in source_config(SOURCE).params["countries"],
        "indicator_declared": indicator_declared(SOURCE),
    },
)


# --- the real OECD.Stat SDMX-JSON recording (shared, outside the repository) -----------------------


def test_real_recording_has_7_observations() -> None:
    path = _real_recording()
    assert len(read_sdmx(path.read_bytes(), path.as_uri(), SOURCE).observations) == 7


def test_real_recording_first_observation() -> None:
    path = _real_recording()
    first = read_sdmx(path.read_bytes(), path.as_uri(), SOURCE).observations[0]
    assert (first.key["LOCATION"], first.key["IND"], first.key["PER"], first.value) == (
        "AUS",
        "5CLAT",
        "INI",
        pytest.approx(11.963615756565),
    )


def test_real_recording_has_no_time_period() -> None:
    path = _real_recording()
    data = read_sdmx(path.read_bytes(), path.as_uri(), SOURCE)
    assert (data.has_time_dimension, {obs.time_period for obs in data.observations}) == (False, {None})


def test_real_recording_area_dimension_found_by_role() -> None:
    path = _real_recording()
    assert read_sdmx(path.read_bytes(), path.as_uri(), SOURCE).area_dimension == "LOCATION"


def test_real_recording_attribute_positions_skip_valueless_attributes() -> None:
    path = _real_recording()
    data = read_sdmx(path.read_bytes(), path.as_uri(), SOURCE)
    hun_change = next(
        obs for obs in data.observations if obs.key["LOCATION"] == "HUN" and obs.key["PER"] == "CHG"
    )
    assert hun_change.attributes == {"OBS_STATUS": "x"}


def test_real_recording_cannot_be_stored_without_a_period() -> None:
    path = _real_recording()
    with pytest.raises(ParseError, match="has no TIME_PERIOD dimension: its values cannot be dated"):
        list(parse(path.read_bytes(), path.as_uri(), {"indicator": "PART2"}))


# --- only the dataflow, measure and unit asked for (issue 10) -------------------------------------------

PHYS_DATAFLOW = "OECD.ELS.HD,DSD_HEALTH_EMP_REAC@DF_PHYS,1.0"
SHA_DATAFLOW = "OECD.ELS.HD,DSD_SHA@DF_SHA,1.1"
COUNTRIES = "TUR+COL+MEX+CHL"
ASKED = {
    "PHYS_PRACT_10P3HB": {
        "indicator": "PHYS_PRACT_10P3HB",
        "dataflow": PHYS_DATAFLOW,
        "key": f"{COUNTRIES}.HSE.10P3HB...PHYS..P.",
    },
    "SHA_HF3_PT_EXP_HLTH": {
        "indicator": "SHA_HF3_PT_EXP_HLTH",
        "dataflow": SHA_DATAFLOW,
        "key": f"{COUNTRIES}.A.EXP_HEALTH.PT_EXP_HLTH.HF3._Z._T._T._T._Z._Z._Z",
    },
}


def _asked(filename: str, body: bytes | None = None, **meta: str) -> list[ParsedRecord]:
    request = {**ASKED[_indicator_of(filename)], **meta}
    return list(parse(body or fixture_bytes(SOURCE, filename), f"{API_URL}/{filename}", request))


@pytest.mark.parametrize(
    "filename", ["PHYS_PRACT_10P3HB.json", "PHYS_PRACT_10P3HB.series.json", "PHYS_PRACT_10P3HB.csv"]
)
def test_answer_for_the_dataflow_and_key_asked_is_accepted(filename: str) -> None:
    assert _asked(filename) == _records(filename) and _records(filename)


def test_health_spending_answer_is_accepted() -> None:
    assert len(_asked("SHA_HF3_PT_EXP_HLTH.json")) == len(_records("SHA_HF3_PT_EXP_HLTH.json")) > 0


def test_gdp_served_at_the_physicians_path_is_refused() -> None:
    body = fixture_bytes(SOURCE, "bad_gdp_other_dataflow.csv")
    with pytest.raises(
        ParseError,
        match=r"holds dataflow OECD\.SDD\.NAD:DSD_NAMAIN1@DF_QNA\(1\.1\), not the "
        r"OECD\.ELS\.HD,DSD_HEALTH_EMP_REAC@DF_PHYS,1\.0 that was asked for: refused",
    ):
        _asked("PHYS_PRACT_10P3HB.csv", body)


def _json_with(filename: str, dimension: str, value: str) -> bytes:
    document = json.loads(fixture_bytes(SOURCE, filename))
    structure = document["data"]["structure"]
    for level in structure["dimensions"].values():
        for entry in level:
            if entry["id"] == dimension:
                entry["values"][0]["id"] = value
    return json.dumps(document).encode()


def test_another_measure_of_the_same_dataflow_is_refused() -> None:
    body = _json_with("PHYS_PRACT_10P3HB.json", "MEASURE", "EMP")
    with pytest.raises(ParseError, match=r"holds MEASURE=EMP, not the HSE that was asked for: refused"):
        _asked("PHYS_PRACT_10P3HB.json", body)


def test_another_unit_of_the_same_measure_is_refused() -> None:
    body = _json_with("SHA_HF3_PT_EXP_HLTH.json", "UNIT_MEASURE", "USD_PPP_PS")
    with pytest.raises(ParseError, match=r"holds UNIT_MEASURE=USD_PPP_PS, not the PT_EXP_HLTH"):
        _asked("SHA_HF3_PT_EXP_HLTH.json", body)


def test_a_country_not_asked_for_is_refused() -> None:
    with pytest.raises(ParseError, match=r"holds REF_AREA=(TUR|COL|MEX|CHL), not the CHL\+COL that"):
        _asked("PHYS_PRACT_10P3HB.json", key="COL+CHL.HSE.10P3HB...PHYS..P.")


def test_a_key_of_another_length_is_refused() -> None:
    with pytest.raises(ParseError, match=r"the key asked for has 3 dimensions, the answer's dataflow 9"):
        _asked("PHYS_PRACT_10P3HB.json", key="TUR.HSE.10P3HB")


def test_an_answer_that_names_no_dataflow_is_refused() -> None:
    document = json.loads(fixture_bytes(SOURCE, "PHYS_PRACT_10P3HB.json"))
    document["data"]["structure"]["links"] = []
    with pytest.raises(ParseError, match=r"does not say which dataflow it holds"):
        _asked("PHYS_PRACT_10P3HB.json", json.dumps(document).encode())


def test_currencies_that_differ_between_rows_are_two_series_not_one() -> None:
    body = fixture_bytes(SOURCE, "bad_gdp_other_dataflow.csv")
    records = list(parse(body, f"{API_URL}/gdp.csv", {"indicator": "SHA_HF3_PT_EXP_HLTH"}))
    assert {r.country: r.breakdown for r in records} == {
        "TUR": "CURRENCY=TRY",
        "COL": "CURRENCY=COP",
        "MEX": "CURRENCY=MXN",
    }
    # UNIT_MULT applied per row: 10^6 and 10^9.
    assert {r.country: r.value_num for r in records}["COL"] == pytest.approx(1192634.0e9)
