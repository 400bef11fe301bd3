"""End to end: ``cobase refresh`` of the USAID SCMS delivery history against a local server serving the
fixture CSV at the data catalogue's export path; then bad input (an HTML maintenance page, a file without
the delivery columns, an HTTP error): a clear message, exit code 1, a failed run, nothing stored before lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import FIXTURES, BadRefresh, good_then_bad_refresh, observations, refresh_twice, status

pytestmark = pytest.mark.e2e

SOURCE = "usaid_scms"
CSV_PATH = "/api/views/a3rc-nmf6/rows.csv"
HTML = (FIXTURES / SOURCE / "bad_html_page.csv").read_bytes()

BAD_RESPONSES = {
    "html_page": (Response(HTML, status=200, content_type="text/html"), "is an HTML page"),
    "missing_columns": (
        Response((FIXTURES / SOURCE / "bad_missing_columns.csv").read_bytes(), content_type="text/csv"),
        "no column 'scheduled delivery date'",
    ),
    "http_500": (Response("boom", status=500), "HTTP 500"),
}


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any, Any]:
    """Two good refreshes of one database: the first stores, the second must add nothing."""
    return refresh_twice(local_server, tmp_path_factory.mktemp("usaid_scms"), [SOURCE])


@pytest.fixture(scope="module", params=sorted(BAD_RESPONSES))
def bad_refresh(
    request: pytest.FixtureRequest, local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> BadRefresh:
    """A good refresh, then one where the CSV's URL answers badly; what each left behind."""
    response, expected = BAD_RESPONSES[request.param]
    tmp = tmp_path_factory.mktemp(f"usaid_scms_{request.param}")
    return good_then_bad_refresh(local_server, tmp, [SOURCE], CSV_PATH, response, expected)


def test_first_refresh_succeeds(refreshed: tuple[str, Any, Any]) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_every_delivered_line_is_stored(refreshed: tuple[str, Any, Any]) -> None:
    # 5 delivered lines of catalogue molecules x 6 indicators (the HIV test line is set aside).
    assert len(observations(refreshed[0], source=SOURCE)) == 30


def test_countries_are_resolved_from_names(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["country_iso3"] for row in observations(refreshed[0], source=SOURCE)} == {"CIV", "COD", "CMR"}


def test_civ_delays_by_delivery_day(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(
        refreshed[0], "--country", "Côte d'Ivoire", "--indicator", "SUPPLY_DELIVERY_DELAY_DAYS", source=SOURCE
    )
    assert sorted((row["period_start"], row["value"]) for row in rows) == [
        ("2012-05-18", "18"),
        ("2012-10-02", "-13"),
        ("2013-06-20", "20"),
    ]


def test_prices_keep_their_units(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], "--country", "CMR", source=SOURCE)
    units = {row["indicator"]: (row["value"], row["unit"]) for row in rows}
    assert (units["SUPPLY_UNIT_PRICE_USD"], units["SUPPLY_PACK_PRICE_USD"]) == (
        ("0.37", "US$ per unit"),
        ("11.15", "US$ per pack"),
    )


def test_text_cells_stay_text(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(
        refreshed[0], "--country", "COD", "--indicator", "SUPPLY_FREIGHT_COST_USD", source=SOURCE
    )
    assert [row["value"] for row in rows] == ["Invoiced Separately"]


def test_no_publication_date_is_invented(refreshed: tuple[str, Any, Any]) -> None:
    assert not any(row["published_at"] for row in observations(refreshed[0], source=SOURCE))


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
