"""The same store on PostgreSQL, for a team deployment.

Runs when ``COBASE_TEST_POSTGRES_URL`` points at an empty database the tests may wipe (CI starts one);
skipped otherwise. It covers what differs between dialects: the migrations, the partial unique index on
current values, driver-level bulk inserts, aware datetimes, aggregates, and a real refresh.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from cobase.db import open_store, session_scope
from cobase.evidence import assess
from cobase.findings import add_finding, set_status
from cobase.queries import list_observations, source_status
from tests.e2e import run_cli, serve_routes, sources_file
from tests.seed import PUBLISHED_V1, PUBLISHED_V2, art_coverage, ingest_rows

URL = os.environ.get("COBASE_TEST_POSTGRES_URL", "")
pytestmark = [
    pytest.mark.skipif(not URL, reason="set COBASE_TEST_POSTGRES_URL to test on PostgreSQL"),
    # One PostgreSQL database for the whole suite: its tests run in one pytest-xdist worker, in turn.
    pytest.mark.xdist_group("postgres"),
]
ART_URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"


@pytest.fixture
def engine() -> sa.Engine:
    """A freshly migrated PostgreSQL database (the public schema is wiped first)."""
    wipe = sa.create_engine(URL)
    with wipe.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    wipe.dispose()
    open_store.cache_clear()
    return open_store(URL)


def test_ingest_is_idempotent_and_keeps_revisions(engine: sa.Engine) -> None:
    first = ingest_rows(
        engine, "who_gho", ART_URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], datetime(2023, 6, 1, tzinfo=UTC)
    )
    again = ingest_rows(
        engine,
        "who_gho",
        ART_URL,
        [art_coverage(60.0, 2022, PUBLISHED_V1)],
        datetime(2023, 7, 1, tzinfo=UTC),
        body=b"again",
    )
    revised = ingest_rows(
        engine,
        "who_gho",
        ART_URL,
        [art_coverage(64.0, 2022, PUBLISHED_V2)],
        datetime(2024, 10, 1, tzinfo=UTC),
        body=b"revised",
    )
    with session_scope(engine) as session:
        versions = [(row.value, row.is_current) for row in list_observations(session, all_versions=True)]
    assert (first.new, again.unchanged, revised.revised, versions) == (
        1,
        1,
        1,
        [("60.0", False), ("64.0", True)],
    )


def test_datetimes_are_aware_utc(engine: sa.Engine) -> None:
    ingest_rows(
        engine, "who_gho", ART_URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], datetime(2023, 6, 1, tzinfo=UTC)
    )
    with session_scope(engine) as session:
        row = next(list_observations(session))
        status = {s.source: s for s in source_status(session)}["who_gho"]
    assert (row.published_at, status.newest_published_at, status.newest_period) == (
        PUBLISHED_V1,
        PUBLISHED_V1,
        date(2022, 12, 31),
    )


def test_as_of_view(engine: sa.Engine) -> None:
    ingest_rows(
        engine, "who_gho", ART_URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], datetime(2023, 6, 1, tzinfo=UTC)
    )
    ingest_rows(
        engine,
        "who_gho",
        ART_URL,
        [art_coverage(64.0, 2022, PUBLISHED_V2)],
        datetime(2024, 10, 1, tzinfo=UTC),
        body=b"revised",
    )
    before = assess("GIN", "hiv", as_of=date(2024, 1, 1), db=URL).dimension("availability").evidence
    after = assess("GIN", "hiv", as_of=date(2025, 1, 1), db=URL).dimension("availability").evidence
    assert ([e.value for e in before], [e.value for e in after]) == (["60.0"], ["64.0"])


def test_findings_history(engine: sa.Engine, tmp_path: Path) -> None:
    document = tmp_path / "r.txt"
    document.write_text("ruptures", encoding="utf-8")
    with session_scope(engine) as session:
        finding = add_finding(
            session,
            country="GIN",
            dimension="continuity",
            statement="Ruptures",
            period="2024-03",
            contributed_by="Dr A",
            title="Rapport de test sur l'accès aux soins",
            producer="Médecins du Monde",
            file=document,
            item="DTG",
        )
        retracted = set_status(session, finding.finding_id, "retracted", "Dr B")
    assert (retracted.status, retracted.versions) == ("retracted", 2)


def test_refresh_end_to_end(engine: sa.Engine, tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_routes(httpserver, ["who_gho", "worldbank_wdi"])
    base = httpserver.url_for("").rstrip("/")
    sources = sources_file(
        tmp_path, {"who_gho": base, "worldbank_wdi": base}, keep=["who_gho", "worldbank_wdi"]
    )
    first = run_cli("refresh", "--sources", str(sources), db=URL)
    second = run_cli("refresh", "--sources", str(sources), db=URL)
    status = json.loads(run_cli("status", "--json", db=URL).stdout)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert {entry["source"]: entry["last_run_status"] for entry in status} == {
        "who_gho": "success",
        "worldbank_wdi": "success",
    }


def test_revert_withdrawal_as_of_and_rebuild_on_postgresql(engine: sa.Engine) -> None:
    from cobase import refresh
    from cobase.rebuild import rebuild
    from cobase.registry import load_registry
    from tests.test_truthful_store import DATE_A, DATE_B, T1, T2, T3, T4, _raw, gho_page

    registry = load_registry()
    a = gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)])
    for body, retrieved in (
        (a, T1),
        (gho_page([("GIN", 2022, 80.0, DATE_B), ("CIV", 2022, 40.0, DATE_A)]), T2),
        (a, T3),
        (gho_page([("GIN", 2022, 60.0, DATE_A)]), T4),
    ):
        assert refresh.ingest_raw(engine, registry, _raw(body, retrieved)).errors == []
    with engine.connect() as connection:
        history = connection.execute(
            sa.text(
                "SELECT country_iso3, value_text, is_current, published_basis, withdrawn_at IS NOT NULL, "
                "last_seen_at FROM observation ORDER BY id"
            )
        ).fetchall()
    t4 = datetime.fromisoformat(T4)
    assert [tuple(row) for row in history] == [
        ("GIN", "60", False, "last_modified", False, datetime.fromisoformat(T1)),
        ("CIV", "40", False, "last_modified", True, datetime.fromisoformat(T3)),
        ("GIN", "80", False, "last_modified", False, datetime.fromisoformat(T2)),
        ("GIN", "60", True, "last_modified", False, t4),
    ]
    result = assess("GIN", "hiv", as_of=date(2024, 6, 30), db=URL)
    (item,) = [e for e in result.dimension("availability").evidence if e.indicator == "HIV_ARTCOVERAGE"]
    assert (item.value, item.as_of_status, result.published_after_as_of) == ("60", "published_by", [])
    rebuild(engine, registry, ["who_gho"])
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT * FROM observation ORDER BY id")).fetchall()
    (again,) = rebuild(engine, registry, ["who_gho"])
    with engine.connect() as connection:
        after = connection.execute(sa.text("SELECT * FROM observation ORDER BY id")).fetchall()
    assert (again.changed, again.removed, again.added, again.merged, after) == (0, 0, 0, 0, before)
