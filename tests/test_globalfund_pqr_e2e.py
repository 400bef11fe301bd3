"""End to end: ``cobase refresh`` of the Global Fund source against a local server.

The data service's disbursements view (two pages, linked by ``@odata.nextLink``) and a PQR transaction
export are served at their paths; then bad input fails the source clearly and keeps what was stored.
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

SOURCE = "globalfund_pqr"
DISBURSEMENTS_PATH = "/v3.3/odata/VGrantAgreementDisbursements"
PQR_PATH = "/pqr/pqr_transactions.csv"


def _sources(tmp: Path, base_url: str) -> Path:
    """sources.yml with only this source, on the local server, with the PQR export configured."""
    path = sources_file(tmp, {SOURCE: base_url}, keep=[SOURCE])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][SOURCE]["params"]["pqr_exports"] = [PQR_PATH]
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
    tmp = tmp_path_factory.mktemp("globalfund")
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
    assert {row["indicator"] for row in _observations(refreshed[0])} == {
        "PQR_UNIT_COST_USD",
        "PQR_DELIVERY_DELAY_DAYS",
        "PQR_DELIVERED_QUANTITY",
        "GF_DISBURSEMENTS_USD",
    }


def test_second_disbursement_page_is_followed(refreshed) -> None:
    rows = _observations(refreshed[0], "--country", "COD", "--indicator", "GF_DISBURSEMENTS_USD")
    assert [(row["dimension"], row["value"]) for row in rows] == [("COMPONENT=HIV/AIDS", "98000000.25")]


def test_tld_deliveries_to_guinea_per_month(refreshed) -> None:
    rows = _observations(refreshed[0], "--country", "GIN", "--indicator", "PQR_DELIVERED_QUANTITY")
    assert sorted((row["period_start"], row["dimension"], row["value"]) for row in rows) == [
        ("2023-04-01", "STRENGTH_FORM=300mg+300mg+50mg - Tablet", "15000"),
        ("2023-05-01", "STRENGTH_FORM=10mg - Tablet for oral suspension", "400"),
        ("2023-05-01", "STRENGTH_FORM=50mg - Tablet", "2000"),
    ]


def test_only_countries_are_stored(refreshed) -> None:
    assert {row["country_iso3"] for row in _observations(refreshed[0])} == {"GIN", "CIV", "CMR", "COD"}


def test_no_publication_date_is_invented(refreshed) -> None:
    assert {row["published_at"] for row in _observations(refreshed[0])} == {""}


def test_units_come_from_the_registry(refreshed) -> None:
    rows = _observations(refreshed[0], "--indicator", "PQR_DELIVERY_DELAY_DAYS")
    assert {row["unit"] for row in rows} == {"days"}


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
    "service_error": (DISBURSEMENTS_PATH, Response("busy", status=500), "HTTP 500"),
    "service_ignores_aggregation": (
        DISBURSEMENTS_PATH,
        Response(
            json.dumps({"value": [{"geographicAreaCode_ISO3": "GIN", "disbursementAmount": 1.0}]}),
            content_type="application/json",
        ),
        "row 1 has no 'componentName', 'disbursementYear', 'disbursed'",
    ),
    "export_schema_changed": (
        PQR_PATH,
        Response("Country,Product,Price\nGuinea,TLD,0.06\n", content_type="text/csv"),
        "is not a PQR transaction export: no column",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_fails_the_source_and_keeps_what_was_stored(case, tmp_path, httpserver, good_db) -> None:
    db, before = good_db
    path, response, expected = BAD[case]
    serve_routes(httpserver, [SOURCE], overrides={path: response})
    sources = _sources(tmp_path, httpserver.url_for("").rstrip("/"))
    result = run_cli("refresh", "--sources", str(sources), db=db)
    status = _status(db)
    assert (
        result.returncode == 1
        and expected in result.stderr
        and status["last_run_status"] == "failed"
        and expected in str(status["last_error"])
        and _observations(db, "--all-versions") == before
    ), result.stderr
