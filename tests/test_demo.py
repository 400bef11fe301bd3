"""``cobase demo``: a newcomer without internet gets data through the real refresh path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e import run_cli, sql_rows

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    db = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    return db, run_cli("demo", db=db, timeout=300)


def test_demo_succeeds(demo_db) -> None:
    _db, result = demo_db
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_loads_every_source_with_fixtures(demo_db) -> None:
    db, _result = demo_db
    status = json.loads(run_cli("status", "--json", db=db).stdout)
    fixtures = Path(__file__).resolve().parent / "fixtures"
    served = {path.parent.name for path in fixtures.glob("*/routes.json")} | {"documents"}
    loaded = {entry["source"] for entry in status if entry["observations"] > 0}
    assert served <= loaded


def test_demo_snapshots_are_fetched_locally_but_shown_on_the_producers_address(demo_db) -> None:
    db, _result = demo_db
    result = run_cli("observations", "--format", "json", "--source", "who_gho", db=db)
    rows = json.loads(result.stdout)
    assert rows and all(row["url"].startswith("https://ghoapi.azureedge.net/api/") for row in rows)
    fetched = sql_rows(db, "SELECT url FROM snapshot")
    assert fetched and all(url.startswith("http://127.0.0.1:") for (url,) in fetched)


def test_app_would_no_longer_be_empty(demo_db) -> None:
    db, _result = demo_db
    result = run_cli("observations", "--country", "Guinée", db=db)
    assert len(result.stdout.splitlines()) > 1
