"""Scheduled refresh by cadence (issue 12 §5): ``cobase refresh --due`` refreshes exactly the sources whose
``refresh_every_days`` (sources.yml) have passed since their last successful refresh in the store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from cobase.db import open_store, session_scope
from cobase.models import RefreshRun
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.schedule import due_sources
from tests.e2e import base_url, database_url, run_cli, serve_routes, sources_file, sql_rows

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_every_crawled_source_declares_its_cadence() -> None:
    registry = load_registry()
    cadences = {key: source.refresh_every_days for key, source in registry.sources.items()}
    assert cadences == {
        "who_gho": 7,
        "worldbank_wdi": 30,
        "who_ncd_ccs": 30,
        "oecd_health": 30,
        "reliefweb_reports": 1,
        "documents": 30,
        "unaids_aidsinfo": 30,
        "globalfund_pqr": 7,
        "usaid_scms": 30,
        "dz_miph_nomenclature": 30,
        "tn_dpm_amm": 30,
        "ma_cnops_medicaments": 30,
        "ilostat_minimum_wage": 30,
        "internet_archive": None,  # a service queried on demand, never refreshed
    }


def test_a_cadence_must_be_a_positive_number_of_days(tmp_path: Path) -> None:
    from cobase.registry import SourcesFileError

    text = (Path(__file__).resolve().parent.parent / "sources.yml").read_text(encoding="utf-8")
    path = tmp_path / "sources.yml"
    path.write_text(text.replace("refresh_every_days: 7", "refresh_every_days: 0", 1), encoding="utf-8")
    with pytest.raises(SourcesFileError, match=r"'who_gho'.*refresh_every_days"):
        load_registry(path)


def _run(source_id: int, status: str, finished: str | None, started: str | None = None) -> RefreshRun:
    finished_at = datetime.fromisoformat(finished) if finished else None
    started_at = datetime.fromisoformat(started) if started else finished_at
    assert started_at is not None
    return RefreshRun(source_id=source_id, status=status, started_at=started_at, finished_at=finished_at)


@pytest.fixture
def store(tmp_path: Path) -> sa.Engine:
    """A store whose runs make a known set of sources due on :data:`NOW` (2026-03-10 12:00 UTC)."""
    engine = open_store(f"sqlite:///{tmp_path / 'due.db'}")
    registry = load_registry()
    with session_scope(engine) as session:
        ids = {key: row.id for key, row in sync_sources(session, registry).items()}
        session.add_all(
            [
                # 7 calendar days since the success: due, although less than 7 x 24 hours have passed.
                _run(ids["who_gho"], "success", "2026-03-03T23:00:00+00:00"),
                _run(ids["worldbank_wdi"], "success", "2026-03-01T03:00:00+00:00"),  # 9 of 30 days
                _run(ids["reliefweb_reports"], "success", "2026-03-09T23:59:00+00:00"),  # yesterday, daily
                # A failure since the last success does not make a source due, nor count as one.
                _run(ids["oecd_health"], "success", "2026-02-20T03:00:00+00:00"),
                _run(ids["oecd_health"], "failed", "2026-03-09T03:00:00+00:00"),
                _run(ids["unaids_aidsinfo"], "failed", "2026-03-09T03:00:00+00:00"),  # never succeeded
                _run(ids["unaids_aidsinfo"], "running", None, "2026-03-10T03:00:00+00:00"),
                _run(ids["who_ncd_ccs"], "success", "2026-03-10T01:00:00+00:00"),  # today
                _run(ids["documents"], "success", "2026-02-08T10:00:00+00:00"),  # 30 days ago
                # globalfund_pqr never ran.
            ]
        )
    return engine


def _due(engine: sa.Engine, registry=None, keys=None) -> list[str]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        decisions = due_sources(session, registry or load_registry(), keys, now=NOW)
    return [decision.key for decision in decisions if decision.due]


def test_due_picks_exactly_the_due_sources(store: sa.Engine) -> None:
    ran = {"who_gho", "worldbank_wdi", "reliefweb_reports", "oecd_health", "unaids_aidsinfo", "who_ncd_ccs"}
    never_ran = [
        key
        for key, source in load_registry().sources.items()
        if key not in ran | {"documents"} and source.kind != "service"
    ]
    assert never_ran[0] == "globalfund_pqr"  # the sources added later never ran either: all due
    assert _due(store) == ["who_gho", "reliefweb_reports", "documents", "unaids_aidsinfo", *never_ran]


def test_due_among_the_sources_named(store: sa.Engine) -> None:
    assert _due(store, keys=["worldbank_wdi", "who_gho"]) == ["who_gho"]


def test_a_source_without_cadence_is_always_due(store: sa.Engine) -> None:
    registry = load_registry().with_overrides("worldbank_wdi", refresh_every_days=None)
    assert "worldbank_wdi" in _due(store, registry)


def test_each_decision_says_why(store: sa.Engine) -> None:
    with session_scope(store) as session:
        reasons = {d.key: d.reason for d in due_sources(session, load_registry(), now=NOW)}
    assert reasons["who_gho"] == "who_gho: due (last success 2026-03-03, every 7 d)"
    assert reasons["worldbank_wdi"] == "worldbank_wdi: not due (last success 2026-03-01, every 30 d)"
    assert reasons["globalfund_pqr"] == "globalfund_pqr: due (never refreshed successfully)"


# --- end to end: the CLI flag ------------------------------------------------------------------------

SOURCES = ["who_gho", "worldbank_wdi"]


def _refresh_due(server: HTTPServer, tmp: Path, db: str):  # type: ignore[no-untyped-def]
    server.clear()
    serve_routes(server, SOURCES)
    path = sources_file(tmp, dict.fromkeys(SOURCES, base_url(server)), keep=SOURCES)
    return run_cli("refresh", "--due", "--sources", str(path), db=db)


def _runs(db: str) -> dict[str, int]:
    rows = sql_rows(
        db, "SELECT s.key, count(*) FROM refresh_run r JOIN source s ON s.id = r.source_id GROUP BY 1"
    )
    return dict(rows)


@pytest.fixture(scope="module")
def due_runs(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three ``refresh --due``: on a new store, right after, and after worldbank_wdi's success aged."""
    tmp = tmp_path_factory.mktemp("due")
    db = database_url(tmp)
    first = _refresh_due(local_server, tmp, db)
    first_runs = _runs(db)
    second = _refresh_due(local_server, tmp, db)
    second_runs = _runs(db)
    with sqlite3.connect(db.removeprefix("sqlite:///")) as connection:
        connection.execute(
            "UPDATE refresh_run SET started_at = datetime(started_at, '-40 days'), "
            "finished_at = datetime(finished_at, '-40 days') "
            "WHERE source_id = (SELECT id FROM source WHERE key = 'worldbank_wdi')"
        )
    third = _refresh_due(local_server, tmp, db)
    return first, first_runs, second, second_runs, third, _runs(db)


def test_a_new_store_refreshes_every_source(due_runs) -> None:  # type: ignore[no-untyped-def]
    first, first_runs, *_ = due_runs
    assert first.returncode == 0, first.stderr
    assert first_runs == {"who_gho": 1, "worldbank_wdi": 1}
    assert "who_gho: due (never refreshed successfully)" in first.stderr


def test_right_after_nothing_is_due(due_runs) -> None:  # type: ignore[no-untyped-def]
    _first, first_runs, second, second_runs, *_ = due_runs
    assert second.returncode == 0, second.stderr
    assert "No source is due" in second.stdout
    assert second_runs == first_runs
    assert "who_gho: not due (last success" in second.stderr


def test_only_the_overdue_source_is_refreshed(due_runs) -> None:  # type: ignore[no-untyped-def]
    *_, third, third_runs = due_runs
    assert third.returncode == 0, third.stderr
    assert third_runs == {"who_gho": 1, "worldbank_wdi": 2}
    assert "worldbank_wdi: due (last success" in third.stderr
    assert "Refresh summary" in third.stdout and "who_gho" not in third.stdout
