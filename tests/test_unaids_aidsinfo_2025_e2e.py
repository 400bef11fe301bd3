"""End to end (issue 10, item 3): ``cobase refresh`` of the UNAIDS 2025 round, served as the producer now
serves it: ``/public/documents/<file>_en.zip``, with the new columns (``Indicator_GId``,
``Subgroup_Val_GId``, ``Data_Denominator``, ``Area Level``), sub-national areas and the world in
``Area ID``, and a GAM file without the ARV stock-outs indicator. sources.yml's own parameters are used.
"""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e import observations, refresh_twice, sql_rows, status

pytestmark = pytest.mark.e2e

SOURCE = "unaids_aidsinfo"


@pytest.fixture(scope="module")
def refreshed(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, object, object]:
    return refresh_twice(local_server, tmp_path_factory.mktemp("unaids2025"), [SOURCE])


def test_refresh_of_the_2025_round_succeeds(refreshed) -> None:
    _db, first, second = refreshed
    assert first.returncode == 0 and second.returncode == 0, first.stdout + first.stderr


def test_the_zips_are_fetched_under_public_documents(refreshed, local_server: HTTPServer) -> None:
    paths = {request.path for request, _response in local_server.log}
    assert {
        "/public/documents/Estimates_2025_en.zip",
        "/public/documents/GAM_2025_en.zip",
        "/public/documents/NCPI_2025_en.zip",
    } <= paths


def test_values_of_the_2025_files_are_stored(refreshed) -> None:
    rows = observations(refreshed[0], source=SOURCE)
    values = {(row["country_iso3"], row["indicator"], row["period_start"][:4], row["value"]) for row in rows}
    assert values == {
        ("GIN", "UNAIDS_PLHIV", "2024", "130000"),
        ("CIV", "UNAIDS_PLHIV", "2024", "370000"),
        ("GIN", "UNAIDS_ART_COVERAGE", "2024", "66.1"),
        ("CIV", "UNAIDS_VL_SUPPRESSED", "2024", "75.4"),
        ("GIN", "UNAIDS_NCPI_HIV_CRIMINALISATION", "2025", "Yes"),
        ("CIV", "UNAIDS_NCPI_HIV_CRIMINALISATION", "2025", "No"),
    }


def test_sub_national_and_world_rows_are_counted_not_unknown_countries(refreshed) -> None:
    stderr = " ".join(refreshed[1].stderr.split())
    assert "rows set aside (sub-national area: 3, world: 1)" in stderr
    assert "unknown country" not in stderr


def test_the_missing_stockout_indicator_is_one_warning_kept_on_the_run(refreshed) -> None:
    db, first, _second = refreshed
    stderr = " ".join(first.stderr.split())
    assert stderr.count("UNAIDS_ARV_STOCKOUTS") == 1 and "is absent from GAM_2025_en.zip" in stderr
    (first_run, second_run) = sql_rows(db, "SELECT warnings FROM refresh_run ORDER BY id")
    assert first_run[0].count("\n") == 0 and "UNAIDS_ARV_STOCKOUTS" in first_run[0]
    # The second refresh got the same bytes: nothing was parsed again, nothing new to warn about.
    assert second_run == (None,) and status(db)[SOURCE]["last_warnings"] is None
