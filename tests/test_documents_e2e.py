"""End to end: ``cobase refresh`` of listed documents (a PDF and a web page) against a local server.

The documents are listed with relative URLs, resolved against the local server's base URL. A scanned
PDF fails the source with a clear message, keeps its snapshot for a person to read, and loses nothing
stored before.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import FIXTURES, run_cli, serve_routes, sources_file

pytestmark = pytest.mark.e2e

SOURCE = "documents"
DOCUMENTS = json.loads((FIXTURES / SOURCE / "mirror" / "entry.json").read_text(encoding="utf-8"))["documents"]


def _sources(tmp: Path, base_url: str) -> Path:
    path = sources_file(tmp, {SOURCE: base_url}, keep=[SOURCE])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][SOURCE]["documents"] = DOCUMENTS
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _refresh(tmp: Path, server: HTTPServer, db: str, overrides: dict[str, Response] | None = None):
    serve_routes(server, [f"{SOURCE}/mirror"], overrides=overrides)
    return run_cli("refresh", "--sources", str(_sources(tmp, server.url_for("").rstrip("/"))), db=db)


def _observations(db: str) -> list[dict[str, str]]:
    result = run_cli("observations", "--source", SOURCE, "--all-versions", db=db)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _rows(db: str, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db.removeprefix("sqlite:///")) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def good_db(tmp_path: Path, httpserver: HTTPServer) -> tuple[str, object, list[dict[str, str]]]:
    db = f"sqlite:///{tmp_path / 'cobase.db'}"
    result = _refresh(tmp_path, httpserver, db)
    assert result.returncode == 0, result.stdout + result.stderr
    httpserver.clear()
    return db, result, _observations(db)


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
    rows = _rows(
        db,
        "SELECT page, quote, period_start, review_status FROM observation "
        "WHERE indicator = 'DOC_STOCKOUT_MENTION' AND item = 'dolutegravir'",
    )
    assert rows == [
        (2, "Rupture de stock de dolutégravir à Conakry en mars 2024.", "2024-03-01", "candidate")
    ]


def test_cost_is_stored_with_its_currency(good_db) -> None:
    rows = _rows(good_db[0], "SELECT value_num, unit FROM observation WHERE item = 'tdf_3tc_dtg'")
    assert rows == [(150000.0, "GNF")]


def test_published_date_comes_from_the_listing(good_db) -> None:
    _db, _result, rows = good_db
    assert {row["published_at"][:10] for row in rows if row["country_iso3"] == "GIN"} == {"2024-06-01"}


def test_second_refresh_adds_nothing(tmp_path, httpserver, good_db) -> None:
    db, _result, before = good_db
    result = _refresh(tmp_path, httpserver, db)
    assert result.returncode == 0 and _observations(db) == before


def test_scanned_pdf_fails_clearly(tmp_path, httpserver, good_db) -> None:
    scanned = Response((FIXTURES / SOURCE / "bad_scanned.pdf").read_bytes(), content_type="application/pdf")
    result = _refresh(tmp_path, httpserver, good_db[0], {"/docs/guinee-arv-2024.pdf": scanned})
    assert result.returncode == 1 and "no text layer (scanned PDF?), OCR not supported" in result.stderr


def test_scanned_pdf_is_kept_as_a_snapshot(tmp_path, httpserver, good_db) -> None:
    body = (FIXTURES / SOURCE / "bad_scanned.pdf").read_bytes()
    scanned = Response(body, content_type="application/pdf")
    _refresh(tmp_path, httpserver, good_db[0], {"/docs/guinee-arv-2024.pdf": scanned})
    rows = _rows(good_db[0], "SELECT size, parse_status FROM snapshot WHERE parse_status = 'error'")
    assert rows == [(len(body), "error")]


def test_scanned_pdf_loses_nothing_stored_before(tmp_path, httpserver, good_db) -> None:
    db, _result, before = good_db
    scanned = Response((FIXTURES / SOURCE / "bad_scanned.pdf").read_bytes(), content_type="application/pdf")
    _refresh(tmp_path, httpserver, db, {"/docs/guinee-arv-2024.pdf": scanned})
    assert _observations(db) == before


def test_missing_document_fails_naming_it(tmp_path, httpserver, good_db) -> None:
    gone = Response("gone", status=404)
    result = _refresh(tmp_path, httpserver, good_db[0], {"/docs/kinshasa-stockouts.html": gone})
    assert (
        result.returncode == 1 and "HTTP 404" in result.stderr and "kinshasa-stockouts.html" in result.stderr
    )
