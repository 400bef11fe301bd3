"""End to end: ``cobase refresh`` of the Global Fund source against a local server.

A PQR transaction export is served at its path; then bad input fails the source clearly and keeps what
was stored. Grant disbursements are retired (issue 10): nothing of the data service is fetched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import good_then_bad_refresh, observations, refresh_twice

pytestmark = pytest.mark.e2e

SOURCE = "globalfund_pqr"
PQR_PATH = "/pqr/pqr_transactions.csv"
SOURCE_FIELDS = {SOURCE: {"params": {"pqr_exports": [PQR_PATH]}}}  # the PQR export configured


@pytest.fixture(scope="module")
def refreshed(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, object, object]:
    """Two refreshes of the good recordings, shared by the read-only tests."""
    return refresh_twice(local_server, tmp_path_factory.mktemp("globalfund"), [SOURCE], SOURCE_FIELDS)


def test_refresh_succeeds(refreshed) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_every_indicator_is_stored(refreshed) -> None:
    rows = observations(refreshed[0], source=SOURCE)
    assert {row["indicator"] for row in rows} == {
        "PQR_UNIT_COST_USD",
        "PQR_DELIVERY_DELAY_DAYS",
        "PQR_DELIVERED_QUANTITY",
        "PQR_PACK_COST_USD",
        # one record set per delivered transaction (the delivery timeline)
        "SUPPLY_DELIVERY_DELAY_DAYS",
        "SUPPLY_UNIT_PRICE_USD",
        "SUPPLY_PACK_PRICE_USD",
        "SUPPLY_DELIVERED_PACKS",
        "SUPPLY_LINE_VALUE_USD",
    }


def test_tld_deliveries_to_guinea_per_month(refreshed) -> None:
    rows = observations(refreshed[0], country="GIN", indicator="PQR_DELIVERED_QUANTITY", source=SOURCE)
    assert sorted((row["period_start"], row["dimension"], row["value"]) for row in rows) == [
        ("2023-04-01", "STRENGTH_FORM=300mg+300mg+50mg - Tablet", "15000"),
        ("2023-05-01", "STRENGTH_FORM=10mg - Tablet for oral suspension", "400"),
        ("2023-05-01", "STRENGTH_FORM=50mg - Tablet", "2000"),
    ]


def test_only_countries_are_stored(refreshed) -> None:
    rows = observations(refreshed[0], source=SOURCE)
    assert {row["country_iso3"] for row in rows} == {"GIN", "CIV", "CMR"}


def test_no_publication_date_is_invented(refreshed) -> None:
    assert {row["published_at"] for row in observations(refreshed[0], source=SOURCE)} == {""}


def test_units_come_from_the_registry(refreshed) -> None:
    rows = observations(refreshed[0], indicator="PQR_DELIVERY_DELAY_DAYS", source=SOURCE)
    assert {row["unit"] for row in rows} == {"days"}


def test_second_refresh_adds_nothing(refreshed) -> None:
    db, _first, second = refreshed
    all_versions, current = (
        observations(db, all_versions=True, source=SOURCE),
        observations(db, source=SOURCE),
    )
    assert second.returncode == 0 and len(all_versions) == len(current)


# --- bad input: the source fails clearly and loses nothing ---------------------------------------------


BAD = {
    "service_error": (PQR_PATH, Response("busy", status=500), "HTTP 500"),
    "data_service_json_instead_of_export": (
        PQR_PATH,
        Response('{"value": []}', content_type="application/json"),
        "Global Fund grant disbursements are no longer read",
    ),
    "export_schema_changed": (
        PQR_PATH,
        Response("Country,Product,Price\nGuinea,TLD,0.06\n", content_type="text/csv"),
        "is not a PQR transaction export: no column",
    ),
}


THROUGH_CLI = "service_error"
"""The bad answer that runs ``cobase refresh`` (exit code, stderr); the others go through the refresh path
in-process, from a copy of the refreshed store."""


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_fails_the_source_and_keeps_what_was_stored(
    case: str, tmp_path: Path, local_server: HTTPServer, refreshed
) -> None:
    path, response, expected = BAD[case]
    bad = good_then_bad_refresh(
        local_server,
        tmp_path,
        [SOURCE],
        path,
        response,
        expected,
        extra_source_fields=SOURCE_FIELDS,
        good_store=refreshed[0],
        in_process=case != THROUGH_CLI,
    )
    run = bad.status[SOURCE]
    assert (
        bad.failed
        and expected in bad.message
        and run["last_run_status"] == "failed"
        and expected in str(run["last_error"])
        and bad.after == bad.before
    ), bad.message
