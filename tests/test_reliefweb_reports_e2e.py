"""End to end: ``cobase refresh`` of ReliefWeb reports (POST searches) against a local server.

With ``COBASE_RELIEFWEB_APPNAME`` set the source pages through its searches and ingests candidate
evidence; without it the source is skipped with one clear message and the refresh still succeeds; a
refused appname or an unreadable answer fails the source clearly and loses nothing stored before. The
local fixture server answers POST too, choosing a page by what the request body contains.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cobase.fixture_server import serve_fixtures
from tests.e2e import FIXTURES, run_cli, serve_routes, sources_file

pytestmark = pytest.mark.e2e

SOURCE = "reliefweb_reports"
VARIABLE = "COBASE_RELIEFWEB_APPNAME"
APPNAME = "cobase-e2e-k3v9"


def _sources(tmp: Path, base_url: str, keep: list[str]) -> Path:
    """sources.yml for the local server: two reports per page, three countries."""
    path = sources_file(tmp, dict.fromkeys(keep, base_url), keep=keep)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][SOURCE]["page_size"] = 2
    data["sources"][SOURCE]["params"] = {"countries": ["GIN", "CIV", "SEN"], "max_pages": 3}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _observations(db: str) -> list[dict[str, str]]:
    result = run_cli("observations", "--source", SOURCE, "--all-versions", db=db)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _status(db: str) -> dict[str, dict[str, object]]:
    result = run_cli("status", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return {entry["source"]: entry for entry in json.loads(result.stdout)}


def _rows(db: str, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db.removeprefix("sqlite:///")) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object, str]]:
    """One refresh with an appname, against the recorded searches."""
    tmp = tmp_path_factory.mktemp("reliefweb")
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    serve_routes(server, [SOURCE])
    base = server.url_for("").rstrip("/")
    db = f"sqlite:///{tmp / 'cobase.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(VARIABLE, APPNAME)
        result = run_cli("refresh", "--sources", str(_sources(tmp, base, [SOURCE])), db=db)
    server.clear()
    server.stop()
    yield db, result, base


def test_refresh_with_appname_succeeds(refreshed) -> None:
    _db, result, _base = refreshed
    assert result.returncode == 0, result.stdout + result.stderr


def test_reports_of_every_country_with_results_are_stored(refreshed) -> None:
    assert {row["country_iso3"] for row in _observations(refreshed[0])} == {"GIN", "CIV"}


def test_second_page_was_followed(refreshed) -> None:
    periods = {row["period_start"] for row in _observations(refreshed[0]) if row["country_iso3"] == "GIN"}
    assert "2023-11-30" in periods  # the report of page 2 (offset 2)


def test_one_observation_per_report_and_medicine(refreshed) -> None:
    rows = _rows(refreshed[0], "SELECT dimension, item FROM observation ORDER BY dimension, item")
    assert len(rows) == 6 and ("report=4101001;source=MSF", "tdf_3tc_dtg") in rows


def test_observations_are_candidates_with_a_quote(refreshed) -> None:
    rows = _rows(refreshed[0], "SELECT review_status, quote FROM observation")
    assert all(status == "candidate" and quote for status, quote in rows)


def test_appname_is_never_stored(refreshed) -> None:
    urls = [url for (url,) in _rows(refreshed[0], "SELECT url FROM snapshot")]
    assert urls and all(APPNAME not in url for url in urls)


def test_request_meta_says_what_was_searched(refreshed) -> None:
    metas = [json.loads(meta) for (meta,) in _rows(refreshed[0], "SELECT request_meta FROM snapshot")]
    assert sorted((m["country"], m["offset"]) for m in metas) == [
        ("CIV", 0),
        ("GIN", 0),
        ("GIN", 2),
        ("SEN", 0),
    ]


def test_status_reports_success(refreshed) -> None:
    assert _status(refreshed[0])[SOURCE]["last_run_status"] == "success"


# --- without an appname: skipped, not failed ----------------------------------------------------------


@pytest.fixture
def without_appname(tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    serve_routes(httpserver, ["who_gho", SOURCE])
    sources = _sources(tmp_path, httpserver.url_for("").rstrip("/"), ["who_gho", SOURCE])
    db = f"sqlite:///{tmp_path / 'cobase.db'}"
    return db, run_cli("refresh", "--sources", str(sources), db=db)


def test_without_appname_the_refresh_succeeds(without_appname) -> None:
    _db, result = without_appname
    assert result.returncode == 0, result.stderr


def test_without_appname_one_clear_message_names_the_variable(without_appname) -> None:
    _db, result = without_appname
    assert [line for line in result.stderr.splitlines() if VARIABLE in line] == [
        f"{SOURCE}: {SOURCE} skipped: set {VARIABLE} to use it (see sources.yml)"
    ]


def test_without_appname_status_shows_skipped(without_appname) -> None:
    status = _status(without_appname[0])
    assert (status[SOURCE]["last_run_status"], status["who_gho"]["last_run_status"]) == ("skipped", "success")


# --- bad input: clear failure, nothing lost -------------------------------------------------------------


@pytest.fixture
def good_db(tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(VARIABLE, APPNAME)
    serve_routes(httpserver, [SOURCE])
    db = f"sqlite:///{tmp_path / 'cobase.db'}"
    result = run_cli(
        "refresh", "--sources", str(_sources(tmp_path, httpserver.url_for("").rstrip("/"), [SOURCE])), db=db
    )
    assert result.returncode == 0, result.stderr
    httpserver.clear()
    return db, _observations(db)


def _refresh_with(tmp_path: Path, httpserver: HTTPServer, db: str, response: Response):
    serve_routes(httpserver, [SOURCE], overrides={"/v2/reports": response})
    return run_cli(
        "refresh", "--sources", str(_sources(tmp_path, httpserver.url_for("").rstrip("/"), [SOURCE])), db=db
    )


REFUSED = Response(
    (FIXTURES / SOURCE / "bad_appname_403.json").read_bytes(), status=403, content_type="application/json"
)


def test_refused_appname_fails_naming_the_variable(tmp_path, httpserver, good_db) -> None:
    result = _refresh_with(tmp_path, httpserver, good_db[0], REFUSED)
    assert result.returncode == 1 and f"set {VARIABLE}" in result.stderr, result.stderr


def test_refused_appname_is_not_printed(tmp_path, httpserver, good_db) -> None:
    result = _refresh_with(tmp_path, httpserver, good_db[0], REFUSED)
    assert APPNAME not in result.stdout + result.stderr


def test_refused_appname_loses_nothing(tmp_path, httpserver, good_db) -> None:
    db, before = good_db
    _refresh_with(tmp_path, httpserver, db, REFUSED)
    assert _observations(db) == before


def test_answer_that_is_not_json_fails_clearly_and_loses_nothing(tmp_path, httpserver, good_db) -> None:
    db, before = good_db
    result = _refresh_with(tmp_path, httpserver, db, Response("<html>502</html>", content_type="text/html"))
    assert result.returncode == 1 and "not valid JSON" in result.stderr and _observations(db) == before


# --- the fixture server answers POST, by body ---------------------------------------------------------


def _post(base_url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base_url}/v2/reports?appname=x", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def test_fixture_server_chooses_a_post_page_by_body() -> None:
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        page = _post(base_urls[SOURCE], {"filter": {"value": "gin"}, "limit": 2, "offset": 2, "query": {}})
    assert [report["id"] for report in page["data"]] == ["4051234"]  # type: ignore[index]


def test_fixture_server_falls_back_to_the_least_specific_post_route() -> None:
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        page = _post(base_urls[SOURCE], {"filter": {"value": "sen"}, "offset": 0, "query": {}})
    assert page["totalCount"] == 0


def test_fixture_server_does_not_answer_get_with_a_post_route() -> None:
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        url = f"{base_urls[SOURCE]}/v2/reports"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(url, timeout=5)


def test_fixture_server_still_answers_get_routes() -> None:
    with serve_fixtures({"who_gho": FIXTURES / "who_gho"}) as base_urls:
        url = f"{base_urls['who_gho']}/api/MH_6"
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert "value" in json.loads(answer.read())


def test_refresh_against_the_fixture_server_posts_every_country(tmp_path: Path, monkeypatch) -> None:
    """What ``cobase demo`` does: many concurrent POSTs to the stdlib fixture server, none dropped."""
    monkeypatch.setenv(VARIABLE, APPNAME)
    with serve_fixtures({SOURCE: FIXTURES / SOURCE}) as base_urls:
        sources = sources_file(tmp_path, base_urls, keep=[SOURCE])  # all countries, page_size 100
        result = run_cli("refresh", "--sources", str(sources), db=f"sqlite:///{tmp_path / 'cobase.db'}")
    assert result.returncode == 0, result.stderr
