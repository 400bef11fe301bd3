"""End to end: ``cobase refresh`` of ReliefWeb reports (POST searches) against a local server.

With ``COBASE_RELIEFWEB_APPNAME`` set the source pages through its searches and ingests candidate
evidence; without it the source is skipped with one clear message and the refresh still succeeds; a
refused appname or an unreadable answer fails the source clearly and loses nothing stored before. The
local fixture server answers POST too, choosing a page by what the request body contains.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cobase.fixture_server import serve_fixtures
from tests.e2e import (
    FIXTURES,
    BadRefresh,
    database_url,
    good_then_bad_refresh,
    observations,
    refresh_sources,
    run_cli,
    sources_file,
    sql_rows,
    status,
)

pytestmark = pytest.mark.e2e

SOURCE = "reliefweb_reports"
VARIABLE = "COBASE_RELIEFWEB_APPNAME"
APPNAME = "cobase-e2e-k3v9"
WITH_APPNAME = {VARIABLE: APPNAME}
# two reports per page, three countries
SOURCE_FIELDS = {SOURCE: {"page_size": 2, "params": {"countries": ["GIN", "CIV", "SEN"], "max_pages": 3}}}
REPORTS_PATH = "/v2/reports"


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    """One refresh with an appname, against the recorded searches."""
    tmp = tmp_path_factory.mktemp("reliefweb")
    db = database_url(tmp)
    return db, refresh_sources(
        local_server, tmp, db, [SOURCE], extra_source_fields=SOURCE_FIELDS, env=WITH_APPNAME
    )


def test_refresh_with_appname_succeeds(refreshed) -> None:
    _db, result = refreshed
    assert result.returncode == 0, result.stdout + result.stderr


def test_reports_of_every_country_with_results_are_stored(refreshed) -> None:
    rows = observations(refreshed[0], all_versions=True, source=SOURCE)
    assert {row["country_iso3"] for row in rows} == {"GIN", "CIV"}


def test_second_page_was_followed(refreshed) -> None:
    rows = observations(refreshed[0], all_versions=True, source=SOURCE)
    periods = {row["period_start"] for row in rows if row["country_iso3"] == "GIN"}
    assert "2023-11-30" in periods  # the report of page 2 (offset 2)


def test_one_observation_per_report_and_medicine(refreshed) -> None:
    rows = sql_rows(refreshed[0], "SELECT breakdown, item FROM observation ORDER BY breakdown, item")
    assert len(rows) == 6 and ("report=4101001;source=MSF", "tdf_3tc_dtg") in rows


def test_observations_are_candidates_with_a_quote(refreshed) -> None:
    rows = sql_rows(
        refreshed[0],
        "SELECT c.review_status, c.quote FROM observation o "
        "LEFT JOIN observation_citation c ON c.observation_id = o.id",
    )
    assert rows and all(status == "candidate" and quote for status, quote in rows)


def test_appname_is_never_stored(refreshed) -> None:
    urls = [url for (url,) in sql_rows(refreshed[0], "SELECT url FROM snapshot")]
    assert urls and all(APPNAME not in url for url in urls)


def test_request_meta_says_what_was_searched(refreshed) -> None:
    metas = [json.loads(meta) for (meta,) in sql_rows(refreshed[0], "SELECT request_meta FROM snapshot")]
    assert sorted((m["country"], m["offset"]) for m in metas) == [
        ("CIV", 0),
        ("GIN", 0),
        ("GIN", 2),
        ("SEN", 0),
    ]


def test_status_reports_success(refreshed) -> None:
    assert status(refreshed[0])[SOURCE]["last_run_status"] == "success"


# --- without an appname: skipped, not failed ----------------------------------------------------------


@pytest.fixture
def without_appname(tmp_path: Path, local_server: HTTPServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    db = database_url(tmp_path)
    return db, refresh_sources(
        local_server, tmp_path, db, ["who_gho", SOURCE], extra_source_fields=SOURCE_FIELDS
    )


def test_without_appname_the_refresh_succeeds(without_appname) -> None:
    _db, result = without_appname
    assert result.returncode == 0, result.stderr


def test_without_appname_one_clear_message_names_the_variable(without_appname) -> None:
    _db, result = without_appname
    assert [line for line in result.stderr.splitlines() if VARIABLE in line] == [
        f"{SOURCE}: {SOURCE} skipped: set {VARIABLE} to use it (see sources.yml)"
    ]


def test_without_appname_status_shows_skipped(without_appname) -> None:
    runs = status(without_appname[0])
    assert (runs[SOURCE]["last_run_status"], runs["who_gho"]["last_run_status"]) == ("skipped", "success")


# --- bad input: clear failure, nothing lost -------------------------------------------------------------


def _bad_refresh(
    server: HTTPServer, tmp: Path, good_store: str, response: Response, expected: str, *, in_process: bool
) -> BadRefresh:
    """A copy of the good store, then a refresh with an appname where the searches answer ``response``
    (through ``cobase refresh``, or ``in_process`` through the same refresh path)."""
    return good_then_bad_refresh(
        server,
        tmp,
        [SOURCE],
        REPORTS_PATH,
        response,
        expected,
        extra_source_fields=SOURCE_FIELDS,
        env=WITH_APPNAME,
        good_store=good_store,
        in_process=in_process,
    )


REFUSED = Response(
    (FIXTURES / SOURCE / "bad_appname_403.json").read_bytes(), status=403, content_type="application/json"
)


@pytest.fixture(scope="module")
def refused(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory, refreshed) -> BadRefresh:
    """Through ``cobase refresh``: its output must not print the appname."""
    tmp = tmp_path_factory.mktemp("refused")
    return _bad_refresh(local_server, tmp, refreshed[0], REFUSED, f"set {VARIABLE}", in_process=False)


def test_refused_appname_fails_naming_the_variable(refused: BadRefresh) -> None:
    result = refused.result
    assert result.returncode == 1 and f"set {VARIABLE}" in result.stderr, result.stderr


def test_refused_appname_is_not_printed(refused: BadRefresh) -> None:
    assert APPNAME not in refused.result.stdout + refused.result.stderr


def test_refused_appname_loses_nothing(refused: BadRefresh) -> None:
    assert refused.after == refused.before


def test_answer_that_is_not_json_fails_clearly_and_loses_nothing(
    tmp_path: Path, local_server: HTTPServer, refreshed
) -> None:
    not_json = Response("<html>502</html>", content_type="text/html")
    bad = _bad_refresh(local_server, tmp_path, refreshed[0], not_json, "not valid JSON", in_process=True)
    run = bad.status[SOURCE]
    assert bad.failed and "not valid JSON" in bad.message and bad.after == bad.before
    assert run["last_run_status"] == "failed" and "not valid JSON" in run["last_error"]


# --- the fixture server answers POST, by body ---------------------------------------------------------


def _post(base_url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base_url}/v2/reports?appname=x", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def test_fixture_server_chooses_a_post_page_by_body() -> None:
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        page = _post(base_urls[SOURCE], {"filter": {"value": "gin"}, "limit": 2, "offset": 2, "query": {}})
    assert [report["id"] for report in page["data"]] == ["4051234"]  # type: ignore[index]


def test_fixture_server_falls_back_to_the_least_specific_post_route() -> None:
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        page = _post(base_urls[SOURCE], {"filter": {"value": "sen"}, "offset": 0, "query": {}})
    assert page["totalCount"] == 0


def test_fixture_server_does_not_answer_get_with_a_post_route() -> None:
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        url = f"{base_urls[SOURCE]}/v2/reports"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(url, timeout=5)


def test_fixture_server_still_answers_get_routes() -> None:
    with serve_fixtures({"who_gho": FIXTURES / "who_gho"}) as base_urls:
        url = f"{base_urls['who_gho']}/api/MH_6"
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert "value" in json.loads(answer.read())


def test_refresh_against_the_fixture_server_posts_every_country(tmp_path: Path) -> None:
    """What ``cobase demo`` does: many concurrent POSTs to the stdlib fixture server, none dropped."""
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        sources = sources_file(tmp_path, base_urls, keep=[SOURCE])  # all countries, page_size 100
        result = run_cli("refresh", "--sources", str(sources), db=database_url(tmp_path), env=WITH_APPNAME)
    assert result.returncode == 0, result.stderr


def test_report_without_primary_country_is_set_aside_and_counted(
    local_server: HTTPServer, tmp_path: Path
) -> None:
    """Issue 10: one report of a page has no primary country; the page's other report is stored."""
    page = json.loads((FIXTURES / SOURCE / "reports_GIN_offset0.json").read_bytes())
    page["data"][0]["fields"].pop("primary_country")
    page["totalCount"] = page["count"] = len(page["data"])
    forced = {REPORTS_PATH: Response(json.dumps(page), content_type="application/json")}
    fields = {SOURCE: {"page_size": 2, "params": {"countries": ["GIN"], "max_pages": 1}}}
    db = database_url(tmp_path)
    result = refresh_sources(local_server, tmp_path, db, [SOURCE], forced, fields, env=WITH_APPNAME)
    assert result.returncode == 0, result.stderr
    assert "rows set aside (report without a primary country: 1)" in " ".join(result.stderr.split())
    rows = observations(db, source=SOURCE)
    assert {row["dimension"].split(";")[0] for row in rows} == {"report=4099870"}
    assert {row["country_iso3"] for row in rows} == {"GIN"}
