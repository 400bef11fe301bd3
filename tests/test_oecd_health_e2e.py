"""End to end: ``cobase refresh`` of OECD Health Statistics against a local server serving the SDMX-JSON
fixtures at the real SDMX REST paths; then bad input (an SDMX error message, an answer without structure,
an HTTP 404): a clear message, exit code 1, a failed run, and nothing stored before lost.
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

from cobase.fixture_server import load_routes
from tests.e2e import FIXTURES, run_cli, serve_routes, sources_file

pytestmark = pytest.mark.e2e

SOURCE = "oecd_health"
SHA_PATH = next(route.path for route in load_routes(FIXTURES / SOURCE) if "DF_SHA" in route.path)
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
    tmp = tmp_path_factory.mktemp("oecd")
    db = f"sqlite:///{tmp / 'cobase.db'}"
    return db, _refresh(server, tmp, db), _refresh(server, tmp, db)


@pytest.fixture(scope="module", params=sorted(BAD_RESPONSES))
def bad_refresh(
    request: pytest.FixtureRequest, server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A good refresh, then one where the health-spending query answers badly; what each left behind."""
    response, expected = BAD_RESPONSES[request.param]
    tmp = tmp_path_factory.mktemp(f"oecd_{request.param}")
    db = f"sqlite:///{tmp / 'cobase.db'}"
    assert _refresh(server, tmp, db).returncode == 0
    before = _observations(db, "--all-versions")
    result = _refresh(server, tmp, db, overrides={SHA_PATH: response})
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


def test_both_indicators_are_stored(refreshed: tuple[str, Any, Any]) -> None:
    rows = _observations(refreshed[0])
    assert {row["indicator"] for row in rows} == {"SHA_HF3_PT_EXP_HLTH", "PHYS_PRACT_10P3HB"}


def test_turkiye_out_of_pocket_share_2021(refreshed: tuple[str, Any, Any]) -> None:
    rows = _observations(refreshed[0], "--country", "Turquie", "--indicator", "SHA_HF3_PT_EXP_HLTH")
    assert {
        (row["period_start"], row["value"], row["unit"])
        for row in rows
        if row["period_start"] == "2021-01-01"
    } == {("2021-01-01", "15.9", "%")}


def test_no_publication_date_is_invented(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["published_at"] for row in _observations(refreshed[0])} == {""}


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
