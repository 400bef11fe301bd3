"""Helpers for end-to-end tests: serve fixtures on 127.0.0.1 and run the real ``cobase`` CLI.

The CLI runs in a subprocess because Twisted's reactor cannot be restarted within one process, exactly
as cron would run it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
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


def sources_file(tmp: Path, base_urls: Mapping[str, str], keep: list[str] | None = None) -> Path:
    """A copy of sources.yml with base URLs pointing at the local server (and only ``keep`` sources)."""
    data = yaml.safe_load((REPO / "sources.yml").read_text(encoding="utf-8"))
    if keep is not None:
        data["sources"] = {key: value for key, value in data["sources"].items() if key in keep}
        for value in data["sources"].values():
            if value.get("republishes") not in data["sources"]:
                value.pop("republishes", None)
    for key, url in base_urls.items():
        if key in data["sources"]:
            data["sources"][key]["base_url"] = url
    path = tmp / "sources.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def run_cli(
    *args: str, db: str, scrapy: Mapping[str, object] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cobase ARGS --db DB`` and capture its output."""
    env = dict(os.environ)
    env["COBASE_SCRAPY_SETTINGS"] = json.dumps({**FAST_SCRAPY, **(scrapy or {})})
    env["COLUMNS"] = "200"
    env.pop("COBASE_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "cobase", *args, "--db", db],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=REPO,
    )
