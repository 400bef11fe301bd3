"""End to end: ``cobase refresh`` of UNAIDS AIDSinfo against a local server serving the recorded ZIPs.

The yearly ZIPs are served at their real paths (``/documents/<file>``) and an indicator-page export at a
mirror path; then bad input (a page that is not a ZIP, a missing round) fails the source clearly and
keeps what was stored before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import good_then_bad_refresh, observations, refresh_twice

pytestmark = pytest.mark.e2e

SOURCE = "unaids_aidsinfo"
EXPORT = {
    "path": "/exports/export_vl_suppressed_all_ages.csv",
    "indicator": "UNAIDS_VL_SUPPRESSED",
    "subgroup": "All ages",
}
# The 2024 round at its old path, and a mirrored indicator export besides the ZIPs (the 2025 round at
# /public/documents/ is tests/test_unaids_aidsinfo_2025_e2e.py).
SOURCE_FIELDS = {
    SOURCE: {
        "params": {
            "exports": [EXPORT],
            "documents_path": "documents",
            "zip_files": ["Estimates_2024_en.zip", "GAM_2024_en.zip", "NCPI_2024_en.zip"],
        }
    }
}


@pytest.fixture(scope="module")
def refreshed(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, object, object]:
    """Two refreshes of the good recordings, shared by the read-only tests."""
    return refresh_twice(local_server, tmp_path_factory.mktemp("unaids"), [SOURCE], SOURCE_FIELDS)


def test_refresh_succeeds(refreshed) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_every_indicator_is_stored(refreshed) -> None:
    indicators = {row["indicator"] for row in observations(refreshed[0], source=SOURCE)}
    assert indicators == {
        "UNAIDS_ART_COVERAGE",
        "UNAIDS_PLHIV",
        "UNAIDS_VL_SUPPRESSED",
        "UNAIDS_ARV_STOCKOUTS",
        "UNAIDS_NCPI_HIV_CRIMINALISATION",
    }


def test_stockouts_for_guinea_over_two_years(refreshed) -> None:
    rows = observations(refreshed[0], country="GIN", indicator="UNAIDS_ARV_STOCKOUTS", source=SOURCE)
    assert sorted((row["period_start"], row["value"]) for row in rows) == [
        ("2021-01-01", "12.5"),
        ("2022-01-01", "8"),
    ]


def test_country_names_of_the_export_are_resolved(refreshed) -> None:
    rows = observations(refreshed[0], indicator="UNAIDS_VL_SUPPRESSED", source=SOURCE)
    assert {row["country_iso3"] for row in rows} >= {"DZA", "CIV", "GIN", "COD"}


def test_regions_and_global_are_not_stored(refreshed) -> None:
    iso3 = {row["country_iso3"] for row in observations(refreshed[0], source=SOURCE)}
    assert iso3 == {"GIN", "CIV", "DZA", "BWA", "CMR", "COD"}


def test_zip_observations_carry_the_file_date_as_publication(refreshed) -> None:
    rows = observations(refreshed[0], indicator="UNAIDS_ARV_STOCKOUTS", source=SOURCE)
    assert {row["published_at"][:10] for row in rows} == {"2024-07-18"}


def test_law_is_stored_as_text(refreshed) -> None:
    rows = observations(
        refreshed[0], country="GIN", indicator="UNAIDS_NCPI_HIV_CRIMINALISATION", source=SOURCE
    )
    assert [row["value"] for row in rows] == ["Yes"]


def test_second_refresh_adds_nothing(refreshed) -> None:
    db, _first, second = refreshed
    all_versions, current = (
        observations(db, all_versions=True, source=SOURCE),
        observations(db, source=SOURCE),
    )
    assert second.returncode == 0 and len(all_versions) == len(current)


# --- bad input: the source fails clearly and loses nothing ---------------------------------------------


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


THROUGH_CLI = "round_not_published"
"""The bad answer that runs ``cobase refresh`` (exit code, stderr); the others go through the refresh path
in-process, from a copy of the refreshed store."""


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_zip_fails_the_source_and_keeps_what_was_stored(
    case: str, tmp_path: Path, local_server: HTTPServer, refreshed
) -> None:
    response, expected = BAD[case]
    bad = good_then_bad_refresh(
        local_server,
        tmp_path,
        [SOURCE],
        "/documents/GAM_2024_en.zip",
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
    ), bad.result.stderr
