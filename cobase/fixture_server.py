"""Serve recorded responses at their real API paths from a local HTTP server on 127.0.0.1.

Used by ``cobase demo`` (a newcomer without internet gets a working app through the real refresh path)
and by the end-to-end tests. Each fixture folder has a ``routes.json``: a list of
``{"path", "query", "file", "content_type"}``; a request matches a route when the path is equal and the
route's query parameters are a subset of the request's; the most specific match wins.

APIs searched by POST (ReliefWeb) add ``"method": "POST"`` (default ``GET``) and optionally
``"body_contains"``: a string, or a list of strings, that must all occur in the request body (to tell
apart, say, the page with ``"offset": 2`` from the first one). Each of them counts towards specificity.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Route:
    """One recorded response and the request it answers."""

    path: str
    query: dict[str, str]
    file: Path
    content_type: str
    method: str = "GET"
    body_contains: tuple[str, ...] = ()


def _strings(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(part) for part in value)


def fixture_folder(root: Path, key: str) -> tuple[Path, dict[str, Any]] | None:
    """Where a source's recorded responses are served from, and what its sources.yml entry needs changed.

    ``root/<key>/routes.json`` serves as is (with the fields of ``root/<key>/entry.json`` when there is
    one). A source whose entry lists absolute URLs (``documents``) keeps
    its recordings in ``root/<key>/mirror/`` with an ``entry.json`` of fields to replace (e.g. the list of
    documents, with URLs relative to the local server).
    """
    if (root / key / "routes.json").exists():
        # An entry.json next to routes.json: the entry's absolute URLs (a register's older versions on
        # another host) replaced by paths on the local server; or, for a source with no default URL to
        # fetch (the Global Fund's PQR exports), the recordings it names.
        entry = root / key / "entry.json"
        return root / key, json.loads(entry.read_text(encoding="utf-8")) if entry.exists() else {}
    mirror = root / key / "mirror"
    if not (mirror / "routes.json").exists():
        return None
    entry = mirror / "entry.json"
    overrides = json.loads(entry.read_text(encoding="utf-8")) if entry.exists() else {}
    return mirror, overrides


def load_routes(folder: Path) -> list[Route]:
    """Read ``folder/routes.json``; a clear error if it is missing or malformed."""
    index = folder / "routes.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{index}: cannot read fixture routes ({exc})") from exc
    return [
        Route(
            path=entry["path"],
            query={str(k): str(v) for k, v in entry.get("query", {}).items()},
            file=folder / entry["file"],
            content_type=entry.get("content_type", "application/json"),
            method=str(entry.get("method", "GET")).upper(),
            body_contains=_strings(entry.get("body_contains")),
        )
        for entry in entries
    ]


def match_route(
    routes: list[Route], path: str, query: Mapping[str, str], *, method: str = "GET", body: bytes = b""
) -> Route | None:
    """The most specific route for a request (method, path, query parameters and body), if any."""
    text = body.decode("utf-8", errors="replace")
    candidates = [
        route
        for route in routes
        if route.path == path
        and route.method == method.upper()
        and all(query.get(key) == value for key, value in route.query.items())
        and all(part in text for part in route.body_contains)
    ]
    return max(candidates, key=lambda route: len(route.query) + len(route.body_contains), default=None)


def _handler(routes: list[Route]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(self.rfile.read(length) if length else b"")

        def _answer(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            route = match_route(routes, parts.path, query, method=self.command, body=body)
            if route is None:
                self.send_error(404, "no recorded response for this request")
                return
            answer = route.file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(answer)))
            # Said outright: a client that keeps the connection for its next request would find it closed,
            # and only idempotent requests (GET, not POST) are silently retried on a fresh one.
            self.send_header("Connection", "close")
            self.end_headers()
            # A client refusing the body (beyond its max_body_mb) closes the connection: not an error.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


POLL_SECONDS = 0.02
"""How often a serving loop checks for shutdown (the standard 0.5 s cost ``cobase demo`` 3 s to stop 13
servers one after the other)."""


@contextmanager
def serve_fixtures(folders: Mapping[str, Path]) -> Iterator[dict[str, str]]:
    """Serve each source's fixture folder on its own port; yield ``{source_key: base_url}``."""
    servers: list[ThreadingHTTPServer] = []
    base_urls: dict[str, str] = {}
    try:
        for key, folder in folders.items():
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(load_routes(folder)))
            # A short poll: shutdown() waits for the serving loop's next poll, once per server.
            thread = threading.Thread(
                target=server.serve_forever, args=(POLL_SECONDS,), name=f"fixtures-{key}", daemon=True
            )
            thread.start()
            servers.append(server)
            base_urls[key] = f"http://127.0.0.1:{server.server_address[1]}"
        yield base_urls
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
