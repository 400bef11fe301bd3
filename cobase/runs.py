"""Runs that end, and one refresh at a time per store.

A refresh takes the store's refresh lock before it starts any run, records its process (host, pid) on
each run, and refreshes a heartbeat while it works. A ``running`` run is alive only while the lock is
held by its process; otherwise its process was killed (``kill -9``, a reboot, a full disk) and the run is
shown ``interrupted``, with when it was last seen alive; the next refresh closes it as such.

The lock: on PostgreSQL a session-level advisory lock, which the server releases when the holder's
connection dies (whatever the host); on SQLite the ``refresh_lock`` row the database itself holds,
taken over when its process is gone on this host (or, for another host, when its heartbeat is stale).
The row also names the holder, so a second refresh can say which one is running.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cobase.clock import utcnow
from cobase.db import store_lock_key
from cobase.models import RefreshLock, RefreshRun
from cobase.store_errors import StoreError, storage_failure

log = logging.getLogger(__name__)

LOCK_NAME = "refresh"


def heartbeat_seconds() -> float:
    """How often a refresh says it is alive (``COBASE_HEARTBEAT_SECONDS``, default 30)."""
    try:
        return max(0.05, float(os.environ.get("COBASE_HEARTBEAT_SECONDS", "30")))
    except ValueError:
        return 30.0


def stale_after() -> timedelta:
    """How long without a heartbeat before a holder on another host is taken for dead."""
    return timedelta(seconds=max(120.0, 10 * heartbeat_seconds()))


@dataclass(frozen=True)
class ProcessIdentity:
    """A process, as another process can check it is still alive (start time guards pid reuse)."""

    host: str
    pid: int
    started: str | None

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), so a reused pid is not mistaken for the holder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def this_process() -> ProcessIdentity:
    """This process's identity."""
    return ProcessIdentity(socket.gethostname(), os.getpid(), _process_start(os.getpid()))


def process_alive(host: str | None, pid: int | None, started: str | None = None) -> bool | None:
    """Whether the process is alive: True or False on this host, None (cannot tell) on another."""
    if pid is None or host is None:
        return False
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return started is None or _process_start(pid) in (None, started)


class RefreshBusy(RuntimeError):
    """Another refresh of this store is running; the message names it."""


@dataclass(frozen=True)
class LockHolder:
    """The live holder of a store's refresh lock."""

    host: str | None
    pid: int | None
    purpose: str | None
    acquired_at: datetime | None
    heartbeat_at: datetime | None

    def sentence(self) -> str:
        since = f" since {self.acquired_at:%Y-%m-%d %H:%M} UTC" if self.acquired_at else ""
        seen = f", last seen alive {self.heartbeat_at:%H:%M:%S} UTC" if self.heartbeat_at else ""
        return f"{self.purpose or 'refresh'} by process {self.pid} on {self.host}{since}{seen}"


def _advisory_held_elsewhere(connection: sa.Connection, key: int) -> bool:
    held = connection.execute(
        sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = :high AND objid = :low AND objsubid = 1 AND pid <> pg_backend_pid()"
        ),
        {"high": key >> 32, "low": key & 0xFFFFFFFF},
    ).scalar()
    return bool(held)


def live_holder(connection: sa.Connection) -> LockHolder | None:
    """The refresh holding this store's lock, if its process is alive; None when no refresh runs."""
    row = connection.execute(sa.select(RefreshLock).where(col(RefreshLock.name) == LOCK_NAME)).first()
    if connection.dialect.name == "postgresql":
        if not _advisory_held_elsewhere(connection, store_lock_key(connection, LOCK_NAME)):
            return None
        if row is None or row.token is None:
            return LockHolder(None, None, None, None, None)
        return LockHolder(row.host, row.pid, row.purpose, row.acquired_at, row.heartbeat_at)
    if row is None or row.token is None:
        return None
    holder = LockHolder(row.host, row.pid, row.purpose, row.acquired_at, row.heartbeat_at)
    alive_here = process_alive(row.host, row.pid, row.process_started)
    if alive_here is None:  # another host: trust a fresh heartbeat only
        last = row.heartbeat_at or row.acquired_at
        alive_here = last is not None and utcnow() - last < stale_after()
    return holder if alive_here else None


def run_is_alive(run: RefreshRun, holder: LockHolder | None) -> bool:
    """A ``running`` run is alive only while its own process holds the store's refresh lock."""
    if run.status != "running" or holder is None:
        return False
    if holder.pid is None:  # PostgreSQL lock held but not yet named: trust it
        return True
    same_process = (run.host, run.pid) == (holder.host, holder.pid)
    return same_process and (holder.acquired_at is None or run.started_at >= holder.acquired_at)


def last_seen_alive(run: RefreshRun) -> datetime:
    """When a run's process was last known alive."""
    return run.heartbeat_at or run.started_at


def interrupted_message(run: RefreshRun) -> str:
    """The error recorded on a run whose process died before finishing it."""
    who = f"process {run.pid} on {run.host}" if run.pid else "its process"
    return (
        f"interrupted: {who} stopped before finishing "
        f"(last seen alive {last_seen_alive(run):%Y-%m-%d %H:%M:%S} UTC)"
    )


def close_interrupted(session: Session) -> int:
    """Close as ``interrupted`` every run still ``running``; call it while holding the refresh lock.

    Holding the lock means no other refresh is alive, so each of those runs' processes is gone.
    """
    runs = session.exec(select(RefreshRun).where(RefreshRun.status == "running")).all()
    for run in runs:
        run.status = "interrupted"
        run.finished_at = last_seen_alive(run)
        run.error = interrupted_message(run)
        session.add(run)
    return len(runs)


def _take_row(engine: sa.Engine, me: ProcessIdentity, token: str, purpose: str, force: bool) -> bool:
    """Take the lock row if it is free, its holder is dead, or ``force`` (the advisory lock is ours).

    The update only succeeds if the row still holds the token we judged (compare-and-swap), so two
    processes taking over the same dead holder cannot both win.
    """
    table = RefreshLock.__table__  # type: ignore[attr-defined]
    now = utcnow()
    values = {
        "token": token,
        "purpose": purpose,
        "pid": me.pid,
        "host": me.host,
        "process_started": me.started,
        "acquired_at": now,
        "heartbeat_at": now,
    }
    with engine.connect() as connection:
        row = connection.execute(sa.select(table).where(table.c.name == LOCK_NAME)).first()
    if row is None:
        try:
            with engine.begin() as connection:
                connection.execute(sa.insert(table).values(name=LOCK_NAME, **values))
        except sa.exc.IntegrityError:
            return False  # another process inserted it first: look again
        return True
    if not force and row.token is not None:
        alive = process_alive(row.host, row.pid, row.process_started)
        if alive is None:
            last = row.heartbeat_at or row.acquired_at
            alive = last is not None and now - last < stale_after()
        if alive:
            return False
        log.warning("taking over the refresh lock of process %s on %s, which is gone", row.pid, row.host)
    previous = table.c.token.is_(None) if row.token is None else table.c.token == row.token
    with engine.begin() as connection:
        taken = connection.execute(
            sa.update(table).where(table.c.name == LOCK_NAME, previous).values(**values)
        )
    return taken.rowcount == 1


class _Heartbeat(threading.Thread):
    """Refreshes the lock's and this process's running runs' heartbeat until stopped."""

    def __init__(self, engine: sa.Engine, me: ProcessIdentity, token: str):
        super().__init__(name="cobase-heartbeat", daemon=True)
        self.engine, self.me, self.token = engine, me, token
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(heartbeat_seconds()):
            beat(self.engine, self.me, self.token)


def beat(engine: sa.Engine, me: ProcessIdentity, token: str) -> None:
    """Say this process is alive: on its lock row and on each of its running runs."""
    now = utcnow()
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.update(RefreshLock).where(col(RefreshLock.token) == token).values(heartbeat_at=now)
            )
            connection.execute(
                sa.update(RefreshRun)
                .where(
                    col(RefreshRun.status) == "running",
                    col(RefreshRun.pid) == me.pid,
                    col(RefreshRun.host) == me.host,
                )
                .values(heartbeat_at=now)
            )
    except Exception as exc:  # a missed heartbeat must never stop the refresh
        log.warning("%s", storage_failure("recording the refresh's heartbeat", exc))


@contextmanager
def refresh_lock(engine: sa.Engine, wait: float = 0.0, purpose: str = "refresh") -> Iterator[ProcessIdentity]:
    """Hold the store's refresh lock for the block, waiting up to ``wait`` seconds for it.

    :class:`RefreshBusy` names the running refresh when the lock stays taken; a heartbeat thread says
    this process is alive while it holds the lock.
    """
    me = this_process()
    token = uuid4().hex
    deadline = time.monotonic() + max(0.0, wait)
    advisory: sa.Connection | None = None
    try:
        have_advisory = False
        while True:
            if engine.dialect.name == "postgresql" and not have_advisory:
                if advisory is None:
                    advisory = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                key = store_lock_key(advisory, LOCK_NAME)
                have_advisory = bool(
                    advisory.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
            may_take = engine.dialect.name != "postgresql" or have_advisory
            if may_take and _take_row(engine, me, token, purpose, force=have_advisory):
                break
            if time.monotonic() >= deadline:
                with engine.connect() as connection:
                    holder = live_holder(connection)
                running = holder.sentence() if holder else "another refresh"
                hint = "try again later" if wait <= 0 else f"still running after {wait:g} s"
                raise RefreshBusy(
                    f"another refresh of this store is running ({running}): {hint} or pass --wait SECONDS"
                )
            time.sleep(min(0.5, max(0.05, deadline - time.monotonic())))
    except sa.exc.SQLAlchemyError as exc:
        if advisory is not None:
            advisory.close()
        raise StoreError(storage_failure("taking the store's refresh lock", exc)) from exc
    except BaseException:
        if advisory is not None:
            advisory.close()
        raise
    heartbeat = _Heartbeat(engine, me, token)
    heartbeat.start()
    try:
        yield me
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
        # On a full disk the release may fail: the next refresh takes over the row of a dead holder.
        with suppress(Exception), engine.begin() as connection:
            connection.execute(
                sa.update(RefreshLock).where(col(RefreshLock.token) == token).values(token=None)
            )
        if advisory is not None:
            with suppress(Exception):
                advisory.execute(
                    sa.text("SELECT pg_advisory_unlock(:k)"), {"k": store_lock_key(advisory, LOCK_NAME)}
                )
            advisory.close()
