"""``cobase assess`` and ``cobase dossier`` on a seeded database, through the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.seed import seed_database

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    path = tmp_path_factory.mktemp("cli") / "seed.db"
    return seed_database(path), path


def _invoke(*args: str):
    from cobase.cli import app

    return runner.invoke(app, list(args))


def test_assess_json_has_the_documented_shape(db) -> None:
    url, _path = db
    result = _invoke(
        "assess", "--country", "Guinée", "--pathology", "hiv", "--as-of", "2024-01-01", "--db", url
    )
    data = json.loads(result.stdout)
    assert (data["country_iso3"], data["as_of"], [d["name"] for d in data["dimensions"]][:2]) == (
        "GIN",
        "2024-01-01",
        ["availability", "continuity"],
    )


def test_assess_as_of_shows_the_version_published_by_then(db) -> None:
    url, _path = db
    values = {}
    for as_of in ("2024-01-01", "2025-01-01"):
        data = json.loads(
            _invoke("assess", "--country", "GIN", "--pathology", "hiv", "--as-of", as_of, "--db", url).stdout
        )
        availability = next(d for d in data["dimensions"] if d["name"] == "availability")
        values[as_of] = {e["period_start"][:4]: e["value"] for e in availability["evidence"]}["2022"]
    assert values == {"2024-01-01": "60.0", "2025-01-01": "64.0"}


def test_assess_markdown_is_french_and_lists_gaps(db) -> None:
    url, _path = db
    result = _invoke("assess", "--country", "GIN", "--pathology", "hiv", "--format", "md", "--db", url)
    assert result.exit_code == 0 and "Aucune source ne documente" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "31/12/2024"], "YYYY-MM-DD"),
        (["--pathology", "grippe"], "grippe"),
        (["--country", "Atlantide"], "Atlantide"),
        (["--item", "xyzzyvir"], "xyzzyvir"),
        (["--window", "0"], "window"),
    ],
)
def test_assess_bad_input_is_one_clear_sentence(db, args: list[str], message: str) -> None:
    url, _path = db
    base = {"--country": "GIN", "--pathology": "hiv"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = _invoke("assess", *[part for pair in base.items() for part in pair], "--db", url)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_pdf_dossier_text_has_citations_as_of_and_gaps(db, tmp_path: Path) -> None:
    url, _path = db
    out = tmp_path / "dossier.pdf"
    result = _invoke(
        "dossier",
        "--country",
        "GIN",
        "--pathology",
        "hiv",
        "--item",
        "TLD",
        "--item",
        "charge virale",
        "--as-of",
        "2024-01-01",
        "--format",
        "pdf",
        "-o",
        str(out),
        "--db",
        url,
    )
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    flat = " ".join(text.split())
    assert result.exit_code == 0, result.output
    assert "ghoapi.azureedge.net/api/HIV_ARTCOVERAGE" in flat and "2024" in flat
    assert "Aucune source ne documente" in flat and "aucune donnée de patient" in flat.lower()


def test_docx_dossier_in_english(db, tmp_path: Path) -> None:
    url, _path = db
    out = tmp_path / "dossier.docx"
    result = _invoke(
        "dossier",
        "--country",
        "GIN",
        "--pathology",
        "hiv",
        "--format",
        "docx",
        "--lang",
        "en",
        "-o",
        str(out),
        "--db",
        url,
    )
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert result.exit_code == 0 and "No source documents" in text


def test_dossier_never_writes_to_the_database(db, tmp_path: Path) -> None:
    url, path = db
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    _invoke(
        "dossier",
        "--country",
        "GIN",
        "--pathology",
        "hiv",
        "--as-of",
        "2024-01-01",
        "--format",
        "md",
        "-o",
        str(tmp_path / "d.md"),
        "--db",
        url,
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_dossier_rejects_unknown_format(db, tmp_path: Path) -> None:
    url, _path = db
    result = _invoke(
        "dossier",
        "--country",
        "GIN",
        "--pathology",
        "hiv",
        "--format",
        "odt",
        "-o",
        str(tmp_path / "d.odt"),
        "--db",
        url,
    )
    assert result.exit_code == 2 and "pdf, docx or md" in result.output
