"""End to end: ``cobase refresh`` of the WHO NCD Country Capacity Survey against a local server serving the
fixture ZIP at the GHO bulk-download path; then bad input (a body that is not a ZIP, a ZIP without the
answers file, an HTTP error): a clear message, exit code 1, a failed run, and nothing stored before lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import (
    FIXTURES,
    BadRefresh,
    good_then_bad_refresh,
    observations,
    refresh_twice,
    status,
)

pytestmark = pytest.mark.e2e

SOURCE = "who_ncd_ccs"
ZIP_PATH = "/ghocontainer/noncommunicable-diseases.zip"
HTML = b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>"

BAD_RESPONSES = {
    "not_a_zip": (
        Response(HTML, status=200, content_type="text/html"),
        "is neither a GHO bulk ZIP nor a GHO CSV",
    ),
    "zip_without_answers": (
        Response(
            (FIXTURES / SOURCE / "bad_zip_without_data.zip").read_bytes(), content_type="application/zip"
        ),
        "has no data/NCDCCS_COUNTRYRESPONSE.csv",
    ),
    "http_500": (Response("boom", status=500), "HTTP 500"),
}


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any, Any]:
    """Two good refreshes of one database: the first stores, the second must add nothing."""
    return refresh_twice(local_server, tmp_path_factory.mktemp("ncd_ccs"), [SOURCE])


@pytest.fixture(scope="module", params=sorted(BAD_RESPONSES))
def bad_refresh(
    request: pytest.FixtureRequest, local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> BadRefresh:
    """A good refresh, then one where the ZIP's URL answers badly; what each left behind."""
    response, expected = BAD_RESPONSES[request.param]
    tmp = tmp_path_factory.mktemp(f"ncd_ccs_{request.param}")
    return good_then_bad_refresh(local_server, tmp, [SOURCE], ZIP_PATH, response, expected)


def test_first_refresh_succeeds(refreshed: tuple[str, Any, Any]) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_every_answer_of_the_fixture_is_stored(refreshed: tuple[str, Any, Any]) -> None:
    assert len(observations(refreshed[0], source=SOURCE)) == 18


def test_guinea_insulin_answer_of_2021(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], "--country", "Guinée", "--indicator", "NCD_CCS_Insulin", source=SOURCE)
    assert {(row["period_start"], row["value"]) for row in rows} == {
        ("2019-01-01", "No"),
        ("2021-01-01", "Yes"),
    }


def test_observations_carry_who_publication_date(refreshed: tuple[str, Any, Any]) -> None:
    assert all(row["published_at"] for row in observations(refreshed[0], source=SOURCE))


def test_observations_carry_the_unit_of_the_registry(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["unit"] for row in observations(refreshed[0], source=SOURCE)} == {"answer (Yes/No)"}


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
