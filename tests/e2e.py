"""Helpers for end-to-end tests: serve fixtures on 127.0.0.1, run the real ``cobase`` CLI where the process
boundary is the behaviour, and do the rest in-process.

The CLI runs in a subprocess because Twisted's reactor cannot be restarted within one process, exactly
as cron would run it. The server is the module-scoped ``local_server`` fixture of ``tests/conftest.py``;
:func:`refresh_sources` points a copy of sources.yml at it and refreshes, and
:func:`good_then_bad_refresh` runs the bad-input scenario every source module checks.

Each subprocess pays a second or two of imports, so only what needs a process uses one (a first and a
second refresh, one failing refresh per source for its exit code and stderr, kills, locks, timeouts).
Results are read back in-process with the commands' own functions (:func:`observations`,
:func:`status`); other answers, bad ones above all, go through the refresh path in-process
(:func:`ingest_in_process`), from a store built once per module and copied (:func:`copy_store`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cobase.fixture_server import load_routes, match_route
from cobase.yamltext import load_yaml
from tests import warm_process

if TYPE_CHECKING:
    from cobase.refresh import SourceSummary

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
FAST_SCRAPY = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "ROBOTSTXT_OBEY": False,
    "RETRY_TIMES": 1,
    "DOWNLOAD_TIMEOUT": 5,
}


def serve_routes(
    server: HTTPServer, sources: list[str], overrides: Mapping[str, Response] | None = None
) -> None:
    """Answer every request from the sources' routes.json; ``overrides`` maps a path to a forced response."""
    routes = [route for key in sources for route in load_routes(FIXTURES / key)]
    forced = dict(overrides or {})

    def handler(request: Request) -> Response:
        if request.path in forced:
            return forced[request.path]
        query = dict(parse_qsl(request.query_string.decode()))
        route = match_route(routes, request.path, query, method=request.method, body=request.get_data())
        if route is None:
            return Response("no recorded response", status=404)
        return Response(route.file.read_bytes(), status=200, content_type=route.content_type)

    server.expect_request(re.compile(".*")).respond_with_handler(handler)


def base_url(server: HTTPServer) -> str:
    """The local server's address, without a trailing slash, as sources.yml's ``base_url`` takes it."""
    return server.url_for("").rstrip("/")


def database_url(tmp: Path) -> str:
    """A SQLite database in ``tmp``, as ``--db`` takes it."""
    return f"sqlite:///{tmp / 'cobase.db'}"


def sources_file(
    tmp: Path,
    base_urls: Mapping[str, str],
    keep: list[str] | None = None,
    extra_source_fields: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """A copy of sources.yml with base URLs pointing at the local server (and only ``keep`` sources).

    ``extra_source_fields`` maps a source key to fields to set on its entry; its ``params`` are updated,
    not replaced.
    """
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
    if keep is not None:
        data["sources"] = {key: value for key, value in data["sources"].items() if key in keep}
    for key, url in base_urls.items():
        if key in data["sources"]:
            entry = data["sources"][key]
            # A mirror serves the producer's files: citations keep the producer's public address.
            entry.setdefault("canonical_base_url", entry["base_url"])
            entry["base_url"] = url
    for key, changes in (extra_source_fields or {}).items():
        entry = data["sources"][key]
        for field, value in changes.items():
            entry[field] = {**entry.get("params", {}), **value} if field == "params" else value
    if keep is not None:
        # After the extra fields too: an indicator list copied from sources.yml may name a source not kept.
        for value in data["sources"].values():
            if value.get("republishes") not in data["sources"]:
                value.pop("republishes", None)
            for indicator in value.get("indicators") or []:
                if indicator.get("republishes") not in data["sources"]:
                    indicator.pop("republishes", None)
    path = tmp / "sources.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


PEAK_FILE_VARIABLE = "COBASE_TEST_PEAK_FILE"
"""When set (by a test), ``run_cli`` writes the peak memory of each command to that file."""

_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code if code >= 0 else 128 - code)\n"
)


def peak_memory_mb(peak_file: Path) -> float:
    """The peak resident memory of the last command run with ``COBASE_TEST_PEAK_FILE=peak_file``.

    Measured by its own parent, so that no other test's child counts (``RUSAGE_CHILDREN`` of the test
    process is the largest child of the whole session).
    """
    return int(peak_file.read_text(encoding="utf-8")) / 1024


def run_cli(
    *args: str,
    db: str,
    scrapy: Mapping[str, object] | None = None,
    timeout: float = 180,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cobase ARGS --db DB`` and capture its output; ``env`` adds environment variables."""
    environment = {**os.environ, **(env or {})}
    environment["COBASE_SCRAPY_SETTINGS"] = json.dumps({**FAST_SCRAPY, **(scrapy or {})})
    environment["COLUMNS"] = "200"
    environment.pop("COBASE_DB", None)
    command = [sys.executable, "-m", "cobase", *args, "--db", db]
    peak_file = environment.get(PEAK_FILE_VARIABLE)
    if peak_file:  # a tiny parent that writes the peak memory of this one command (see peak_memory_mb),
        # started from scratch: a child forked by the warm server would count the server's own pages
        command = [sys.executable, "-c", _PEAK_WRAPPER, peak_file, *command]
        return subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=timeout, cwd=REPO
        )
    return warm_process.run(command, env=environment, timeout=timeout, cwd=REPO)


def observations(
    db: str,
    *,
    source: str | None = None,
    country: str | None = None,
    indicator: str | None = None,
    all_versions: bool = False,
) -> list[dict[str, str]]:
    """What ``cobase observations`` prints for these filters, read back in-process as CSV rows.

    The same query and the same CSV writer as the command (``--country`` resolved as it resolves it),
    without paying a process start for every read; tests of the command itself call :func:`run_cli`.
    """
    from cobase.db import session_scope
    from cobase.harmonize.countries import resolve_country
    from cobase.queries import list_observations, write_observations_csv

    iso3 = resolve_country(country).iso3 if country else None
    output = io.StringIO()
    with _opened(db) as engine, session_scope(engine) as session:
        rows = list_observations(
            session, country_iso3=iso3, source=source, indicator=indicator, all_versions=all_versions
        )
        write_observations_csv(rows, output)
    return list(csv.DictReader(io.StringIO(output.getvalue())))


def status(db: str) -> dict[str, dict[str, Any]]:
    """What ``cobase status --json`` prints, by source key, read in-process with the command's functions."""
    from cobase.clock import utcnow
    from cobase.db import session_scope
    from cobase.queries import refresh_due, source_status, status_records
    from cobase.registry import load_registry

    with _opened(db) as engine, session_scope(engine) as session:
        statuses = source_status(session)
        due = refresh_due(session, load_registry(), [entry.source for entry in statuses], utcnow())
    return {entry["source"]: entry for entry in status_records(statuses, due)}


@contextmanager
def _opened(db: str, *, create: bool = False) -> Iterator[sa.Engine]:
    """An engine on the store ``db`` (``create``: a new one, migrated as ``cobase`` creates it), disposed
    after use: no connection stays open while a later ``cobase`` process of the same test writes the file
    (and no engine outlives its temporary file)."""
    from cobase.db import make_engine, migrate

    missing = not Path(db.removeprefix("sqlite:///")).exists()
    engine = make_engine(db)
    try:
        if create and missing:
            migrate(engine)
        yield engine
    finally:
        engine.dispose()


def sql_rows(db: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` selects in the SQLite database ``db``."""
    with sqlite3.connect(db.removeprefix("sqlite:///")) as connection:
        return connection.execute(sql).fetchall()


def refresh_sources(
    server: HTTPServer,
    tmp: Path,
    db: str,
    sources: list[str],
    overrides: Mapping[str, Response] | None = None,
    extra_source_fields: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    routes: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``cobase refresh`` of only ``sources``, all on ``server``, which answers from their recordings.

    ``routes`` names the fixture folders served when they are not the sources' own; ``overrides`` forces
    the response of some paths; ``extra_source_fields`` as for :func:`sources_file`.
    """
    server.clear()
    serve_routes(server, routes or sources, overrides)
    path = sources_file(
        tmp, dict.fromkeys(sources, base_url(server)), keep=sources, extra_source_fields=extra_source_fields
    )
    return run_cli("refresh", "--sources", str(path), db=db, env=env)


def refresh_twice(
    server: HTTPServer,
    tmp: Path,
    sources: list[str],
    extra_source_fields: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[str, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Two good refreshes of a new database in ``tmp``: the first stores, the second must add nothing."""
    db = database_url(tmp)
    first = refresh_sources(server, tmp, db, sources, extra_source_fields=extra_source_fields)
    second = refresh_sources(server, tmp, db, sources, extra_source_fields=extra_source_fields)
    return db, first, second


def ingest_in_process(
    server: HTTPServer,
    tmp: Path,
    db: str,
    sources: list[str],
    overrides: Mapping[str, Response] | None = None,
    extra_source_fields: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    routes: list[str] | None = None,
) -> list[SourceSummary]:
    """What :func:`refresh_sources` would store, without a process: each source's spider replayed over the
    recordings (``overrides`` answering some paths), its items through the refresh path
    (:func:`cobase.refresh.ingest_responses`: snapshot, parse, harmonize, ingest, a recorded run).

    The sources file is the one :func:`refresh_sources` writes (``server``'s address as ``base_url``), so
    requests, URLs and citations are those of a refresh of the same module; nothing is fetched. A store
    that does not exist yet is created.
    """
    from unittest import mock

    from cobase.refresh import ingest_responses, spider_arguments
    from cobase.registry import load_registry
    from crawlers.spiders import spiders
    from tests.helpers import replay_crawl

    path = sources_file(
        tmp, dict.fromkeys(sources, base_url(server)), keep=sources, extra_source_fields=extra_source_fields
    )
    registry = load_registry(path)
    answers = {
        path: (response.status_code, response.get_data(), response.headers.get("Content-Type"))
        for path, response in (overrides or {}).items()
    }
    summaries = []
    with mock.patch.dict(os.environ, env or {}), _opened(db, create=True) as engine:
        for key in sources:
            spider = spiders()[key](**spider_arguments(registry.get(key)))
            items = replay_crawl(spider, key, routes=routes or sources, answers=answers)
            summaries.append(ingest_responses(engine, registry, key, items))
    return summaries


def good_store(
    server: HTTPServer,
    tmp: Path,
    sources: list[str],
    extra_source_fields: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """A new store in ``tmp`` holding one good refresh of ``sources``, made in-process: the store a module
    copies (:func:`copy_store`) before each bad answer it sends through ``cobase refresh``."""
    tmp.mkdir(parents=True, exist_ok=True)
    db = database_url(tmp)
    summaries = ingest_in_process(server, tmp, db, sources, extra_source_fields=extra_source_fields, env=env)
    assert all(summary.status == "success" for summary in summaries), [s.errors for s in summaries]
    return db


def copy_store(db: str, tmp: Path) -> str:
    """A copy of the SQLite store ``db`` in ``tmp`` (a store built once per module, reused per test)."""
    source = Path(db.removeprefix("sqlite:///"))
    copied = database_url(tmp)
    for suffix in ("", "-wal", "-shm"):  # a store left in WAL mode keeps recent pages beside the file
        if source.with_name(source.name + suffix).exists():
            shutil.copy(
                source.with_name(source.name + suffix), Path(copied.removeprefix("sqlite:///") + suffix)
            )
    return copied


@dataclass(frozen=True)
class BadRefresh:
    """A good store, then a refresh where ``path`` answered badly: what was stored before and after, the
    run, and either the ``cobase refresh`` process (``result``) or, in-process, its ``summaries``."""

    db: str
    path: str
    expected: str  # what the failure must say
    before: list[dict[str, str]]
    after: list[dict[str, str]]
    result: subprocess.CompletedProcess[str] | None
    status: dict[str, dict[str, Any]]
    summaries: list[SourceSummary] = dataclass_field(default_factory=list)

    @property
    def stderr_one_line(self) -> str:
        """The bad refresh's stderr with its white space folded (a long message may wrap)."""
        assert self.result is not None, "an in-process refresh has no stderr: read `message`"
        return " ".join(self.result.stderr.split())

    @property
    def failed(self) -> bool:
        """The refresh failed: exit code 1 from the command, or a failed source in-process (the exit
        code ``cobase refresh`` derives from the same summaries)."""
        if self.result is not None:
            return self.result.returncode == 1
        return any(summary.status == "failed" for summary in self.summaries)

    @property
    def message(self) -> str:
        """What the refresh said of the failure, white space folded: the command's stderr, or the
        ``source: error`` lines it prints from the in-process summaries."""
        if self.result is not None:
            return self.stderr_one_line
        lines = [f"{summary.key}: {error}" for summary in self.summaries for error in summary.errors]
        return " ".join(" ".join(lines).split())


def good_then_bad_refresh(
    server: HTTPServer,
    tmp: Path,
    sources: list[str],
    path: str,
    response: Response,
    expected: str,
    *,
    routes: list[str] | None = None,
    extra_source_fields: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    good_store: str | None = None,
    in_process: bool = False,
) -> BadRefresh:
    """Refresh ``sources`` into a new database in ``tmp``, then again with ``path`` answering ``response``.

    ``good_store`` is a store of good refreshes to copy instead of the first refresh; ``in_process`` sends
    the bad answer through :func:`ingest_in_process` instead of ``cobase refresh``. ``before`` and
    ``after`` are every version of every stored observation.
    """
    options: dict[str, Any] = {"extra_source_fields": extra_source_fields, "env": env, "routes": routes}
    if good_store is not None:
        db = copy_store(good_store, tmp)
    else:
        db = database_url(tmp)
        good = refresh_sources(server, tmp, db, sources, **options)
        assert good.returncode == 0, good.stdout + good.stderr
    before = observations(db, all_versions=True)
    if in_process:
        summaries = ingest_in_process(server, tmp, db, sources, {path: response}, **options)
        after = observations(db, all_versions=True)
        return BadRefresh(db, path, expected, before, after, None, status(db), summaries)
    result = refresh_sources(server, tmp, db, sources, {path: response}, **options)
    return BadRefresh(db, path, expected, before, observations(db, all_versions=True), result, status(db))


def local_http_server(*, threaded: bool = False) -> Iterator[HTTPServer]:
    """A started HTTP server on 127.0.0.1 (a free port), cleared and stopped when the generator closes.

    The one way the tests start a local server: module fixtures ``yield from`` it.
    """
    server = HTTPServer(host="127.0.0.1", port=0, threaded=threaded)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def worker_schema_url(url: str, name: str) -> str:
    """``url`` with its search path set to the schema ``name`` of this pytest-xdist worker.

    Each worker has its own schema in the one test database, so two workers never wipe or fill each
    other's store (see :func:`fresh_schema`).
    """
    schema = f"{name}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def fresh_schema(url: str) -> None:
    """Empty (drop and create) the schema that ``url``'s search path names (:func:`worker_schema_url`)."""
    import sqlalchemy as sa  # only the PostgreSQL tests need it

    schema = url.rsplit("search_path%3D", 1)[1]
    admin = sa.create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
