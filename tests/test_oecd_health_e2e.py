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
    good_then_bad_refresh,
    observations,
)

# The checks every source passes (tests.source_e2e), collected here and run with this module's fixtures.
from tests.source_e2e import *  # noqa: F403
from tests.source_e2e import source_fixtures

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


refreshed, bad_refresh = source_fixtures(SOURCE, SHA_PATH, BAD_RESPONSES)


def test_both_indicators_are_stored(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], source=SOURCE)
    assert {row["indicator"] for row in rows} == {"SHA_HF3_PT_EXP_HLTH", "PHYS_PRACT_10P3HB"}


def test_turkiye_out_of_pocket_share_2021(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], country="Turquie", indicator="SHA_HF3_PT_EXP_HLTH", source=SOURCE)
    assert {
        (row["period_start"], row["value"], row["unit"])
        for row in rows
        if row["period_start"] == "2021-01-01"
    } == {("2021-01-01", "15.9", "%")}


def test_no_publication_date_is_invented(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["published_at"] for row in observations(refreshed[0], source=SOURCE)} == {""}


def test_gdp_served_at_the_physicians_path_is_refused_and_nothing_is_stored(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory, refreshed: tuple[str, Any, Any]
) -> None:
    """The real failure of issue 10: a GDP SDMX-CSV answered at the physicians' query (in-process, from a
    copy of the refreshed store; the module's no_results_404 runs ``cobase refresh``)."""
    body = (FIXTURES / SOURCE / "bad_gdp_other_dataflow.csv").read_bytes()
    response = Response(body, content_type="application/vnd.sdmx.data+csv; charset=utf-8")
    expected = "holds dataflow OECD.SDD.NAD:DSD_NAMAIN1@DF_QNA(1.1), not the"
    tmp = tmp_path_factory.mktemp("oecd_gdp")
    bad = good_then_bad_refresh(
        local_server, tmp, [SOURCE], PHYS_PATH, response, expected, good_store=refreshed[0], in_process=True
    )
    assert bad.failed and expected in bad.message
    assert "refused" in bad.message
    assert bad.after == bad.before and not [row for row in bad.after if row["value"] == "7256142400000"]
    assert bad.status[SOURCE]["last_run_status"] == "failed" and expected in bad.status[SOURCE]["last_error"]
