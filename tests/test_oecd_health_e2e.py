"""End to end: ``cobase refresh`` of OECD Health Statistics against a local server serving the SDMX-JSON
fixtures at the real SDMX REST paths; then bad input (an SDMX error message, an answer without structure,
an HTTP 404): a clear message, exit code 1, a failed run, and nothing stored before lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cobase.fixture_server import load_routes
from tests.e2e import (
    FIXTURES,
    BadRefresh,
    good_then_bad_refresh,
    observations,
    refresh_twice,
    status,
)

pytestmark = pytest.mark.e2e

SOURCE = "oecd_health"
SHA_PATH = next(route.path for route in load_routes(FIXTURES / SOURCE) if "DF_SHA" in route.path)
PHYS_PATH = next(route.path for route in load_routes(FIXTURES / SOURCE) if "DF_PHYS" in route.path)
SDMX_JSON = "application/vnd.sdmx.data+json; charset=utf-8; version=1.0"

BAD_RESPONSES = {
    "sdmx_error": (
        Response((FIXTURES / SOURCE / "bad_error_message.json").read_bytes(), content_type=SDMX_JSON),
        "with an error: 150 Semantic Error",
    ),
    "no_structure": (
        Response((FIXTURES / SOURCE / "bad_no_structure.json").read_bytes(), content_type=SDMX_JSON),
        "is not an SDMX-JSON message: no structure with dimensions",
    ),
    "no_results_404": (Response("NoResultsFound", status=404), "HTTP 404"),
}


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any, Any]:
    """Two good refreshes of one database: the first stores, the second must add nothing."""
    return refresh_twice(local_server, tmp_path_factory.mktemp("oecd"), [SOURCE])


@pytest.fixture(scope="module", params=sorted(BAD_RESPONSES))
def bad_refresh(
    request: pytest.FixtureRequest, local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> BadRefresh:
    """A good refresh, then one where the health-spending query answers badly; what each left behind."""
    response, expected = BAD_RESPONSES[request.param]
    tmp = tmp_path_factory.mktemp(f"oecd_{request.param}")
    return good_then_bad_refresh(local_server, tmp, [SOURCE], SHA_PATH, response, expected)


def test_first_refresh_succeeds(refreshed: tuple[str, Any, Any]) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_both_indicators_are_stored(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], source=SOURCE)
    assert {row["indicator"] for row in rows} == {"SHA_HF3_PT_EXP_HLTH", "PHYS_PRACT_10P3HB"}


def test_turkiye_out_of_pocket_share_2021(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(
        refreshed[0], "--country", "Turquie", "--indicator", "SHA_HF3_PT_EXP_HLTH", source=SOURCE
    )
    assert {
        (row["period_start"], row["value"], row["unit"])
        for row in rows
        if row["period_start"] == "2021-01-01"
    } == {("2021-01-01", "15.9", "%")}


def test_no_publication_date_is_invented(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["published_at"] for row in observations(refreshed[0], source=SOURCE)} == {""}


def test_second_refresh_adds_nothing(refreshed: tuple[str, Any, Any]) -> None:
    db, _first, second = refreshed
    all_versions, current = observations(db, "--all-versions", source=SOURCE), observations(db, source=SOURCE)
    assert second.returncode == 0 and len(all_versions) == len(current)


def test_status_reports_success(refreshed: tuple[str, Any, Any]) -> None:
    assert status(refreshed[0])[SOURCE]["last_run_status"] == "success"


def test_bad_input_fails_with_a_clear_message(bad_refresh: BadRefresh) -> None:
    assert bad_refresh.result.returncode == 1 and bad_refresh.expected in bad_refresh.stderr_one_line


def test_bad_input_loses_nothing_stored_before(bad_refresh: BadRefresh) -> None:
    assert bad_refresh.before and bad_refresh.after == bad_refresh.before


def test_bad_input_is_recorded_as_a_failed_run(bad_refresh: BadRefresh) -> None:
    run = bad_refresh.status[SOURCE]
    assert run["last_run_status"] == "failed" and bad_refresh.expected in " ".join(run["last_error"].split())


def test_gdp_served_at_the_physicians_path_is_refused_and_nothing_is_stored(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The real failure of issue 10: a GDP SDMX-CSV answered at the physicians' query."""
    body = (FIXTURES / SOURCE / "bad_gdp_other_dataflow.csv").read_bytes()
    response = Response(body, content_type="application/vnd.sdmx.data+csv; charset=utf-8")
    expected = "holds dataflow OECD.SDD.NAD:DSD_NAMAIN1@DF_QNA(1.1), not the"
    bad = good_then_bad_refresh(
        local_server, tmp_path_factory.mktemp("oecd_gdp"), [SOURCE], PHYS_PATH, response, expected
    )
    assert bad.result.returncode == 1 and expected in bad.stderr_one_line
    assert "refused" in bad.stderr_one_line
    assert bad.after == bad.before and not [row for row in bad.after if row["value"] == "7256142400000"]
    assert bad.status[SOURCE]["last_run_status"] == "failed"
