"""ReliefWeb reports: the spider replayed on saved responses (POST), the parser on fixtures.

The fixtures are answers written for these tests in the ReliefWeb API envelope (``totalCount``,
``count``, ``data[].id/fields/href``, ``links``) as recorded for the v1 disasters endpoint in
/work/shared/fixtures/reliefweb, with the v2 report fields. No report answer was recorded: the real
envelope is checked below on the recorded disasters answer when it is available.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from scrapy import Request

from cobase.parse import ParsedRecord, ParseError
from cobase.parse.reliefweb_reports import EXCERPT_LIMIT, parse
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.reliefweb_reports import (
    DEFAULT_MAX_PAGES,
    QUERY,
    ReliefwebReportsSpider,
    without_appname,
)
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
    published_at_is_aware_utc,
    quote_is_short_plain_text,
    real_recording,
    replay_crawl,
    spider_output,
)

SOURCE = "reliefweb_reports"
BASE_URL = "http://127.0.0.1:8765"
APPNAME = "cobase-test-x7q2"
API_URL = "https://api.reliefweb.int/v2/reports"
REAL_DISASTERS = ("reliefweb", "v1-disasters-appname-vocabulary-preset-external-limit-1000.json")


def _spider(*countries: str, **kwargs: Any) -> ReliefwebReportsSpider:
    options: dict[str, Any] = {"appname": APPNAME, "page_size": 2, **kwargs}
    return ReliefwebReportsSpider(base_url=BASE_URL, countries=list(countries) or ["GIN"], **options)


def _first_request(spider: ReliefwebReportsSpider | None = None) -> Request:
    return first_request(spider or _spider())


def _payload(request: Request) -> dict[str, Any]:
    return json.loads(request.body)


def _callback_output(filename: str, page: int = 1, spider: ReliefwebReportsSpider | None = None) -> list[Any]:
    spider = spider or _spider()
    request = _first_request(spider)
    meta = {"cobase": {**request.meta["cobase"], "page": page, "offset": (page - 1) * 2}}
    return spider_output(spider, SOURCE, filename, request, meta)


def _records(filename: str) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), API_URL, {}))


def _report_records(report_id: int) -> list[ParsedRecord]:
    records = [r for name in good_fixtures(SOURCE) for r in _records(name)]
    return [r for r in records if r.breakdown.startswith(f"report={report_id};")]


def _http_failure(status: int, body: bytes = b"") -> list[FetchFailure]:
    spider = _spider()
    return http_error_output(spider, _first_request(spider), status, body)


@pytest.fixture(scope="module")
def declared_indicators() -> set[str]:
    return indicator_codes(SOURCE)


# --- spider: requests ------------------------------------------------------------------------------


def test_one_post_per_country() -> None:
    requests = list(_spider("GIN", "civ").start_requests())
    assert [(r.method, r.meta["cobase"]["country"]) for r in requests] == [("POST", "GIN"), ("POST", "CIV")]


def test_request_url_carries_the_appname() -> None:
    assert _first_request().url == f"{BASE_URL}/v2/reports?appname={APPNAME}"


def test_filter_is_the_lower_case_primary_country() -> None:
    assert _payload(_first_request())["filter"] == {"field": "primary_country.iso3", "value": "gin"}


def test_first_page_starts_at_offset_zero_with_page_size() -> None:
    payload = _payload(_first_request())
    assert (payload["offset"], payload["limit"]) == (0, 2)


def test_query_names_stockouts_in_french_and_english() -> None:
    query = _payload(_first_request())["query"]["value"]
    assert all(term in query for term in ('"rupture de stock"', "stockout", "pénurie", "shortage", "ARV"))


def test_fields_include_what_the_parser_reads() -> None:
    included = set(_payload(_first_request())["fields"]["include"])
    assert {"title", "source.shortname", "date.original", "date.created", "primary_country.iso3"} <= included


def test_newest_reports_first() -> None:
    assert _payload(_first_request())["sort"][0] == "date.original:desc"


def test_request_meta_records_what_was_asked() -> None:
    assert _first_request().meta["cobase"] == {
        "country": "GIN",
        "page": 1,
        "offset": 0,
        "limit": 2,
        "query": QUERY,
    }


def test_countries_may_be_comma_separated() -> None:
    spider = ReliefwebReportsSpider(base_url=BASE_URL, appname=APPNAME, countries="gin, civ")
    assert spider.countries == ["GIN", "CIV"]


def test_missing_appname_is_refused_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="COBASE_RELIEFWEB_APPNAME"):
        ReliefwebReportsSpider(base_url=BASE_URL, appname=" ", countries=["GIN"])


def test_max_pages_has_a_default() -> None:
    assert _spider().max_pages == DEFAULT_MAX_PAGES


# --- spider: responses -----------------------------------------------------------------------------


def test_page_is_kept_exactly() -> None:
    raw = _callback_output("reports_GIN_offset0.json")[0]
    assert isinstance(raw, RawResponse) and raw.body == fixture_bytes(SOURCE, "reports_GIN_offset0.json")


def test_stored_url_has_no_appname() -> None:
    assert _callback_output("reports_GIN_offset0.json")[0].url == f"{BASE_URL}/v2/reports"


def test_next_page_while_offset_is_below_total_count() -> None:
    follow_up = _callback_output("reports_GIN_offset0.json")[1]
    assert (_payload(follow_up)["offset"], follow_up.meta["cobase"]["page"]) == (2, 2)


def test_last_page_requests_nothing_more() -> None:
    output = _callback_output("reports_GIN_offset2.json", page=2)
    assert [type(item) for item in output] == [RawResponse]


def test_max_pages_bounds_paging() -> None:
    output = _callback_output("reports_GIN_offset0.json", spider=_spider(max_pages=1))
    assert [type(item) for item in output] == [RawResponse]


def test_body_that_is_not_json_is_kept_without_next_page() -> None:
    output = _callback_output("bad_not_json.json")
    assert [type(item) for item in output] == [RawResponse]


def test_refused_appname_names_the_variable() -> None:
    (failure,) = _http_failure(403, fixture_bytes(SOURCE, "bad_appname_403.json"))
    assert "HTTP 403" in failure.error and "set COBASE_RELIEFWEB_APPNAME" in failure.error


def test_refused_appname_quotes_the_api_message() -> None:
    (failure,) = _http_failure(403, fixture_bytes(SOURCE, "bad_appname_403.json"))
    assert "AccessDeniedHttpException: Invalid or unapproved appname" in failure.error


def test_failure_never_shows_the_appname() -> None:
    (failure,) = _http_failure(500)
    assert APPNAME not in failure.url + failure.error


def test_server_error_does_not_blame_the_appname() -> None:
    (failure,) = _http_failure(500)
    assert failure.error == f"HTTP 500 from {BASE_URL}/v2/reports"


def test_without_appname_removes_only_the_appname() -> None:
    assert without_appname(f"{API_URL}?appname=x&preset=latest") == f"{API_URL}?preset=latest"


def test_replay_pages_through_every_country() -> None:
    items = replay_crawl(_spider("GIN", "CIV", "SEN"), SOURCE)
    fetched = sorted((item.request_meta["country"], item.request_meta["page"]) for item in items)
    assert fetched == [("CIV", 1), ("GIN", 1), ("GIN", 2), ("SEN", 1)]


def test_replay_gives_records_for_the_declared_indicator(declared_indicators: set[str]) -> None:
    assert parsed_indicators(replay_crawl(_spider("GIN", "CIV"), SOURCE), SOURCE) == declared_indicators


# --- parser: one assertion each ------------------------------------------------------------------


def test_country_is_the_upper_cased_primary_country() -> None:
    assert {r.country for r in _records("reports_GIN_offset0.json")} == {"GIN"}


def test_period_is_the_day_of_date_original() -> None:
    (record, *_) = _report_records(4099870)
    assert (record.period_start, record.period_end) == (date(2024, 3, 5), date(2024, 3, 5))


def test_period_is_the_day_as_written_not_moved_to_utc() -> None:
    (record,) = _report_records(4051234)  # date.original 2023-11-30T00:00:00+01:00
    assert record.period_start == date(2023, 11, 30)


def test_published_at_is_date_created_in_utc() -> None:
    (record,) = _report_records(4099870)
    assert record.published_at == datetime(2024, 3, 6, 8, 1, 12, tzinfo=UTC)


def test_value_is_the_title() -> None:
    (record,) = _report_records(4099870)
    assert record.value_text == "Guinea: Humanitarian Situation Report No. 3 (January - February 2024)"


def test_breakdown_names_report_and_source() -> None:
    (record,) = _report_records(4099870)
    assert record.breakdown == "report=4099870;source=UNICEF"


def test_one_record_per_medicine_named_with_the_stockout() -> None:
    assert [r.item for r in _report_records(4101001)] == ["dolutegravir", "tdf_3tc_dtg"]


def test_no_catalogue_medicine_gives_one_record_without_item() -> None:
    assert [r.item for r in _report_records(4099870)] == [None]


def test_quote_is_the_stockout_sentence_without_markup() -> None:
    record = _report_records(4101001)[0]
    assert record.quote == (
        "Depuis février 2024, les patients suivis à Conakry signalent une rupture de stock de dolutégravir "
        "et de TLD dans plusieurs sites de prise en charge."
    )


def test_scripts_in_the_body_are_not_read() -> None:
    assert not any("track" in (r.quote or "") for r in _report_records(4101001))


def test_markdown_body_is_read_without_link_targets() -> None:
    (record, *_) = _report_records(4112200)
    assert record.quote and "(WHO, 2 Apr 2024)" in record.quote and "node/4112199" not in record.quote


def test_every_record_is_a_candidate() -> None:
    assert {r.review_status for name in good_fixtures(SOURCE) for r in _records(name)} == {"candidate"}


def test_empty_search_gives_nothing() -> None:
    assert _records("reports_empty.json") == []


def test_long_body_without_stockout_term_is_quoted_from_its_start() -> None:
    report = json.loads(fixture_bytes(SOURCE, "reports_CIV_offset0.json"))
    report["data"][0]["fields"]["body"] = "Health centres reopened. " * 40
    (record,) = parse(json.dumps(report).encode(), API_URL, {})
    assert record.quote and record.quote.startswith("Health centres reopened.") and len(record.quote) <= 300


def test_api_error_names_the_appname_variable() -> None:
    with pytest.raises(
        ParseError, match=r"reliefweb_reports: .*403 AccessDeniedHttpException.*COBASE_RELIEFWEB"
    ):
        _records("bad_appname_403.json")


def test_changed_schema_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="no 'data' list of reports"):
        _records("bad_no_data.json")


def test_report_without_country_is_set_aside_not_an_error() -> None:
    records = _records("bad_missing_country.json")
    assert [(r.country, r.set_aside) for r in records] == [("", "report without a primary country")]


def test_page_with_one_report_without_country_keeps_the_others() -> None:
    page = json.loads(fixture_bytes(SOURCE, "reports_GIN_offset0.json"))
    first = f"report={page['data'][0]['fields']['id']}"
    before = list(parse(json.dumps(page).encode(), API_URL, {}))
    others = [r for r in before if not r.breakdown.startswith(first)]
    page["data"][0]["fields"].pop("primary_country")
    records = list(parse(json.dumps(page).encode(), API_URL, {}))
    set_aside = [r for r in records if r.set_aside]
    assert len(set_aside) == 1 and set_aside[0].breakdown.startswith(first)
    assert [r for r in records if not r.set_aside] == others
    assert others and all(r.country == "GIN" and "report=4099870" in r.breakdown for r in others)


def test_report_without_country_is_counted_by_harmonization() -> None:
    from cobase.harmonize.records import HarmonizeReport, harmonize
    from cobase.registry import load_registry

    report = HarmonizeReport()
    stored = list(harmonize(_records("bad_missing_country.json"), load_registry().get(SOURCE), report))
    assert stored == []
    assert report.set_aside == {"report without a primary country": 1}
    assert report.unknown_countries == {}


def test_invalid_json_raises_parse_error_naming_source_and_url() -> None:
    with pytest.raises(ParseError, match=r"reliefweb_reports: https://api\.reliefweb\.int/v2/reports .*JSON"):
        _records("bad_not_json.json")


def test_empty_body_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"", API_URL, {}))


def test_report_without_dates_raises() -> None:
    report = json.loads(fixture_bytes(SOURCE, "reports_CIV_offset0.json"))
    report["data"][0]["fields"]["date"] = {}
    with pytest.raises(ParseError, match=r"neither 'date\.original' nor 'date\.created'"):
        list(parse(json.dumps(report).encode(), API_URL, {}))


# --- invariants over every good fixture ------------------------------------------------------------


test_invariant_holds_for_every_record = invariants_test(
    _records,
    good_fixtures(SOURCE),
    {
        "period_is_one_day": lambda r: r.period_start == r.period_end,
        "published_at_is_aware_utc": published_at_is_aware_utc,
        "quote_is_short_plain_text": lambda r: quote_is_short_plain_text(r, EXCERPT_LIMIT),
        "indicator_declared": indicator_declared(SOURCE),
    },
    may_be_empty={"reports_empty.json"},
)


# --- real recordings (shared, outside the repository) ---------------------------------------------


def test_real_envelope_pages_like_the_fixtures() -> None:
    recorded = json.loads(real_recording(*REAL_DISASTERS).read_bytes())
    ours = json.loads(fixture_bytes(SOURCE, "reports_GIN_offset0.json"))
    assert {"totalCount", "count", "data", "links"} <= set(recorded) & set(ours)


def test_real_envelope_total_count_drives_paging() -> None:
    path = real_recording(*REAL_DISASTERS)
    spider = _spider(page_size=1000)
    request = _first_request(spider)
    response = build_response(request, path.read_bytes(), 200, "application/json")
    follow_up = list(spider.parse(response))[1]
    assert _payload(follow_up)["offset"] == 1000  # totalCount 3677
