"""Helpers for end-to-end tests: serve fixtures on 127.0.0.1 and run the real ``cobase`` CLI.

The CLI runs in a subprocess because Twisted's reactor cannot be restarted within one process, exactly
as cron would run it. The server is the module-scoped ``local_server`` fixture of ``tests/conftest.py``;
:func:`refresh_sources` points a copy of sources.yml at it and refreshes, and
:func:`good_then_bad_refresh` runs the bad-input scenario every source module checks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cobase.fixture_server import load_routes, match_route

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
    data = yaml.safe_load((REPO / "sources.yml").read_text(encoding="utf-8"))
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
    if peak_file:  # a tiny parent that writes the peak memory of this one command (see peak_memory_mb)
        command = [sys.executable, "-c", _PEAK_WRAPPER, peak_file, *command]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        cwd=REPO,
    )


def observations(db: str, *args: str, source: str | None = None) -> list[dict[str, str]]:
    """``cobase observations ARGS`` (of ``source`` only, when given), its CSV read into rows."""
    result = run_cli("observations", *(("--source", source) if source else ()), *args, db=db)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def status(db: str) -> dict[str, dict[str, Any]]:
    """``cobase status --json``, by source key."""
    result = run_cli("status", "--json", db=db)
    # 0 fresh, 1 stale, 2 failed or interrupted: the exit code is the store's health (README).
    assert result.returncode in (0, 1, 2), result.stderr
    return {entry["source"]: entry for entry in json.loads(result.stdout)}


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


@dataclass(frozen=True)
class BadRefresh:
    """A good refresh, then one where ``path`` answered badly: what was stored before and after, the run."""

    db: str
    path: str
    expected: str  # what the failure must say
    before: list[dict[str, str]]
    after: list[dict[str, str]]
    result: subprocess.CompletedProcess[str]
    status: dict[str, dict[str, Any]]

    @property
    def stderr_one_line(self) -> str:
        """The bad refresh's stderr with its white space folded (a long message may wrap)."""
        return " ".join(self.result.stderr.split())


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
) -> BadRefresh:
    """Refresh ``sources`` into a new database in ``tmp``, then again with ``path`` answering ``response``.

    ``before`` and ``after`` are every version of every stored observation.
    """
    db = database_url(tmp)
    options: dict[str, Any] = {"extra_source_fields": extra_source_fields, "env": env, "routes": routes}
    good = refresh_sources(server, tmp, db, sources, **options)
    assert good.returncode == 0, good.stdout + good.stderr
    before = observations(db, "--all-versions")
    result = refresh_sources(server, tmp, db, sources, {path: response}, **options)
    return BadRefresh(db, path, expected, before, observations(db, "--all-versions"), result, status(db))


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
