"""End to end: ``cobase refresh`` of a PQR "Transaction Summary" crosstab (real header names, country names,
``19-Mar-09`` dates) served on a local server, then the delivery timeline it gives, alone and together with
the USAID SCMS deliveries ("livraisons financées par le PEPFAR / le Fonds mondial").
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cobase import present
from cobase.db import open_store, session_scope
from cobase.evidence.deliveries import delivery_timelines
from cobase.evidence.engine import assess
from tests.e2e import observations, refresh_sources

pytestmark = pytest.mark.e2e

SUMMARY_PATH = "/pqr/pqr_transaction_summary.csv"
FIELDS = {"globalfund_pqr": {"params": {"pqr_exports": [SUMMARY_PATH]}}}


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    tmp = tmp_path_factory.mktemp("pqr_summary")
    db = f"sqlite:///{tmp / 'cobase.db'}"
    result = refresh_sources(
        local_server, tmp, db, ["globalfund_pqr", "usaid_scms"], extra_source_fields=FIELDS
    )
    return db, result


def test_refresh_succeeds(refreshed: tuple[str, Any]) -> None:
    _db, result = refreshed
    assert result.returncode == 0, result.stdout + result.stderr


def test_country_names_are_resolved(refreshed: tuple[str, Any]) -> None:
    rows = observations(refreshed[0], indicator="SUPPLY_DELIVERY_DELAY_DAYS", source="globalfund_pqr")
    assert sorted((row["country_iso3"], row["period_start"], row["value"]) for row in rows) == [
        ("CIV", "2016-05-18", "18"),
        ("CIV", "2016-12-02", "-13"),
        ("GIN", "2020-06-30", "15"),
    ]


def test_pack_and_unit_prices_keep_their_units(refreshed: tuple[str, Any]) -> None:
    rows = observations(refreshed[0], country="GIN", indicator="PQR_PACK_COST_USD", source="globalfund_pqr")
    assert sorted((row["period_start"], row["value"], row["unit"]) for row in rows) == [
        ("2020-06-01", "15.75", "US$ per pack"),
        ("2020-09-01", "5.4", "US$ per pack"),
    ]


def test_timeline_joins_pepfar_and_global_fund_deliveries(refreshed: tuple[str, Any]) -> None:
    with session_scope(open_store(refreshed[0])) as session:
        assessment = assess("CIV", "hiv", ["TDF/3TC/EFV"], date(2026, 1, 1), session=session)
    [timeline] = delivery_timelines(assessment)
    # SCMS fixture: 18/05/2012, 02/10/2012, 20/06/2013; PQR: 18/05/2016, 02/12/2016.
    assert (timeline.count, timeline.sources, timeline.last_delivery) == (
        5,
        ["globalfund_pqr", "usaid_scms"],
        date(2016, 12, 2),
    )
    assert (
        present.delivery_funders(timeline.sources) == "livraisons financées par le PEPFAR / le Fonds mondial"
    )


def test_longest_gap_spans_the_two_funders(refreshed: tuple[str, Any]) -> None:
    with session_scope(open_store(refreshed[0])) as session:
        assessment = assess("CIV", "hiv", ["TDF/3TC/EFV"], date(2026, 1, 1), session=session)
    gap = delivery_timelines(assessment)[0].longest_gap
    assert gap is not None and (gap.start, gap.end, gap.days) == (date(2013, 6, 20), date(2016, 5, 18), 1063)
