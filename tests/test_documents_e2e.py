"""End to end: ``cobase refresh`` of listed documents (a PDF and a web page) against a local server.

The documents are listed with relative URLs, resolved against the local server's base URL. A scanned
PDF fails the source with a clear message, keeps its snapshot for a person to read, and loses nothing
stored before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import (
    FIXTURES,
    BadRefresh,
    copy_store,
    database_url,
    good_then_bad_refresh,
    observations,
    refresh_sources,
    sql_rows,
)

pytestmark = pytest.mark.e2e

SOURCE = "documents"
MIRROR = f"{SOURCE}/mirror"  # the recorded documents and their routes
DOCUMENTS = json.loads((FIXTURES / MIRROR / "entry.json").read_text(encoding="utf-8"))["documents"]
SOURCE_FIELDS = {SOURCE: {"documents": DOCUMENTS}}
PDF_PATH = "/docs/guinee-arv-2024.pdf"
SCANNED_PDF = FIXTURES / SOURCE / "bad_scanned.pdf"


def _refresh(server: HTTPServer, tmp: Path, db: str, overrides: dict[str, Response] | None = None):
    return refresh_sources(server, tmp, db, [SOURCE], overrides, SOURCE_FIELDS, routes=[MIRROR])


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    """One good refresh, built once per module; tests get a copy of its store (``good_db``)."""
    tmp = tmp_path_factory.mktemp("documents")
    db = database_url(tmp)
    result = _refresh(local_server, tmp, db)
    assert result.returncode == 0, result.stdout + result.stderr
    return db, result


@pytest.fixture
def good_db(tmp_path: Path, refreshed: tuple[str, object]) -> tuple[str, object, list[dict[str, str]]]:
    """A copy of the refreshed store, which this test may change, and what it holds."""
    db = copy_store(refreshed[0], tmp_path)
    return db, refreshed[1], observations(db, all_versions=True, source=SOURCE)


def test_refresh_ingests_both_documents(good_db) -> None:
    _db, _result, rows = good_db
    assert {row["country_iso3"] for row in rows} == {"GIN", "COD"}


def test_every_indicator_is_found(good_db) -> None:
    _db, _result, rows = good_db
    assert {row["indicator"] for row in rows} == {
        "DOC_STOCKOUT_MENTION",
        "DOC_COST_MENTION",
        "DOC_MEDICINE_MENTION",
    }


def test_pdf_stockout_is_stored_with_item_page_and_quote(good_db) -> None:
    db = good_db[0]
    rows = sql_rows(
        db,
        "SELECT c.page, c.quote, o.period_start, c.review_status FROM observation o "
        "JOIN observation_citation c ON c.observation_id = o.id AND c.snapshot_id = o.snapshot_id "
        "WHERE o.indicator = 'DOC_STOCKOUT_MENTION' AND o.item = 'dolutegravir'",
    )
    assert rows == [
        (2, "Rupture de stock de dolutégravir à Conakry en mars 2024.", "2024-03-01", "candidate")
    ]


def test_cost_is_stored_with_its_currency(good_db) -> None:
    rows = sql_rows(good_db[0], "SELECT value_num, unit FROM observation WHERE item = 'tdf_3tc_dtg'")
    assert rows == [(150000.0, "GNF")]


def test_published_date_comes_from_the_listing(good_db) -> None:
    _db, _result, rows = good_db
    assert {row["published_at"][:10] for row in rows if row["country_iso3"] == "GIN"} == {"2024-06-01"}


def test_second_refresh_adds_nothing(tmp_path, local_server, good_db) -> None:
    db, _result, before = good_db
    result = _refresh(local_server, tmp_path, db)
    assert result.returncode == 0 and observations(db, all_versions=True, source=SOURCE) == before


@pytest.fixture(scope="module")
def scanned(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory, refreshed: tuple[str, object]
) -> BadRefresh:
    """A copy of the good store, then a refresh, through the refresh path in-process, where the listed
    PDF is a scan without a text layer (the missing document below goes through ``cobase refresh``)."""
    return good_then_bad_refresh(
        local_server,
        tmp_path_factory.mktemp("scanned"),
        [SOURCE],
        PDF_PATH,
        Response(SCANNED_PDF.read_bytes(), content_type="application/pdf"),
        "no text layer (scanned PDF?), OCR not supported",
        routes=[MIRROR],
        extra_source_fields=SOURCE_FIELDS,
        good_store=refreshed[0],
        in_process=True,
    )


def test_scanned_pdf_fails_clearly(scanned: BadRefresh) -> None:
    assert scanned.failed and "no text layer (scanned PDF?), OCR not supported" in scanned.message
    run = scanned.status[SOURCE]
    assert run["last_run_status"] == "failed" and "OCR not supported" in run["last_error"]


def test_scanned_pdf_is_kept_as_a_snapshot(scanned: BadRefresh) -> None:
    rows = sql_rows(scanned.db, "SELECT size, parse_status FROM snapshot WHERE parse_status = 'error'")
    assert rows == [(len(SCANNED_PDF.read_bytes()), "error")]


def test_scanned_pdf_loses_nothing_stored_before(scanned: BadRefresh) -> None:
    assert scanned.after == scanned.before


def test_missing_document_fails_naming_it(tmp_path, local_server, good_db) -> None:
    gone = Response("gone", status=404)
    result = _refresh(local_server, tmp_path, good_db[0], {"/docs/kinshasa-stockouts.html": gone})
    assert (
        result.returncode == 1 and "HTTP 404" in result.stderr and "kinshasa-stockouts.html" in result.stderr
    )
