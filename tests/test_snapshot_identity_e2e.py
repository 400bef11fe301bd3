"""End to end (issue 13, item 2): ``cobase refresh`` from one local server, then from a second one on
another port (a mirror, a moved server) serving the same bytes: no new snapshot, no re-parse, the values
seen again; then a revert A -> B -> A where A comes back through the mirror. The answers from the first
server go through the refresh path in-process; the mirror's through ``cobase refresh``.

The answers are ``tests/fixtures/who_gho/versions/HIV_ARTCOVERAGE_{A,B}.json``: A holds Guinea 60,
B revises it to 80.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e import database_url, local_http_server, sql_rows
from tests.test_truthful_e2e import _history, _refresh

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def mirror() -> Iterator[HTTPServer]:
    """A second server on another port: the same paths, another host:port."""
    yield from local_http_server()


def _rows(db: str, sql: str) -> list[tuple[Any, ...]]:
    return sql_rows(db.removeprefix("sqlite:///"), sql)


def test_same_bytes_from_another_port_are_seen_again_not_stored_or_parsed(
    local_server: HTTPServer, mirror: HTTPServer, tmp_path: Path
) -> None:
    assert local_server.port != mirror.port
    db = database_url(tmp_path)
    _refresh(local_server, tmp_path, db, "A", in_process=True)
    (first_url,) = _rows(db, "SELECT url FROM snapshot")[0]
    _refresh(mirror, tmp_path, db, "A", in_process=False)
    assert _rows(db, "SELECT url, request_key FROM snapshot") == [(first_url, "/api/HIV_ARTCOVERAGE")]
    assert f":{local_server.port}/" in first_url
    # The second run stored nothing and parsed nothing (no row read, so none counted unchanged).
    runs = _rows(
        db,
        "SELECT snapshots_new, snapshots_unchanged, observations_new, observations_unchanged, status "
        "FROM refresh_run ORDER BY id",
    )
    assert runs[1] == (0, 1, 0, 0, "success")
    assert runs[0][0] == 1 and runs[0][2] > 0
    (last_seen, retrieved) = _rows(db, "SELECT last_seen_at, retrieved_at FROM snapshot")[0]
    assert last_seen > retrieved
    (seen,) = _rows(db, "SELECT last_seen_at FROM observation WHERE country_iso3 = 'GIN' AND is_current = 1")[
        0
    ]
    assert seen == last_seen
    assert _history(db, "GIN") == [("60", 1, "last_modified", 0)]


def test_revert_through_a_mirror_makes_a_current_again(
    local_server: HTTPServer, mirror: HTTPServer, tmp_path: Path
) -> None:
    db = database_url(tmp_path)
    _refresh(local_server, tmp_path, db, "A", in_process=True)
    _refresh(local_server, tmp_path, db, "B", in_process=True)
    _refresh(mirror, tmp_path, db, "A", in_process=False)
    assert _rows(db, "SELECT count(*) FROM snapshot") == [(2,)]
    assert _history(db, "GIN") == [
        ("60", 0, "last_modified", 0),
        ("80", 0, "last_modified", 0),
        ("60", 1, "last_modified", 0),
    ]
    (current_snapshot,) = _rows(
        db, "SELECT snapshot_id FROM observation WHERE country_iso3 = 'GIN' AND is_current = 1"
    )[0]
    (first_snapshot,) = _rows(db, "SELECT min(id) FROM snapshot")[0]
    assert current_snapshot == first_snapshot
