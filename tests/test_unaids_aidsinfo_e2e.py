"""End to end: ``cobase refresh`` of UNAIDS AIDSinfo against a local server serving the recorded ZIPs.

The yearly ZIPs are served at their real paths (``/documents/<file>``) and an indicator-page export at a
mirror path; then bad input (a page that is not a ZIP, a missing round) fails the source clearly and
keeps what was stored before.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import run_cli, serve_routes, sources_file

pytestmark = pytest.mark.e2e

SOURCE = "unaids_aidsinfo"
EXPORT = {
    "path": "/exports/export_vl_suppressed_all_ages.csv",
    "indicator": "UNAIDS_VL_SUPPRESSED",
    "subgroup": "All ages",
}


def _sources(tmp: Path, base_url: str) -> Path:
    """sources.yml with only this source, on the local server, plus a mirrored indicator export."""
    path = sources_file(tmp, {SOURCE: base_url}, keep=[SOURCE])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][SOURCE]["params"]["exports"] = [EXPORT]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _observations(db: str, *args: str) -> list[dict[str, str]]:
    result = run_cli("observations", "--source", SOURCE, *args, db=db)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _status(db: str) -> dict[str, object]:
    result = run_cli("status", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return next(entry for entry in json.loads(result.stdout) if entry["source"] == SOURCE)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object, object]:
    """Two refreshes of the good recordings, shared by the read-only tests."""
    tmp = tmp_path_factory.mktemp("unaids")
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        serve_routes(server, [SOURCE])
        sources = _sources(tmp, server.url_for("").rstrip("/"))
        db = f"sqlite:///{tmp / 'cobase.db'}"
        first = run_cli("refresh", "--sources", str(sources), db=db)
        second = run_cli("refresh", "--sources", str(sources), db=db)
    finally:
        server.clear()
        server.stop()
    return db, first, second


def test_refresh_succeeds(refreshed) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_every_indicator_is_stored(refreshed) -> None:
    indicators = {row["indicator"] for row in _observations(refreshed[0])}
    assert indicators == {
        "UNAIDS_ART_COVERAGE",
        "UNAIDS_PLHIV",
        "UNAIDS_VL_SUPPRESSED",
        "UNAIDS_ARV_STOCKOUTS",
        "UNAIDS_NCPI_HIV_CRIMINALISATION",
    }


def test_stockouts_for_guinea_over_two_years(refreshed) -> None:
    rows = _observations(refreshed[0], "--country", "GIN", "--indicator", "UNAIDS_ARV_STOCKOUTS")
    assert sorted((row["period_start"], row["value"]) for row in rows) == [
        ("2021-01-01", "12.5"),
        ("2022-01-01", "8"),
    ]


def test_country_names_of_the_export_are_resolved(refreshed) -> None:
    rows = _observations(refreshed[0], "--indicator", "UNAIDS_VL_SUPPRESSED")
    assert {row["country_iso3"] for row in rows} >= {"DZA", "CIV", "GIN", "COD"}


def test_regions_and_global_are_not_stored(refreshed) -> None:
    iso3 = {row["country_iso3"] for row in _observations(refreshed[0])}
    assert iso3 == {"GIN", "CIV", "DZA", "BWA", "CMR", "COD"}


def test_zip_observations_carry_the_file_date_as_publication(refreshed) -> None:
    rows = _observations(refreshed[0], "--indicator", "UNAIDS_ARV_STOCKOUTS")
    assert {row["published_at"][:10] for row in rows} == {"2024-07-18"}


def test_law_is_stored_as_text(refreshed) -> None:
    rows = _observations(refreshed[0], "--country", "GIN", "--indicator", "UNAIDS_NCPI_HIV_CRIMINALISATION")
    assert [row["value"] for row in rows] == ["Yes"]


def test_second_refresh_adds_nothing(refreshed) -> None:
    db, _first, second = refreshed
    assert second.returncode == 0 and len(_observations(db, "--all-versions")) == len(_observations(db))


# --- bad input: the source fails clearly and loses nothing ---------------------------------------------


@pytest.fixture
def good_db(tmp_path: Path, httpserver: HTTPServer) -> tuple[str, list[dict[str, str]]]:
    serve_routes(httpserver, [SOURCE])
    db = f"sqlite:///{tmp_path / 'cobase.db'}"
    sources = _sources(tmp_path, httpserver.url_for("").rstrip("/"))
    result = run_cli("refresh", "--sources", str(sources), db=db)
    assert result.returncode == 0, result.stderr
    httpserver.clear()
    return db, _observations(db, "--all-versions")


BAD = {
    "certificate_error_page": (
        Response("<html><body>Your connection is not private</body></html>", content_type="text/html"),
        "is an HTML page, not an AIDSinfo ZIP or CSV",
    ),
    "truncated_zip": (
        Response(b"PK\x03\x04\x14\x00\x00\x00\x08\x00broken", content_type="application/zip"),
        "is not a readable ZIP archive",
    ),
    "round_not_published": (Response("Not Found", status=404), "HTTP 404"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_zip_fails_the_source_and_keeps_what_was_stored(case, tmp_path, httpserver, good_db) -> None:
    db, before = good_db
    response, expected = BAD[case]
    serve_routes(httpserver, [SOURCE], overrides={"/documents/GAM_2024_en.zip": response})
    result = run_cli(
        "refresh", "--sources", str(_sources(tmp_path, httpserver.url_for("").rstrip("/"))), db=db
    )
    status = _status(db)
    assert (
        result.returncode == 1
        and expected in result.stderr
        and status["last_run_status"] == "failed"
        and expected in str(status["last_error"])
        and _observations(db, "--all-versions") == before
    ), result.stderr
