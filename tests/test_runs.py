"""The refresh lock and run liveness, in-process (the fault suite kills real processes)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cobase.clock import utcnow
from cobase.db import open_store, session_scope
from cobase.models import RefreshLock, RefreshRun, Source
from cobase.queries import source_status
from cobase.runs import RefreshBusy, close_interrupted, live_holder, refresh_lock, this_process


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    open_store.cache_clear()
    return open_store(f"sqlite:///{tmp_path / 'cobase.db'}")


def dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def hold_row(engine: sa.Engine, pid: int, host: str, heartbeat_age: float = 0.0) -> None:
    seen = utcnow() - timedelta(seconds=heartbeat_age)
    with session_scope(engine) as session:
        session.add(
            RefreshLock(
                name="refresh", token="other", pid=pid, host=host, acquired_at=seen, heartbeat_at=seen
            )
        )


def add_run(engine: sa.Engine, pid: int, host: str) -> None:
    with session_scope(engine) as session:
        source = Source(key="who_gho", producer="WHO", title="GHO", url_main="u", licence_name="l")
        session.add(source)
        session.flush()
        assert source.id is not None
        session.add(
            RefreshRun(source_id=source.id, started_at=utcnow(), status="running", pid=pid, host=host)
        )


def test_a_second_holder_in_a_live_process_is_refused_naming_it(engine: sa.Engine) -> None:
    me = this_process()
    with refresh_lock(engine), pytest.raises(RefreshBusy) as refused, refresh_lock(engine):
        pass
    assert f"(refresh by process {me.pid} on {me.host} since " in str(refused.value)


def test_the_lock_is_free_again_after_the_block(engine: sa.Engine) -> None:
    with refresh_lock(engine):
        pass
    with refresh_lock(engine), engine.connect() as connection:
        assert live_holder(connection) is not None


def test_a_dead_holder_on_this_host_is_taken_over(engine: sa.Engine) -> None:
    hold_row(engine, dead_pid(), this_process().host)
    with refresh_lock(engine) as me, engine.connect() as connection:
        holder = live_holder(connection)
    assert holder is not None and holder.pid == me.pid


def test_a_holder_on_another_host_with_a_fresh_heartbeat_is_respected(engine: sa.Engine) -> None:
    hold_row(engine, 4242, "elsewhere.example")
    with (
        pytest.raises(RefreshBusy, match=r"process 4242 on elsewhere\.example"),
        refresh_lock(engine, wait=0.3),
    ):
        pass


def test_a_holder_on_another_host_with_a_stale_heartbeat_is_taken_over(engine: sa.Engine) -> None:
    hold_row(engine, 4242, "elsewhere.example", heartbeat_age=3600)
    with refresh_lock(engine) as me, engine.connect() as connection:
        holder = live_holder(connection)
    assert holder is not None and holder.pid == me.pid


def test_the_heartbeat_moves_while_the_lock_is_held(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBASE_HEARTBEAT_SECONDS", "0.05")
    me = this_process()
    with refresh_lock(engine):
        add_run(engine, me.pid, me.host)
        with engine.connect() as connection:
            first = connection.execute(sa.select(RefreshRun.heartbeat_at)).scalar()  # type: ignore[call-overload]
        time.sleep(0.4)
        with engine.connect() as connection:
            later = connection.execute(sa.select(RefreshRun.heartbeat_at)).scalar()  # type: ignore[call-overload]
    assert first is None and later is not None


def test_status_shows_a_run_of_a_dead_process_interrupted_without_writing(engine: sa.Engine) -> None:
    add_run(engine, dead_pid(), this_process().host)
    with session_scope(engine) as session:
        shown = source_status(session)[0]
    with engine.connect() as connection:
        stored = connection.execute(sa.select(RefreshRun.status)).scalar()  # type: ignore[call-overload]
    assert (shown.last_run_status, stored) == ("interrupted", "running")
    assert shown.last_seen_alive_at is not None and "stopped before finishing" in (shown.last_error or "")


def test_status_shows_the_run_of_the_live_holder_running(engine: sa.Engine) -> None:
    me = this_process()
    with refresh_lock(engine):
        add_run(engine, me.pid, me.host)
        with session_scope(engine) as session:
            assert source_status(session)[0].last_run_status == "running"


def test_close_interrupted_records_when_the_run_was_last_seen_alive(engine: sa.Engine) -> None:
    add_run(engine, dead_pid(), "h")
    with session_scope(engine) as session:
        closed = close_interrupted(session)
    with session_scope(engine) as session:
        run = session.exec(sa.select(RefreshRun)).scalars().one()  # type: ignore[call-overload]
    assert (closed, run.status, run.finished_at) == (1, "interrupted", run.started_at)
