"""``cobase demo``: a newcomer without internet gets data through the real refresh path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import observations, run_cli, sql_rows, status

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
    fixtures = Path(__file__).resolve().parent / "fixtures"
    served = {path.parent.name for path in fixtures.glob("*/routes.json")} | {"documents"}
    loaded = {key for key, entry in status(db).items() if entry["observations"] > 0}
    assert served <= loaded


def test_demo_snapshots_are_fetched_locally_but_shown_on_the_producers_address(demo_db) -> None:
    db, _result = demo_db
    rows = observations(db, source="who_gho")
    assert rows and all(row["url"].startswith("https://ghoapi.azureedge.net/api/") for row in rows)
    fetched = sql_rows(db, "SELECT url FROM snapshot")
    assert fetched and all(url.startswith("http://127.0.0.1:") for (url,) in fetched)


def test_app_would_no_longer_be_empty(demo_db) -> None:
    db, _result = demo_db
    assert len(observations(db, country="Guinée")) > 0


@pytest.mark.parametrize(("country", "pathology"), [("GIN", "hiv"), ("GIN", "diabetes_t1")])
def test_demo_dossiers_never_show_the_local_server(demo_db, country: str, pathology: str) -> None:
    from io import BytesIO

    from docx import Document
    from pypdf import PdfReader

    from cobase.evidence import assess
    from cobase.export import render_docx, render_markdown, render_pdf

    db, _result = demo_db
    assessment = assess(country, pathology, db=db)
    markdown = render_markdown(assessment)
    pdf = "\n".join(page.extract_text() for page in PdfReader(BytesIO(render_pdf(assessment))).pages)
    docx = "\n".join(p.text for p in Document(BytesIO(render_docx(assessment))).paragraphs)
    assert [text for text in (markdown, pdf, docx) if "127.0.0.1" in text or "localhost" in text] == []
    references = [line for line in markdown.splitlines() if line.startswith("- [")]
    assert references
    assert all("(consulté le " in line and "En ligne : <https://" in line for line in references)
