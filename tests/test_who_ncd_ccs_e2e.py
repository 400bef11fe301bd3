"""End to end: ``cobase refresh`` of the WHO NCD Country Capacity Survey against a local server serving the
fixture ZIP at the GHO bulk-download path; then bad input (a body that is not a ZIP, a ZIP without the
answers file, an HTTP error): a clear message, exit code 1, a failed run, and nothing stored before lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug import Response

from tests.e2e import (
    FIXTURES,
    observations,
)

# The checks every source passes (tests.source_e2e), collected here and run with this module's fixtures.
from tests.source_e2e import *  # noqa: F403
from tests.source_e2e import source_fixtures

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


refreshed, bad_refresh = source_fixtures(SOURCE, ZIP_PATH, BAD_RESPONSES)


def test_every_answer_of_the_fixture_is_stored(refreshed: tuple[str, Any, Any]) -> None:
    assert len(observations(refreshed[0], source=SOURCE)) == 18


def test_guinea_insulin_answer_of_2021(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], country="Guinée", indicator="NCD_CCS_Insulin", source=SOURCE)
    assert {(row["period_start"], row["value"]) for row in rows} == {
        ("2019-01-01", "No"),
        ("2021-01-01", "Yes"),
    }


def test_observations_carry_who_publication_date(refreshed: tuple[str, Any, Any]) -> None:
    assert all(row["published_at"] for row in observations(refreshed[0], source=SOURCE))


def test_observations_carry_the_unit_of_the_registry(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["unit"] for row in observations(refreshed[0], source=SOURCE)} == {"answer (Yes/No)"}
