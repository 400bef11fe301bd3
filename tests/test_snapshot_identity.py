"""Identical bytes are recognised wherever they come from (issue 13, item 2).

A snapshot's identity is (source, request without scheme, host and port, sha256): the same bytes served by
a mirror or by a local server that moved to another port are neither stored nor parsed twice, only seen
again; an older version's bytes coming back through a mirror make that version current again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import col, select

from cobase.db import alembic_config, make_engine, session_scope
from cobase.models import Snapshot
from cobase.snapshots import request_key
from tests.test_truthful_store import DATE_A, DATE_B, T1, T2, T3, _at, _ingest, _versions, engine, gho_page

__all__ = ["engine"]  # the fixture, imported for these tests

PRODUCER = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"
MIRROR = "http://127.0.0.1:8765/api/HIV_ARTCOVERAGE"
MOVED = "http://localhost:9911/api/HIV_ARTCOVERAGE"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (PRODUCER, "/api/HIV_ARTCOVERAGE"),
        (MIRROR, "/api/HIV_ARTCOVERAGE"),
        ("http://127.0.0.1:1/api/X?$filter=a%20eq%201&$skip=1000", "/api/X?$filter=a%20eq%201&$skip=1000"),
        ("https://example.org", "/"),
        ("https://example.org/a#fragment", "/a"),
    ],
)
def test_request_key_is_path_and_query_without_scheme_host_or_port(url: str, key: str) -> None:
    assert request_key(url) == key


def _snapshots(engine: sa.Engine) -> list[tuple[str, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(select(Snapshot).order_by(col(Snapshot.id))).all()
        return [(row.url, row.request_key) for row in rows]


def test_same_bytes_from_a_mirror_are_seen_again_not_stored_or_parsed(engine: sa.Engine) -> None:
    body = gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)])
    _ingest(engine, body, T1, PRODUCER)
    again = _ingest(engine, body, T2, MIRROR)
    assert _snapshots(engine) == [(PRODUCER, "/api/HIV_ARTCOVERAGE")]
    # Not parsed: no row was read, so none was found unchanged either.
    assert (again.snapshots_new, again.snapshots_unchanged, again.observations.new) == (0, 1, 0)
    assert again.observations.unchanged == 0
    assert again.stage_seconds["parse"] == 0.0
    (row,) = _versions(engine)
    assert (row.last_seen_at, row.first_seen_at, row.is_current) == (_at(T2), _at(T1), True)
    with session_scope(engine) as session:
        (snapshot,) = session.exec(select(Snapshot)).all()
        assert (snapshot.retrieved_at, snapshot.last_seen_at) == (_at(T1), _at(T2))


def test_revert_through_a_mirror_makes_the_older_version_current_again(engine: sa.Engine) -> None:
    a = gho_page([("GIN", 2022, 60.0, DATE_A)])
    _ingest(engine, a, T1, PRODUCER)
    _ingest(engine, gho_page([("GIN", 2022, 80.0, DATE_B)]), T2, PRODUCER)
    third = _ingest(engine, a, T3, MOVED)
    assert len(_snapshots(engine)) == 2
    versions = _versions(engine)
    assert [(v.value_text, v.is_current) for v in versions] == [("60", False), ("80", False), ("60", True)]
    assert (versions[2].snapshot_id, third.observations.revised) == (versions[0].snapshot_id, 1)


def test_another_query_on_a_mirror_is_another_request(engine: sa.Engine) -> None:
    body = gho_page([("GIN", 2022, 60.0, DATE_A)])
    _ingest(engine, body, T1, PRODUCER)
    other = _ingest(engine, body, T2, MIRROR + "?$skip=1000")
    assert other.snapshots_new == 1
    assert [key for _url, key in _snapshots(engine)] == [
        "/api/HIV_ARTCOVERAGE",
        "/api/HIV_ARTCOVERAGE?$skip=1000",
    ]


def test_stage_times_are_summed_into_the_summary(engine: sa.Engine) -> None:
    first = _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1, PRODUCER)
    assert set(first.stage_seconds) == {"snapshot", "parse", "harmonize", "ingest"}
    assert all(seconds >= 0 for seconds in first.stage_seconds.values())
    assert first.stage_seconds["parse"] > 0 and first.stage_seconds["snapshot"] > 0


def test_migration_0020_gives_existing_snapshots_their_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0010")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO source (id, key, producer, title, url_main, licence_name) "
                "VALUES (1, 'who_gho', 'WHO', 'GHO', '', '')"
            )
        )
        for snapshot_id, fetched in ((1, PRODUCER), (2, "http://127.0.0.1:5/api/X?$skip=5")):
            connection.execute(
                sa.text(
                    "INSERT INTO snapshot (id, source_id, url, retrieved_at, http_status, sha256, size, "
                    "body_location, parse_status) "
                    "VALUES (:id, 1, :url, '2024-01-01 00:00:00.000000', 200, 'x', 1, 'db', 'ok')"
                ),
                {"id": snapshot_id, "url": fetched},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT id, request_key FROM snapshot ORDER BY id")).fetchall()
    assert [tuple(row) for row in found] == [(1, "/api/HIV_ARTCOVERAGE"), (2, "/api/X?$skip=5")]
    engine.dispose()
