"""End to end (issue 8): ``cobase refresh`` of WHO GHO answers that change, revert and drop a row, then
``assess --as-of`` JSON, ``rebuild`` twice and ``status``, against a local server: the first three answers go
through the refresh path in-process, the last and the commands through the CLI.

The answers are ``tests/fixtures/who_gho/versions/HIV_ARTCOVERAGE_{A,B,C}.json`` (the OData layout): A holds
Guinea 60 and Côte d'Ivoire 40 (``Date`` 2023-05-01); B revises Guinea to 80 (``Date`` 2024-09-15); C holds
Guinea 60 only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cobase.yamltext import load_yaml
from tests.e2e import (
    FIXTURES,
    REPO,
    database_url,
    ingest_in_process,
    refresh_sources,
    run_cli,
    sql_rows,
    status,
)

pytestmark = pytest.mark.e2e

VERSIONS = FIXTURES / "who_gho" / "versions"


def _only_art_coverage() -> dict[str, Any]:
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
    entry = next(i for i in data["sources"]["who_gho"]["indicators"] if i["code"] == "HIV_ARTCOVERAGE")
    entry.pop("republishes", None)  # UNAIDS, the source it republishes, is not in this trimmed registry
    return {"who_gho": {"indicators": [entry]}}


def _refresh(server: HTTPServer, tmp: Path, db: str, version: str, *, in_process: bool) -> None:
    """A refresh where GHO answers ``version``: ``cobase refresh``, or the same path ``in_process``."""
    body = (VERSIONS / f"HIV_ARTCOVERAGE_{version}.json").read_bytes()
    forced = {"/api/HIV_ARTCOVERAGE": Response(body, status=200, content_type="application/json")}
    if in_process:
        summaries = ingest_in_process(server, tmp, db, ["who_gho"], forced, _only_art_coverage())
        assert all(summary.ok for summary in summaries), [summary.errors for summary in summaries]
        return
    result = refresh_sources(server, tmp, db, ["who_gho"], forced, _only_art_coverage())
    assert result.returncode == 0, result.stdout + result.stderr


def _history(db: str, country: str) -> list[tuple[Any, ...]]:
    return sql_rows(
        db.removeprefix("sqlite:///"),
        "SELECT o.value_text, o.is_current, o.published_basis, o.withdrawn_at IS NOT NULL FROM observation o "
        f"WHERE o.country_iso3 = '{country}' AND o.indicator = 'HIV_ARTCOVERAGE' ORDER BY o.id",
    )


@pytest.fixture(scope="module")
def store(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("truthful")
    db = database_url(tmp)
    # A, B and A again through the refresh path in-process; the last answer through `cobase refresh`.
    for version in ("A", "B", "A"):
        _refresh(local_server, tmp, db, version, in_process=True)
    _refresh(local_server, tmp, db, "C", in_process=False)
    return db


def test_revert_a_b_a_ends_on_a_with_b_kept(store: str) -> None:
    assert _history(store, "GIN") == [
        ("60", 0, "last_modified", 0),
        ("80", 0, "last_modified", 0),
        ("60", 1, "last_modified", 0),
    ]


def test_row_the_producer_removed_is_withdrawn_and_kept(store: str) -> None:
    assert _history(store, "CIV") == [("40", 0, "last_modified", 1)]


def test_current_value_was_seen_by_the_last_refresh(store: str) -> None:
    (last_refresh,) = sql_rows(store.removeprefix("sqlite:///"), "SELECT max(retrieved_at) FROM snapshot")[0]
    (seen,) = sql_rows(
        store.removeprefix("sqlite:///"),
        "SELECT last_seen_at FROM observation WHERE country_iso3 = 'GIN' AND is_current = 1",
    )[0]
    assert seen == last_refresh


def test_assess_json_gives_basis_first_seen_and_as_of_status(store: str) -> None:
    result = run_cli("assess", "--country", "GIN", "--pathology", "hiv", "--as-of", "2024-06-30", db=store)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (item,) = [
        e
        for d in data["dimensions"]
        for e in d["evidence"]
        if e["indicator"] == "HIV_ARTCOVERAGE" and e["period_start"] == "2022-01-01"
    ]
    assert (item["value"], item["published_basis"], item["as_of_status"], bool(item["first_seen_at"])) == (
        "60",
        "last_modified",
        "published_by",
        True,
    )
    assert data["published_after_as_of"] == []


def test_rebuild_twice_changes_nothing_and_status_shows_no_older_processing(store: str) -> None:
    path = store.removeprefix("sqlite:///")
    first = run_cli("rebuild", "who_gho", db=store)
    before = sql_rows(path, "SELECT * FROM observation ORDER BY id")
    second = run_cli("rebuild", "who_gho", db=store)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert sql_rows(path, "SELECT * FROM observation ORDER BY id") == before
    assert sql_rows(path, "SELECT count(*) FROM processing_change") == [(0,)]
    assert status(store)["who_gho"]["observations_older_processing"] == 0
