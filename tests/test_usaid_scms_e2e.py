"""End to end: ``cobase refresh`` of the USAID SCMS delivery history against a local server serving the
fixture CSV at the data catalogue's export path; then bad input (an HTML maintenance page, a file without
the delivery columns, an HTTP error): a clear message, exit code 1, a failed run, nothing stored before lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug import Response

from tests.e2e import FIXTURES, observations

# The checks every source passes (tests.source_e2e), collected here and run with this module's fixtures.
from tests.source_e2e import *  # noqa: F403
from tests.source_e2e import source_fixtures

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


refreshed, bad_refresh = source_fixtures(SOURCE, CSV_PATH, BAD_RESPONSES)


def test_every_delivered_line_is_stored(refreshed: tuple[str, Any, Any]) -> None:
    # 5 delivered lines of catalogue molecules x 6 indicators (the HIV test line is set aside).
    assert len(observations(refreshed[0], source=SOURCE)) == 30


def test_countries_are_resolved_from_names(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["country_iso3"] for row in observations(refreshed[0], source=SOURCE)} == {"CIV", "COD", "CMR"}


def test_civ_delays_by_delivery_day(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(
        refreshed[0], country="Côte d'Ivoire", indicator="SUPPLY_DELIVERY_DELAY_DAYS", source=SOURCE
    )
    assert sorted((row["period_start"], row["value"]) for row in rows) == [
        ("2012-05-18", "18"),
        ("2012-10-02", "-13"),
        ("2013-06-20", "20"),
    ]


def test_prices_keep_their_units(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], country="CMR", source=SOURCE)
    units = {row["indicator"]: (row["value"], row["unit"]) for row in rows}
    assert (units["SUPPLY_UNIT_PRICE_USD"], units["SUPPLY_PACK_PRICE_USD"]) == (
        ("0.37", "US$ per unit"),
        ("11.15", "US$ per pack"),
    )


def test_text_cells_stay_text(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], country="COD", indicator="SUPPLY_FREIGHT_COST_USD", source=SOURCE)
    assert [row["value"] for row in rows] == ["Invoiced Separately"]


def test_no_publication_date_is_invented(refreshed: tuple[str, Any, Any]) -> None:
    assert not any(row["published_at"] for row in observations(refreshed[0], source=SOURCE))
