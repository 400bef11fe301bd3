"""End to end: ``cobase refresh`` against a local HTTP server serving recorded responses at real paths.

Then ``status`` and ``observations``, idempotency, and bad input: each failure gives a clear message and
a failed run, and what was stored before stays intact.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import (
    BadRefresh,
    base_url,
    database_url,
    good_then_bad_refresh,
    observations,
    refresh_twice,
    run_cli,
    sources_file,
    status,
)

pytestmark = pytest.mark.e2e

SOURCES = ["who_gho", "worldbank_wdi"]
CSV_HEADER = (
    "country_iso3,source,indicator,dimension,period_start,period_end,value,unit,published_at,retrieved_at,"
    "snapshot_sha256,url,item,quote"
)


@pytest.fixture(scope="module")
def refreshed(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, object, object]:
    """Two good refreshes of every source, shared by the read-only tests below."""
    return refresh_twice(local_server, tmp_path_factory.mktemp("refreshed"), SOURCES)


def test_first_refresh_succeeds(refreshed) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_summary_names_every_source(refreshed) -> None:
    _db, first, _second = refreshed
    assert all(key in first.stdout for key in SOURCES)


def test_observations_csv_header_is_exact(refreshed) -> None:
    db = refreshed[0]
    result = run_cli("observations", db=db)
    assert result.stdout.splitlines()[0] == CSV_HEADER


def test_observations_from_both_sources(refreshed) -> None:
    rows = observations(refreshed[0])
    assert {row["source"] for row in rows} == set(SOURCES)


def test_every_observation_has_provenance(refreshed) -> None:
    rows = observations(refreshed[0])
    assert all(
        # Fetched from the local server, shown on the producer's own public address (never 127.0.0.1).
        row["snapshot_sha256"] and row["url"].startswith("https://") and row["retrieved_at"]
        for row in rows
    )


def test_aggregates_are_not_stored(refreshed) -> None:
    rows = observations(refreshed[0])
    assert not {row["country_iso3"] for row in rows} & {"WLD", "AFE", "SSF", "AFR", "GLOBAL"}


def test_country_filter_accepts_french_name(refreshed) -> None:
    rows = observations(refreshed[0], country="Guinée")
    assert rows and {row["country_iso3"] for row in rows} == {"GIN"}


def test_country_filter_accepts_iso2_and_typo(refreshed) -> None:
    by_code = observations(refreshed[0], country="gn")
    by_typo = observations(refreshed[0], country="Guinee")
    assert by_code == by_typo


def test_json_format_has_the_csv_columns(refreshed) -> None:
    result = run_cli("observations", "--format", "json", "--source", "who_gho", db=refreshed[0])
    rows = json.loads(result.stdout)
    assert rows and list(rows[0]) == CSV_HEADER.split(",")


def test_status_reports_success_and_counts(refreshed) -> None:
    by_source = status(refreshed[0])
    rows = observations(refreshed[0])
    for key in SOURCES:
        assert by_source[key]["last_success_at"] and by_source[key]["observations"] == sum(
            row["source"] == key for row in rows
        )


def test_status_has_newest_period_and_publication(refreshed) -> None:
    by_source = status(refreshed[0])
    assert all(by_source[key]["newest_period"] and by_source[key]["newest_published_at"] for key in SOURCES)


def test_second_refresh_adds_nothing(refreshed) -> None:
    db, _first, second = refreshed
    assert second.returncode == 0, second.stderr
    all_versions = observations(db, all_versions=True)
    current = observations(db)
    assert len(all_versions) == len(current)


def test_unknown_country_is_a_clear_error(refreshed) -> None:
    result = run_cli("observations", "--country", "Atlantide", db=refreshed[0])
    assert result.returncode == 2 and "Atlantide" in result.stderr


# --- bad input: each source failure is clear, recorded, and loses nothing stored before ---------------


WB_PATH = "/v2/country/all/indicator/SH.MED.PHYS.ZS"
WHO_PATH = "/api/MH_6"

BAD_RESPONSES = {
    "http_500": (WB_PATH, Response("boom", status=500), "HTTP 500"),
    "invalid_json": (WHO_PATH, Response("{not json", status=200, content_type="application/json"), "JSON"),
    "empty_body": (WHO_PATH, Response(b"", status=200, content_type="application/json"), "empty"),
    "missing_fields": (
        WHO_PATH,
        Response(
            json.dumps({"value": [{"Id": 1, "IndicatorCode": "MH_6"}]}), content_type="application/json"
        ),
        "SpatialDim",
    ),
}


@pytest.fixture(scope="module", params=sorted(BAD_RESPONSES))
def bad_refresh(
    request: pytest.FixtureRequest,
    local_server: HTTPServer,
    tmp_path_factory: pytest.TempPathFactory,
    refreshed: tuple[str, object, object],
) -> BadRefresh:
    """A copy of the refreshed store, then a bad answer: ``http_500`` through ``cobase refresh`` (exit
    code, stderr), the others through the refresh path in-process."""
    path, response, expected = BAD_RESPONSES[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    return good_then_bad_refresh(
        local_server,
        tmp,
        SOURCES,
        path,
        response,
        expected,
        good_store=refreshed[0],
        in_process=request.param != "http_500",
    )


def test_bad_response_fails_the_refresh_with_a_clear_message(bad_refresh: BadRefresh) -> None:
    assert bad_refresh.failed and bad_refresh.expected.lower() in bad_refresh.message.lower()


def test_bad_response_loses_nothing_stored_before(bad_refresh: BadRefresh) -> None:
    assert bad_refresh.after == bad_refresh.before


def test_bad_response_is_recorded_as_a_failed_run(bad_refresh: BadRefresh) -> None:
    failed = "worldbank_wdi" if bad_refresh.path == WB_PATH else "who_gho"
    run = bad_refresh.status[failed]
    assert (
        run["last_run_status"] == "failed" and bad_refresh.expected.lower() in str(run["last_error"]).lower()
    )


def test_a_failing_source_does_not_stop_the_other(bad_refresh: BadRefresh) -> None:
    other = "who_gho" if bad_refresh.path == WB_PATH else "worldbank_wdi"
    assert bad_refresh.status[other]["last_run_status"] == "success"


def test_timeout_is_a_clear_failure(tmp_path: Path, httpserver: HTTPServer) -> None:
    def slow(_request):
        time.sleep(3)
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/api/MH_6").respond_with_handler(slow)
    sources = sources_file(tmp_path, {"who_gho": base_url(httpserver)}, keep=["who_gho"])
    db = database_url(tmp_path)
    result = run_cli(
        "refresh", "--sources", str(sources), db=db, scrapy={"DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 0}
    )
    assert result.returncode == 1 and "timeout" in result.stderr.lower(), result.stderr


def test_unknown_source_key_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("refresh", "nosuchsource", db=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2 and "nosuchsource" in result.stderr


def test_broken_sources_file_names_the_key(tmp_path: Path) -> None:
    broken = tmp_path / "sources.yml"
    broken.write_text(
        "sources:\n  who_gho:\n    producer: WHO\n    title: t\n    kind: api\n    url_main: u\n"
        "    base_url: http://127.0.0.1:9\n    licence: {name: x, url: y}\n    citation: c\n"
        "    update_cadence: monthly\n    colour: blue\n",
        encoding="utf-8",
    )
    result = run_cli("refresh", "--sources", str(broken), db=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2 and "who_gho" in result.stderr and "colour" in result.stderr
