"""The fault suite: what an operator meets when cobase runs unattended, and what the user then sees.

Each fault asserts the sentence the user reads and that every observation stored before is intact.
Faults already covered elsewhere (HTTP errors, bad bodies, timeouts...) are referenced in
``FAULTS_TESTED_ELSEWHERE`` and checked to still exist. The faults tested here: ``kill -9`` during a
refresh and during the first opening of a store (new and upgraded), 20 random kills that must converge,
overlapping refreshes on SQLite and PostgreSQL, concurrent first openings, a foreign SQLite file, a file
that is not SQLite, a read-only store, read commands on a missing store, a full disk, a stale lock of a
dead process, and the exit codes a monitor reads from ``cobase status``.

Refreshes run in processes of their own (``python -m cobase``, forked from a warm server that has
already imported cobase's libraries: ``tests/warm_process.py``), as cron runs them, against a threaded
local HTTP server that answers slowly enough for a kill to land in the middle.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cobase.db import _revisions
from cobase.fixture_server import load_routes, match_route
from tests import warm_process
from tests.e2e import (
    FAST_SCRAPY,
    FIXTURES,
    REPO,
    base_url,
    fresh_schema,
    local_http_server,
    observations,
    run_cli,
    sources_file,
    sql_rows,
    worker_schema_url,
)

pytestmark = pytest.mark.e2e

SOURCES = ["who_gho", "worldbank_wdi"]
HEAD_REVISION = _revisions()[0]  # the revision a complete store is at
PG_URL = os.environ.get("COBASE_TEST_POSTGRES_URL", "")
needs_postgres = pytest.mark.skipif(not PG_URL, reason="set COBASE_TEST_POSTGRES_URL to test on PostgreSQL")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

REFRESH, DOCUMENTS, RELIEFWEB = (
    "tests/test_refresh_e2e.py",
    "tests/test_documents_e2e.py",
    "tests/test_reliefweb_reports_e2e.py",
)
FAULTS_TESTED_ELSEWHERE = {
    "HTTP 500 after retries": (REFRESH, "test_bad_response_fails_the_refresh_with_a_clear_message"),
    "body that is not JSON": (REFRESH, "test_bad_response_loses_nothing_stored_before"),
    "empty body": (REFRESH, "test_bad_response_is_recorded_as_a_failed_run"),
    "records missing fields": (REFRESH, "test_a_failing_source_does_not_stop_the_other"),
    "server too slow (timeout)": (REFRESH, "test_timeout_is_a_clear_failure"),
    "unknown source key": (REFRESH, "test_unknown_source_key_is_a_clear_error"),
    "broken sources.yml": (REFRESH, "test_broken_sources_file_names_the_key"),
    "scanned PDF without text": (DOCUMENTS, "test_scanned_pdf_loses_nothing_stored_before"),
    "document gone (404)": (DOCUMENTS, "test_missing_document_fails_naming_it"),
    "credential refused (403)": (RELIEFWEB, "test_refused_appname_loses_nothing"),
    "missing credential": (RELIEFWEB, "test_without_appname_one_clear_message_names_the_variable"),
}
"""HTTP and content faults tested by other modules, each with a test asserting its message or that
nothing stored before was lost."""


@pytest.mark.parametrize("fault", sorted(FAULTS_TESTED_ELSEWHERE))
def test_fault_tested_elsewhere_still_is(fault: str) -> None:
    module, name = FAULTS_TESTED_ELSEWHERE[fault]
    tree = ast.parse((REPO / module).read_text(encoding="utf-8"))
    assert name in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


# --- helpers -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_server() -> Iterator[HTTPServer]:
    """A threaded local server answering every recorded request of SOURCES after ``server.delay`` s."""
    servers = local_http_server(threaded=True)
    server = next(servers)
    routes = [route for key in SOURCES for route in load_routes(FIXTURES / key)]
    server.delay = 0.0  # type: ignore[attr-defined]
    server.forced = {}  # type: ignore[attr-defined]

    def handler(request: Request) -> Response:
        time.sleep(server.delay)  # type: ignore[attr-defined]
        if request.path in server.forced:  # type: ignore[attr-defined]
            return server.forced[request.path]  # type: ignore[attr-defined]
        query = dict(parse_qsl(request.query_string.decode()))
        route = match_route(routes, request.path, query, method=request.method, body=request.get_data())
        if route is None:
            return Response("no recorded response", status=404)
        return Response(route.file.read_bytes(), status=200, content_type=route.content_type)

    server.expect_request(re.compile(".*")).respond_with_handler(handler)
    try:
        yield server
    finally:
        servers.close()


def _environment(heartbeat: float = 0.2) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200", "COBASE_HEARTBEAT_SECONDS": str(heartbeat)}
    env["COBASE_SCRAPY_SETTINGS"] = json.dumps({**FAST_SCRAPY, "CONCURRENT_REQUESTS": 2})
    env.pop("COBASE_DB", None)
    return env


def start_refresh(
    tmp: Path, db: str, server: HTTPServer, *extra: str
) -> warm_process.WarmProcess | subprocess.Popen[str]:
    """``cobase refresh`` of SOURCES in the background, as cron starts it."""
    sources = sources_file(tmp, dict.fromkeys(SOURCES, base_url(server)), keep=SOURCES)
    return warm_process.popen(
        [sys.executable, "-m", "cobase", "refresh", "--sources", str(sources), "--db", db, *extra],
        env=_environment(),
        cwd=REPO,
    )


def refresh(tmp: Path, db: str, server: HTTPServer, *extra: str) -> subprocess.CompletedProcess[str]:
    """``cobase refresh`` of SOURCES to its end."""
    process = start_refresh(tmp, db, server, *extra)
    stdout, stderr = process.communicate(timeout=180)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def one_line(text: str) -> str:
    return " ".join(text.split())


def current_values(db: str) -> list[tuple[str, ...]]:
    """Every current observation without our retrieval times (they differ from one refresh to another)."""
    keep = ("country_iso3", "source", "indicator", "dimension", "period_start", "period_end", "value", "unit")
    return sorted(
        tuple(row[k] for k in (*keep, "published_at", "snapshot_sha256", "url")) for row in observations(db)
    )


def wait_for(condition, timeout: float = 30.0, step: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(step)


def lock_taken(db: str) -> bool:
    try:
        return bool(sql_rows(db, "SELECT count(*) FROM refresh_lock WHERE token IS NOT NULL")[0][0])
    except sqlite3.Error:
        return False


def run_statuses(db: str) -> list[str]:
    return [status for (status,) in sql_rows(db, "SELECT status FROM refresh_run ORDER BY id")]


def has_running_run(db: str, pid: int | None = None) -> bool:
    """Whether a run (of process ``pid``) is ``running``, read without creating the store."""
    path = Path(db.removeprefix("sqlite:///"))
    if not path.exists():
        return False
    sql = "SELECT count(*) FROM refresh_run WHERE status = 'running'"
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            if pid is None:
                return bool(connection.execute(sql).fetchone()[0])
            return bool(connection.execute(f"{sql} AND pid = ?", (pid,)).fetchone()[0])
    except sqlite3.Error:
        return False


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def baseline(slow_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list]:
    """A store after one complete, uninterrupted refresh, and its current values (copied by tests)."""
    tmp = tmp_path_factory.mktemp("baseline")
    db = f"sqlite:///{tmp / 'cobase.db'}"
    slow_server.delay = 0.0  # type: ignore[attr-defined]
    result = refresh(tmp, db, slow_server)
    assert result.returncode == 0, result.stderr
    return tmp / "cobase.db", db, current_values(db)


def copy_store(baseline: tuple[Path, str, list], tmp: Path) -> str:
    """A copy of the baseline store in ``tmp``; returns its ``--db`` URL."""
    shutil.copy(baseline[0], tmp / "cobase.db")
    return f"sqlite:///{tmp / 'cobase.db'}"


# --- kill -9 during a refresh --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def killed(slow_server: HTTPServer, baseline, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A refresh killed with ``kill -9`` once its runs have started, then ``status``, then a refresh."""
    tmp = tmp_path_factory.mktemp("killed")
    db = copy_store(baseline, tmp)
    slow_server.delay = 0.3  # type: ignore[attr-defined]
    process = start_refresh(tmp, db, slow_server)
    try:
        wait_for(lambda: has_running_run(db, process.pid) and lock_taken(db))
        time.sleep(0.5)  # a heartbeat or two
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    slow_server.delay = 0.0  # type: ignore[attr-defined]
    shown = run_cli("status", db=db)
    shown_json = run_cli("status", "--json", db=db)
    statuses_after_kill = run_statuses(db)
    next_refresh = refresh(tmp, db, slow_server)
    return db, shown, shown_json, statuses_after_kill, next_refresh, current_values(db)


def test_kill_leaves_runs_running_in_the_store(killed) -> None:  # type: ignore[no-untyped-def]
    assert "running" in killed[3]


def test_status_shows_a_killed_run_interrupted_with_when_last_seen_alive(killed) -> None:  # type: ignore[no-untyped-def]
    shown = one_line(killed[1].stdout)
    assert "interrupted (last seen alive" in shown and "running" not in shown


def test_status_exit_code_says_failed_after_a_kill(killed) -> None:  # type: ignore[no-untyped-def]
    records = json.loads(killed[2].stdout)
    interrupted = [r for r in records if r["last_run_status"] == "interrupted"]
    assert (killed[1].returncode, killed[2].returncode, bool(interrupted)) == (2, 2, True)
    assert all(r["last_seen_alive_at"] and "interrupted: process" in r["last_error"] for r in interrupted)


def test_next_refresh_takes_over_the_dead_lock_and_closes_runs_interrupted(killed) -> None:  # type: ignore[no-untyped-def]
    db, next_refresh = killed[0], killed[4]
    statuses = run_statuses(db)
    assert next_refresh.returncode == 0, next_refresh.stderr
    assert "running" not in statuses and "interrupted" in statuses


def test_interrupted_runs_record_their_process(killed) -> None:  # type: ignore[no-untyped-def]
    rows = sql_rows(
        killed[0],
        "SELECT pid, host, heartbeat_at, finished_at, error FROM refresh_run WHERE status = 'interrupted'",
    )
    assert rows and all(
        pid and host and heartbeat and finished and "stopped before finishing" in error
        for pid, host, heartbeat, finished, error in rows
    )


def test_kill_loses_nothing_stored_before(killed, baseline) -> None:  # type: ignore[no-untyped-def]
    assert killed[5] == baseline[2]


def test_status_is_healthy_again_after_the_next_refresh(killed) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("status", db=killed[0])
    assert result.returncode == 0 and "every refreshed source is fresh" in one_line(result.stdout)


def test_twenty_random_kills_converge_to_the_uninterrupted_state(
    slow_server: HTTPServer, baseline, tmp_path: Path
) -> None:
    """20 ``kill -9`` at random moments of refreshes of a new store, then one refresh to its end.

    Every other kill waits for the refresh's runs to start (then a random delay), so kills land in the
    middle of ingestion however slow the machine; the others land anywhere, first opening included.
    """
    db = f"sqlite:///{tmp_path / 'cobase.db'}"
    slow_server.delay = 0.2  # type: ignore[attr-defined]
    rng = random.Random(12)
    started = time.monotonic()
    for trial in range(20):
        process = start_refresh(tmp_path, db, slow_server)
        if trial % 2:
            pid = process.pid
            with contextlib.suppress(AssertionError):
                wait_for(lambda: has_running_run(db, pid) or process.poll() is not None, timeout=20)  # noqa: B023
            # the last kill lands as soon as the runs started, so one run is surely left `running`
            time.sleep(rng.uniform(0.0, 0.5) if trial < 19 else 0.0)
        else:
            # the first opening and the first requests (a warm child is refreshing within a few tenths
            # of a second), then anywhere in the refresh; the odd trials cover the rest of it
            time.sleep(rng.uniform(0.05, 1.5))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    slow_server.delay = 0.0  # type: ignore[attr-defined]
    killed_statuses = run_statuses(db)
    final = refresh(tmp_path, db, slow_server)
    elapsed = time.monotonic() - started
    statuses = run_statuses(db)
    assert final.returncode == 0, final.stderr
    assert "running" in killed_statuses and "running" not in statuses, statuses
    # each refresh closed the runs its killed predecessors left; the last refresh closed the rest.
    # How many runs a kill interrupts depends on the machine's speed: at least a few must have been.
    assert statuses.count("interrupted") == len(killed_statuses) - killed_statuses.count("success") >= 5
    assert statuses[-2:] == ["success", "success"]
    assert current_values(db) == baseline[2]
    assert elapsed < 180  # 10 to 30 s on two cores, depending on load: a guard against a hang


# --- kill -9 during the first opening of a store -------------------------------------------------------

KILL_DURING_MIGRATION = textwrap.dedent(
    """
    import os, signal, sys
    from alembic import command
    import cobase.db as db
    real_upgrade = command.upgrade

    def upgrade_then_die(config, revision):
        real_upgrade(config, revision)  # every table created, not yet committed
        open(sys.argv[2], "w").write("migrated")
        os.kill(os.getpid(), signal.SIGKILL)

    command.upgrade = upgrade_then_die
    db.open_store(sys.argv[1])
    """
)


OPEN_STORE = "import sys; from cobase.db import open_store; open_store(sys.argv[1]); print('ok')"
"""A process that opens (creates, upgrades) the store ``sys.argv[1]``, then says ok."""


def _kill_during_migration(url: str, tmp: Path) -> None:
    marker = tmp / "migrated"
    command = [sys.executable, "-c", KILL_DURING_MIGRATION, url, str(marker)]
    result = warm_process.run(command, cwd=REPO, env=_environment(), timeout=60)
    assert result.returncode == -signal.SIGKILL and marker.exists()


def _open_in_subprocess(url: str) -> subprocess.CompletedProcess[str]:
    return warm_process.run(
        [sys.executable, "-c", OPEN_STORE, url], cwd=REPO, env=_environment(), timeout=120
    )


def test_kill_during_creation_of_a_new_store_leaves_no_store(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    _kill_during_migration(f"sqlite:///{path}", tmp_path)
    leftovers = list(tmp_path.glob(".new.db.creating-*"))
    assert not path.exists() and leftovers


def test_store_killed_during_creation_opens_next_time_and_leftover_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    _kill_during_migration(f"sqlite:///{path}", tmp_path)
    opened = _open_in_subprocess(f"sqlite:///{path}")
    assert opened.returncode == 0, opened.stderr
    assert sql_rows(f"sqlite:///{path}", "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    assert not [p for p in tmp_path.iterdir() if ".creating-" in p.name]


def test_kill_during_an_upgrade_keeps_the_older_store_whole(baseline, tmp_path: Path) -> None:
    """A store at revision 0004 whose upgrade is killed stays at 0004, its observations intact."""
    from alembic import command

    from cobase.db import alembic_config

    url = copy_store(baseline, tmp_path)
    config = alembic_config(url)
    command.downgrade(config, "0004")
    before = sql_rows(url, "SELECT count(*), sum(value_num) FROM observation")
    _kill_during_migration(url, tmp_path)
    kept = sql_rows(url, "SELECT version_num FROM alembic_version")
    opened = _open_in_subprocess(url)
    assert kept == [("0004",)] and opened.returncode == 0, opened.stderr
    assert sql_rows(url, "SELECT count(*), sum(value_num) FROM observation") == before
    assert current_values(url) == baseline[2]


def test_random_kills_during_first_open_never_leave_a_broken_store(tmp_path: Path) -> None:
    rng = random.Random(7)
    for trial in range(4):
        url = f"sqlite:///{tmp_path / f'store{trial}.db'}"
        process = warm_process.popen([sys.executable, "-c", OPEN_STORE, url], cwd=REPO, env=_environment())
        # forked warm, the child creates the store within its first 0.3 s or so (cobase's own imports,
        # then every migration): the kills land before, during and just after the creation
        time.sleep(rng.uniform(0.02, 0.4))
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        path = tmp_path / f"store{trial}.db"
        assert not path.exists() or sql_rows(url, "SELECT version_num FROM alembic_version") == [
            (HEAD_REVISION,)
        ]
        assert _open_in_subprocess(url).returncode == 0


def test_concurrent_openers_of_a_new_sqlite_store_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    processes = [
        warm_process.popen([sys.executable, "-c", OPEN_STORE, url], cwd=REPO, env=_environment())
        for _ in range(4)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], [err for _out, err in results]
    assert sql_rows(url, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]


def test_concurrent_upgrades_of_an_older_store_all_succeed(baseline, tmp_path: Path) -> None:
    from alembic import command

    from cobase.db import alembic_config

    url = copy_store(baseline, tmp_path)
    command.downgrade(alembic_config(url), "0004")
    processes = [
        warm_process.popen([sys.executable, "-c", OPEN_STORE, url], cwd=REPO, env=_environment())
        for _ in range(3)
    ]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], errors
    assert current_values(url) == baseline[2]


# --- two refreshes at once -----------------------------------------------------------------------------

OUTLAST_A_START = 2.0
"""Seconds each answer waits while the first refresh must still hold the lock: longer than a second
``cobase`` process takes to start and reach the lock, however fast refreshes have become (at 0.4 s the
first sometimes finished before the second asked, and the second then ran, exit 0)."""


def test_overlapping_refresh_on_sqlite_exits_with_one_sentence_naming_the_running_one(
    slow_server: HTTPServer, baseline, tmp_path: Path
) -> None:
    db = copy_store(baseline, tmp_path)
    slow_server.delay = OUTLAST_A_START  # type: ignore[attr-defined]
    first = start_refresh(tmp_path, db, slow_server)
    try:
        wait_for(lambda: lock_taken(db))
        second = refresh(tmp_path, db, slow_server)
    finally:
        slow_server.delay = 0.0  # type: ignore[attr-defined]
        _first_out, first_err = first.communicate(timeout=180)
    message = one_line(second.stderr)
    assert second.returncode == 75 and "Traceback" not in second.stderr
    assert f"another refresh of this store is running (refresh by process {first.pid} on" in message
    assert "--wait SECONDS" in message and len(second.stderr.strip().splitlines()) == 1
    assert first.returncode == 0, first_err
    assert current_values(db) == baseline[2] and "running" not in run_statuses(db)


def test_overlapping_refresh_with_wait_runs_after_the_first(
    slow_server: HTTPServer, baseline, tmp_path: Path
) -> None:
    db = copy_store(baseline, tmp_path)
    slow_server.delay = 0.2  # type: ignore[attr-defined]
    first = start_refresh(tmp_path, db, slow_server)
    try:
        wait_for(lambda: lock_taken(db))
        second = refresh(tmp_path, db, slow_server, "--wait", "120")
    finally:
        slow_server.delay = 0.0  # type: ignore[attr-defined]
        first.communicate(timeout=180)
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert run_statuses(db)[-4:] == ["success"] * 4  # two runs of each refresh, one after the other
    assert current_values(db) == baseline[2]


@pytest.fixture
def pg_store() -> Iterator[str]:
    """A PostgreSQL store in a schema of its own and of this pytest-xdist worker."""
    url = worker_schema_url(PG_URL, "cobase_faults")
    fresh_schema(url)
    try:
        yield url
    finally:
        fresh_schema(url)  # left empty


@needs_postgres
def test_overlapping_refresh_on_postgresql_exits_with_one_sentence(
    slow_server: HTTPServer, pg_store: str, tmp_path: Path
) -> None:
    first_refresh = refresh(tmp_path, pg_store, slow_server)
    assert first_refresh.returncode == 0, first_refresh.stderr
    before = current_values(pg_store)
    slow_server.delay = OUTLAST_A_START  # type: ignore[attr-defined]
    first = start_refresh(tmp_path, pg_store, slow_server)
    engine = sa.create_engine(pg_store)
    try:

        def held() -> bool:
            with engine.connect() as connection:
                return bool(
                    connection.execute(
                        sa.text("SELECT count(*) FROM refresh_lock WHERE token IS NOT NULL")
                    ).scalar()
                )

        wait_for(held)
        second = refresh(tmp_path, pg_store, slow_server)
    finally:
        slow_server.delay = 0.0  # type: ignore[attr-defined]
        first.communicate(timeout=180)
        engine.dispose()
    message = one_line(second.stderr)
    assert second.returncode == 75 and "Traceback" not in second.stderr and "UniqueViolation" not in message
    assert f"another refresh of this store is running (refresh by process {first.pid} on" in message
    assert first.returncode == 0 and current_values(pg_store) == before


@needs_postgres
def test_killed_refresh_on_postgresql_releases_its_lock_and_is_interrupted(
    slow_server: HTTPServer, pg_store: str, tmp_path: Path
) -> None:
    slow_server.delay = 0.3  # type: ignore[attr-defined]
    first = start_refresh(tmp_path, pg_store, slow_server)
    engine = sa.create_engine(pg_store)

    def running() -> bool:
        with contextlib.suppress(sa.exc.SQLAlchemyError), engine.connect() as connection:
            return bool(
                connection.execute(
                    sa.text("SELECT count(*) FROM refresh_run WHERE status = 'running'")
                ).scalar()
            )
        return False

    try:
        wait_for(running)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        slow_server.delay = 0.0  # type: ignore[attr-defined]
    time.sleep(0.5)  # the server notices the closed connection and releases the advisory lock
    shown = run_cli("status", db=pg_store)
    again = refresh(tmp_path, pg_store, slow_server)
    with engine.connect() as connection:
        statuses = {s for (s,) in connection.execute(sa.text("SELECT status FROM refresh_run"))}
    engine.dispose()
    assert shown.returncode == 2 and "interrupted (last seen alive" in one_line(shown.stdout)
    assert again.returncode == 0, again.stderr
    assert "running" not in statuses and "interrupted" in statuses


@needs_postgres
def test_concurrent_openers_of_a_new_postgresql_store_all_succeed(pg_store: str) -> None:
    processes = [
        warm_process.popen([sys.executable, "-c", OPEN_STORE, pg_store], cwd=REPO, env=_environment())
        for _ in range(4)
    ]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], errors


@needs_postgres
def test_kill_during_creation_of_a_postgresql_store_leaves_nothing_half_made(
    pg_store: str, tmp_path: Path
) -> None:
    _kill_during_migration(pg_store, tmp_path)
    engine = sa.create_engine(pg_store)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    opened = _open_in_subprocess(pg_store)
    assert tables == set() and opened.returncode == 0, opened.stderr


@needs_postgres
def test_foreign_postgresql_schema_is_refused_unchanged(pg_store: str) -> None:
    engine = sa.create_engine(pg_store)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE invoices (id integer primary key)"))
    result = run_cli("refresh", "who_gho", db=pg_store)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert result.returncode == 2 and "is not a cobase store" in one_line(result.stderr)
    assert tables == {"invoices"}


# --- files that are not (or not yet, or not writable) cobase stores ------------------------------------


def test_foreign_sqlite_file_is_refused_unchanged_and_not_switched_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "other-app.db"
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        connection.execute("INSERT INTO invoices VALUES (1, 12.5)")
    digest = sha256(path)
    results = [
        run_cli(*command, db=str(path)) for command in (["status"], ["refresh", "who_gho"], ["observations"])
    ]
    message = one_line(results[1].stderr)
    assert [r.returncode for r in results] == [3, 2, 2]
    assert f"{path} is not a cobase store (it holds other tables: invoices) and was left unchanged" in message
    assert sha256(path) == digest and sorted(p.name for p in tmp_path.iterdir()) == ["other-app.db"]
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n", encoding="utf-8")
    result = run_cli("refresh", "who_gho", db=str(path))
    assert result.returncode == 2 and "is not an SQLite database, so not a cobase store" in one_line(
        result.stderr
    )
    assert path.read_text(encoding="utf-8") == "not a database\n"


def test_read_commands_never_create_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "missing.db"
    results = {
        command[0]: run_cli(*command, db=str(missing))
        for command in (
            ["status"],
            ["observations"],
            ["finding", "list"],
            ["assess", "--country", "CIV", "--pathology", "hiv"],
        )
    }
    assert {name: result.returncode for name, result in results.items()} == {
        "status": 3,
        "observations": 2,
        "finding": 2,
        "assess": 2,
    }
    assert all(f"the store {missing} does not exist" in one_line(r.stderr) for r in results.values())
    assert not missing.exists() and not missing.parent.exists()


@pytest.fixture
def read_only_store(baseline, tmp_path: Path) -> Iterator[str]:
    """A copy of the baseline store on a read-only mount (as root) or in a read-only directory."""
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = False
    if IS_ROOT:
        mounted = (
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)]).returncode == 0
        )
        if not mounted:
            pytest.skip("cannot mount a tmpfs to make a read-only store")
    shutil.copy(baseline[0], folder / "cobase.db")
    if mounted:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        (folder / "cobase.db").chmod(0o444)
        folder.chmod(0o555)
    try:
        yield f"sqlite:///{folder / 'cobase.db'}"
    finally:
        if mounted:
            subprocess.run(["umount", "--lazy", str(folder)], check=False)
        else:
            folder.chmod(0o755)


def test_read_only_store_can_be_read(read_only_store: str, baseline) -> None:
    shown = run_cli("status", db=read_only_store)
    assert shown.returncode == 0 and "who_gho" in shown.stdout, shown.stderr
    assert current_values(read_only_store) == baseline[2]
    assessed = run_cli("assess", "--country", "CIV", "--pathology", "hiv", db=read_only_store)
    assert assessed.returncode == 0 and json.loads(assessed.stdout)["country_iso3"] == "CIV"


def test_read_only_store_refuses_a_refresh_in_one_sentence(
    read_only_store: str, baseline, slow_server: HTTPServer, tmp_path: Path
) -> None:
    path = Path(read_only_store.removeprefix("sqlite:///"))
    digest = sha256(path)
    result = refresh(tmp_path, read_only_store, slow_server)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the store is read-only" in one_line(result.stderr)
    assert sha256(path) == digest


# --- a full disk ---------------------------------------------------------------------------------------


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs (root only): a disk that can be filled without filling the machine's."""
    if not IS_ROOT:
        pytest.skip("mounting a small filesystem needs root")
    folder = tmp_path / "small"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(folder)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def test_disk_full_during_refresh_is_one_sentence_with_a_summary(
    small_filesystem: Path, baseline, slow_server: HTTPServer, tmp_path: Path
) -> None:
    db = f"sqlite:///{small_filesystem / 'cobase.db'}"
    shutil.copy(baseline[0], small_filesystem / "cobase.db")
    filler = small_filesystem / "filler"
    free = shutil.disk_usage(small_filesystem).free
    filler.write_bytes(b"\0" * (free - 160 * 1024))  # room for a few pages, not for a big body
    big = json.dumps({"value": [{"noise": os.urandom(600 * 1024).hex()}]})
    slow_server.forced = {"/api/MH_6": Response(big, content_type="application/json")}  # type: ignore[attr-defined]
    try:
        full = refresh(tmp_path, db, slow_server)
    finally:
        slow_server.forced = {}  # type: ignore[attr-defined]
    message = one_line(full.stderr)
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert "Disk full: the refresh stopped storing responses; nothing stored before was changed" in message
    assert "Refresh summary" in full.stdout and "who_gho" in full.stdout
    assert "running" not in run_statuses(db)  # each run's end was recorded, the full disk included
    filler.unlink()
    assert current_values(db) == baseline[2]
    shown = run_cli("status", db=db)
    assert "running" not in shown.stdout and shown.returncode == 2
    again = refresh(tmp_path, db, slow_server)
    assert again.returncode == 0 and "running" not in run_statuses(db)


# --- what a monitor reads --------------------------------------------------------------------------------


def test_status_exit_codes_tell_fresh_stale_failed_and_unreadable(baseline, tmp_path: Path) -> None:
    db = copy_store(baseline, tmp_path)
    fresh = run_cli("status", db=db)
    stale = run_cli("status", "--max-age", "0", db=db)
    with contextlib.closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as connection, connection:
        connection.execute(
            "UPDATE refresh_run SET status = 'failed', error = 'HTTP 500'"
            " WHERE id = (SELECT max(id) FROM refresh_run)"
        )
    failed = run_cli("status", db=db)
    missing = run_cli("status", db=str(tmp_path / "nothing.db"))
    assert [r.returncode for r in (fresh, stale, failed, missing)] == [0, 1, 2, 3]
    assert "not refreshed for 0 days: who_gho, worldbank_wdi" in one_line(stale.stdout)
    assert "failed or interrupted: worldbank_wdi" in one_line(failed.stdout)
