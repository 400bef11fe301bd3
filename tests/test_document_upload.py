"""``cobase document add``: a user's report goes through the same snapshot -> mentions path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cobase.cli import app

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "documents"
runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'd.db'}"


def _add(db: str, file: Path, *extra: str):
    return runner.invoke(
        app,
        [
            "document",
            "add",
            "--title",
            "Rapport ARV Guinée",
            "--producer",
            "MSF",
            "--country",
            "Guinée",
            "--file",
            str(file),
            "--published",
            "2024-06-01",
            *extra,
            "--db",
            db,
        ],
    )


def _observations(db: str) -> list[dict[str, str]]:
    result = runner.invoke(app, ["observations", "--source", "documents", "--format", "json", "--db", db])
    return json.loads(result.stdout)


def test_uploaded_pdf_yields_a_dated_stockout_mention_on_its_page(db: str) -> None:
    result = _add(db, FIXTURES / "mirror" / "guinee_arv_2024.pdf")
    stockouts = [row for row in _observations(db) if row["indicator"] == "DOC_STOCKOUT_MENTION"]
    assert result.exit_code == 0, result.output
    assert {(row["country_iso3"], row["period_start"][:7]) for row in stockouts} >= {("GIN", "2024-03")}


def test_uploading_the_same_report_twice_adds_nothing(db: str) -> None:
    _add(db, FIXTURES / "mirror" / "guinee_arv_2024.pdf")
    before = _observations(db)
    again = _add(db, FIXTURES / "mirror" / "guinee_arv_2024.pdf")
    assert again.exit_code == 0 and _observations(db) == before


def test_scanned_pdf_is_a_clear_error_and_stores_no_mention(db: str) -> None:
    result = _add(db, FIXTURES / "bad_scanned.pdf")
    assert result.exit_code == 1 and "no text layer" in result.output and _observations(db) == []


def test_unknown_country_is_refused(db: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "document",
            "add",
            "--title",
            "t",
            "--producer",
            "p",
            "--country",
            "Atlantide",
            "--file",
            str(FIXTURES / "mirror" / "guinee_arv_2024.pdf"),
            "--db",
            db,
        ],
    )
    assert result.exit_code == 2 and "Atlantide" in result.output
