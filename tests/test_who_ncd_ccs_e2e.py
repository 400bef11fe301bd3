"""End to end: ``cobase refresh`` of the WHO NCD Country Capacity Survey against a local server serving the
fixture ZIP at the GHO bulk-download path; then bad input (a body that is not a ZIP, a ZIP without the
answers file, an HTTP error): a clear message, exit code 1, a failed run, and nothing stored before lost.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import FIXTURES, run_cli, serve_routes, sources_file

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


def _observations(db: str, *args: str) -> list[dict[str, str]]:
    result = run_cli("observations", "--source", SOURCE, *args, db=db)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _status(db: str) -> dict[str, Any]:
    result = run_cli("status", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return next(entry for entry in json.loads(result.stdout) if entry["source"] == SOURCE)


def _refresh(server: HTTPServer, tmp: Path, db: str, overrides: dict[str, Response] | None = None) -> Any:
    server.clear()
    serve_routes(server, [SOURCE], overrides=overrides)
    sources = sources_file(tmp, {SOURCE: server.url_for("").rstrip("/")}, keep=[SOURCE])
    return run_cli("refresh", "--sources", str(sources), db=db)


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    httpserver = HTTPServer(host="127.0.0.1", port=0)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    httpserver.stop()


@pytest.fixture(scope="module")
def refreshed(server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any, Any]:
    """Two good refreshes of one database: the first stores, the second must add nothing."""
    tmp = tmp_path_factory.mktemp("ncd_ccs")
    db = f"sqlite:///{tmp / 'cobase.db'}"
    return db, _refresh(server, tmp, db), _refresh(server, tmp, db)


@pytest.fixture(scope="module", params=sorted(BAD_RESPONSES))
def bad_refresh(
    request: pytest.FixtureRequest, server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A good refresh, then one where the ZIP's URL answers badly; what each left behind."""
    response, expected = BAD_RESPONSES[request.param]
    tmp = tmp_path_factory.mktemp(f"ncd_ccs_{request.param}")
    db = f"sqlite:///{tmp / 'cobase.db'}"
    assert _refresh(server, tmp, db).returncode == 0
    before = _observations(db, "--all-versions")
    result = _refresh(server, tmp, db, overrides={ZIP_PATH: response})
    return {
        "result": result,
        "stderr": " ".join(result.stderr.split()),
        "expected": expected,
        "before": before,
        "after": _observations(db, "--all-versions"),
        "status": _status(db),
    }


def test_first_refresh_succeeds(refreshed: tuple[str, Any, Any]) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_every_answer_of_the_fixture_is_stored(refreshed: tuple[str, Any, Any]) -> None:
    assert len(_observations(refreshed[0])) == 18


def test_guinea_insulin_answer_of_2021(refreshed: tuple[str, Any, Any]) -> None:
    rows = _observations(refreshed[0], "--country", "Guinée", "--indicator", "NCD_CCS_Insulin")
    assert {(row["period_start"], row["value"]) for row in rows} == {
        ("2019-01-01", "No"),
        ("2021-01-01", "Yes"),
    }


def test_observations_carry_who_publication_date(refreshed: tuple[str, Any, Any]) -> None:
    assert all(row["published_at"] for row in _observations(refreshed[0]))


def test_observations_carry_the_unit_of_the_registry(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["unit"] for row in _observations(refreshed[0])} == {"answer (Yes/No)"}


def test_second_refresh_adds_nothing(refreshed: tuple[str, Any, Any]) -> None:
    db, _first, second = refreshed
    assert second.returncode == 0 and len(_observations(db, "--all-versions")) == len(_observations(db))


def test_status_reports_success(refreshed: tuple[str, Any, Any]) -> None:
    assert _status(refreshed[0])["last_run_status"] == "success"


def test_bad_input_fails_with_a_clear_message(bad_refresh: dict[str, Any]) -> None:
    assert bad_refresh["result"].returncode == 1 and bad_refresh["expected"] in bad_refresh["stderr"]


def test_bad_input_loses_nothing_stored_before(bad_refresh: dict[str, Any]) -> None:
    assert bad_refresh["before"] and bad_refresh["after"] == bad_refresh["before"]


def test_bad_input_is_recorded_as_a_failed_run(bad_refresh: dict[str, Any]) -> None:
    status = bad_refresh["status"]
    assert status["last_run_status"] == "failed" and bad_refresh["expected"] in " ".join(
        status["last_error"].split()
    )
