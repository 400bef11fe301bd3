"""End to end (issue 10, item 6): where a refresh lets a redirect lead, and how it waits when told to.

WHO GHO recordings served on 127.0.0.1: a redirect to another host (``localhost``) is refused unless
``allowed_redirect_hosts`` lists it; a redirect to a URL already fetched in the run is followed, not
dropped as a duplicate; a 429 with ``Retry-After`` is retried after the delay it asks for.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cobase.yamltext import load_yaml
from tests.e2e import (
    FIXTURES,
    REPO,
    base_url,
    database_url,
    observations,
    run_cli,
    serve_routes,
    sources_file,
    sql_rows,
    status,
)

pytestmark = pytest.mark.e2e

UHC = "/api/UHC_INDEX_REPORTED"
MH6 = "/api/MH_6"


def _indicators(*codes: str) -> dict[str, Any]:
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
    entries = [i for i in data["sources"]["who_gho"]["indicators"] if i["code"] in codes]
    return {"indicators": entries}


def _refresh(
    server: HTTPServer,
    tmp: Path,
    handlers: dict[str, Any],
    codes: tuple[str, ...] = ("UHC_INDEX_REPORTED",),
    **fields: Any,
) -> Any:
    """Refresh who_gho with some paths answered by ``handlers`` and the rest from its recordings."""
    server.clear()
    for path, handler in handlers.items():
        server.expect_request(path).respond_with_handler(handler)
    serve_routes(server, ["who_gho"])
    extra = {"who_gho": {**_indicators(*codes), **fields}}
    path = sources_file(tmp, {"who_gho": base_url(server)}, keep=["who_gho"], extra_source_fields=extra)
    return run_cli("refresh", "--sources", str(path), db=database_url(tmp))


def _redirect_to(location: str) -> Any:
    return lambda _request: Response("", status=302, headers={"Location": location})


def test_redirect_to_another_host_is_refused(local_server: HTTPServer, tmp_path: Path) -> None:
    elsewhere = base_url(local_server).replace("127.0.0.1", "localhost") + "/mirror" + UHC
    result = _refresh(local_server, tmp_path, {UHC: _redirect_to(elsewhere)})
    message = " ".join(result.stderr.split())
    assert result.returncode == 1
    assert "to another host (localhost) refused" in message and "allowed_redirect_hosts" in message
    assert observations(database_url(tmp_path)) == []
    assert status(database_url(tmp_path))["who_gho"]["last_run_status"] == "failed"


def test_redirect_to_an_allowed_host_is_followed(local_server: HTTPServer, tmp_path: Path) -> None:
    elsewhere = base_url(local_server).replace("127.0.0.1", "localhost") + "/mirror" + UHC
    body = (FIXTURES / "who_gho" / "UHC_INDEX_REPORTED.json").read_bytes()
    handlers = {
        UHC: _redirect_to(elsewhere),
        "/mirror" + UHC: lambda _r: Response(body, content_type="application/json"),
    }
    result = _refresh(local_server, tmp_path, handlers, allowed_redirect_hosts=["localhost"])
    assert result.returncode == 0, result.stderr
    rows = observations(database_url(tmp_path))
    assert rows and {row["indicator"] for row in rows} == {"UHC_INDEX_REPORTED"}


def test_redirect_to_a_url_already_fetched_is_not_dropped(local_server: HTTPServer, tmp_path: Path) -> None:
    already = base_url(local_server) + UHC
    result = _refresh(
        local_server, tmp_path, {MH6: _redirect_to(already)}, codes=("UHC_INDEX_REPORTED", "MH_6")
    )
    assert result.returncode == 0, result.stderr
    ((new, unchanged),) = sql_rows(
        database_url(tmp_path), "SELECT snapshots_new, snapshots_unchanged FROM refresh_run"
    )
    # Two responses: the UHC page, and the same page again for MH_6's redirect (identical bytes).
    assert (new, unchanged) == (1, 1)


def test_retry_after_is_honoured(local_server: HTTPServer, tmp_path: Path) -> None:
    body = (FIXTURES / "who_gho" / "UHC_INDEX_REPORTED.json").read_bytes()
    seen: list[float] = []

    def busy_then_ok(_request: Request) -> Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "2"})
        return Response(body, content_type="application/json")

    result = _refresh(local_server, tmp_path, {UHC: busy_then_ok})
    assert result.returncode == 0, result.stderr
    assert len(seen) == 2 and seen[1] - seen[0] >= 1.9
    assert observations(database_url(tmp_path))
