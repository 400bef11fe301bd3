"""The per-request work of a refresh reaches a request's values through the snapshot index.

``touch_request`` (a response identical to a stored one) and ``withdraw_unseen`` (values missing from a
complete response) run once per request of a refresh. Reached through ``(source_id, is_current)`` instead,
each walked every current value of the source: an unchanged refresh then grew with the square of the
store (the --scale benchmark of issue 13). These tests read SQLite's query plan of each statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import select

from cobase import refresh
from cobase.db import open_store, session_scope
from cobase.models import Source
from cobase.snapshots import request_key
from tests.test_truthful_store import URL, _ingest, gho_page

SEEN = datetime(2026, 3, 1, tzinfo=UTC)


def _plans(engine: sa.Engine, work) -> list[str]:  # type: ignore[no-untyped-def]
    """SQLite's plan of every statement on ``observation`` that ``work(session)`` runs."""
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "observation" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters[0] if executemany else parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        with session_scope(engine) as session:
            work(session)
            explain = session.connection().exec_driver_sql
            plans = [
                " | ".join(row[3] for row in explain(f"EXPLAIN QUERY PLAN {sql}", p)) for sql, p in statements
            ]
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert plans, "no statement on observation was run"
    return plans


def _store(tmp_path: Path) -> sa.Engine:
    engine = open_store(f"sqlite:///{tmp_path / 'plans.db'}")
    rows = [("GIN", 2021, 61.0, "2024-07-01"), ("GIN", 2022, 64.0, "2024-07-01")]
    _ingest(engine, gho_page(rows), "2025-01-10")
    return engine


def test_touching_a_request_searches_its_snapshots_values_not_the_whole_source(tmp_path: Path) -> None:
    engine = _store(tmp_path)

    def touch(session) -> None:  # type: ignore[no-untyped-def]
        source = session.exec(select(Source).where(Source.key == "who_gho")).one()
        refresh.touch_request(session, source, request_key(URL), SEEN)

    plans = _plans(engine, touch)
    assert all("ix_observation_snapshot" in plan for plan in plans), plans
    assert not any("ix_observation_source_current" in plan or "SCAN observation" in plan for plan in plans)


def test_withdrawing_unseen_values_searches_the_requests_snapshots(tmp_path: Path) -> None:
    engine = _store(tmp_path)

    def withdraw(session) -> None:  # type: ignore[no-untyped-def]
        source = session.exec(select(Source).where(Source.key == "who_gho")).one()
        refresh.withdraw_unseen(session, source.id, {request_key(URL): SEEN}, SEEN)

    plans = _plans(engine, withdraw)
    searches = [plan for plan in plans if plan.startswith("SEARCH snapshot")]
    assert searches and all("ix_observation_snapshot" in plan for plan in searches), plans
    assert not any("ix_observation_source_current" in plan or "SCAN observation" in plan for plan in plans)


def test_looking_up_current_values_uses_the_partial_unique_index(tmp_path: Path) -> None:
    engine = _store(tmp_path)

    def look_up(session) -> None:  # type: ignore[no-untyped-def]
        from cobase.ingest import _current_values

        _current_values(session.connection(), ["a" * 32, "b" * 32])

    plans = _plans(engine, look_up)
    # The citation (quote, review status) of each current value is one primary-key probe beside it.
    assert plans == [
        "SEARCH o USING INDEX uq_observation_current_series (series_key=?)"
        " | SEARCH c USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN"
    ], plans


def test_a_new_versions_citation_finds_it_through_the_partial_unique_index(tmp_path: Path) -> None:
    engine = _store(tmp_path)

    def cite(session) -> None:  # type: ignore[no-untyped-def]
        from cobase.ingest import _citation_sql

        connection = session.connection()
        connection.exec_driver_sql(_citation_sql(connection.dialect), [("a quote", 2, None, None, "a" * 32)])

    plans = _plans(engine, cite)
    assert plans == ["SEARCH observation USING INDEX uq_observation_current_series (series_key=?)"], plans
