"""``reparse``: snapshots that failed to parse are parsed again without the network, never backwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from cobase import refresh
from cobase.db import open_store, session_scope
from cobase.models import Snapshot
from cobase.parse import ParseError
from cobase.queries import observation_count
from cobase.registry import load_registry
from crawlers.items import RawResponse

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "who_gho" / "MH_6.json"
URL = "https://ghoapi.azureedge.net/api/MH_6"


def _raw(body: bytes, retrieved_at: str) -> RawResponse:
    return RawResponse(
        source="who_gho",
        url=URL,
        status=200,
        body=body,
        content_type="application/json",
        retrieved_at=retrieved_at,
        request_meta={"indicator": "MH_6", "page": 1},
    )


def _broken_parser(_key: str):
    def parse(_body: bytes, url: str, _meta: Any) -> Iterator[Any]:
        raise ParseError(f"who_gho: {url}: parser bug")
        yield  # pragma: no cover

    return parse


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return open_store(f"sqlite:///{tmp_path / 'r.db'}")


def test_failed_snapshot_is_parsed_again_after_a_fix(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = load_registry()
    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", _broken_parser)
        failed = refresh.ingest_raw(engine, registry, _raw(FIXTURE.read_bytes(), "2025-01-01T00:00:00+00:00"))
    summary = refresh.reparse_pending(engine, registry, "who_gho")
    with session_scope(engine) as session:
        statuses = [s.parse_status for s in session.exec(select(Snapshot)).all()]
        count = observation_count(session)
    assert (len(failed.errors), summary.ok, statuses, count > 0) == (1, True, ["ok"], True)


def test_older_failed_snapshot_never_overwrites_a_newer_one(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = load_registry()
    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", _broken_parser)
        refresh.ingest_raw(engine, registry, _raw(b'{"value": []} ', "2025-01-01T00:00:00+00:00"))
    refresh.ingest_raw(engine, registry, _raw(FIXTURE.read_bytes(), "2025-02-01T00:00:00+00:00"))
    with session_scope(engine) as session:
        before = observation_count(session)
    summary = refresh.reparse_pending(engine, registry, "who_gho")
    with session_scope(engine) as session:
        assert (summary.snapshots_unchanged, observation_count(session)) == (0, before)


def test_cli_reparse_unknown_source_is_a_clear_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cobase.cli import app

    result = CliRunner().invoke(app, ["reparse", "nosuch", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and "nosuch" in result.output
