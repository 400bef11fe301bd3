"""``cobase demo``: a newcomer without internet gets data through the real refresh path, into a
demonstration store loaded apart from the real one, marked, and bannered in every dossier.

``cobase demo`` runs once per module in a subprocess (the process boundary is the behaviour: Scrapy's
reactor runs once per process, and the app loads the sample data the same way); every test reads that
one store (tests/test_demo.py ran a second ``cobase demo`` of its own for the same checks).
"""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from cobase.db import open_store, session_scope
from cobase.demonstration import demonstration_url, is_demonstration
from cobase.evidence import assess
from cobase.export import render_docx, render_markdown, render_pdf
from tests.e2e import observations, run_cli, sql_rows, status
from tests.seed import seed_database

pytestmark = pytest.mark.e2e

BANNER_FR = "Données de démonstration : ces valeurs viennent des fichiers d'exemple de cobase"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, subprocess.CompletedProcess[str]]:
    """One ``cobase demo`` into a new store: its ``--db`` URL and the finished process."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'cobase.demo.db'}"
    return url, run_cli("demo", db=url, timeout=300)


@pytest.fixture(scope="module")
def demo_store(demo_run: tuple[str, subprocess.CompletedProcess[str]]) -> str:
    url, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    return url


def test_demo_succeeds(demo_run: tuple[str, subprocess.CompletedProcess[str]]) -> None:
    _url, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_loads_every_source_with_fixtures(demo_store: str) -> None:
    fixtures = Path(__file__).resolve().parent / "fixtures"
    served = {path.parent.name for path in fixtures.glob("*/routes.json")} | {"documents"}
    loaded = {key for key, entry in status(demo_store).items() if entry["observations"] > 0}
    assert served <= loaded


def test_demo_snapshots_are_fetched_locally_but_shown_on_the_producers_address(demo_store: str) -> None:
    rows = observations(demo_store, source="who_gho")
    assert rows and all(row["url"].startswith("https://ghoapi.azureedge.net/api/") for row in rows)
    fetched = sql_rows(demo_store, "SELECT url FROM snapshot")
    assert fetched and all(url.startswith("http://127.0.0.1:") for (url,) in fetched)


def test_app_would_no_longer_be_empty(demo_store: str) -> None:
    assert len(observations(demo_store, country="Guinée")) > 0


@pytest.mark.parametrize(("country", "pathology"), [("GIN", "hiv"), ("GIN", "diabetes_t1")])
def test_demo_dossiers_never_show_the_local_server(demo_store: str, country: str, pathology: str) -> None:
    assessment = assess(country, pathology, db=demo_store)
    markdown = render_markdown(assessment)
    pdf = "\n".join(page.extract_text() for page in PdfReader(BytesIO(render_pdf(assessment))).pages)
    docx = "\n".join(p.text for p in Document(BytesIO(render_docx(assessment))).paragraphs)
    assert [text for text in (markdown, pdf, docx) if "127.0.0.1" in text or "localhost" in text] == []
    references = [line for line in markdown.splitlines() if line.startswith("- [")]
    assert references
    assert all("(consulté le " in line and "En ligne : <https://" in line for line in references)


def test_the_demonstration_store_sits_next_to_the_real_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("COBASE_DEMO_DB", raising=False)
    assert demonstration_url(f"sqlite:///{tmp_path}/cobase.db") == f"sqlite:///{tmp_path}/cobase.demo.db"
    assert demonstration_url(f"sqlite:///{tmp_path}/cobase.demo.db") == f"sqlite:///{tmp_path}/cobase.demo.db"
    monkeypatch.setenv("COBASE_DATA_DIR", str(tmp_path))
    # A team's PostgreSQL never receives sample data: its demonstration store is a local file.
    assert demonstration_url("postgresql+psycopg://u:p@db/cobase") == f"sqlite:///{tmp_path}/cobase.demo.db"
    monkeypatch.setenv("COBASE_DEMO_DB", str(tmp_path / "elsewhere.db"))
    assert demonstration_url(f"sqlite:///{tmp_path}/cobase.db") == f"sqlite:///{tmp_path / 'elsewhere.db'}"


def test_cobase_demo_marks_the_store(demo_store: str) -> None:
    with session_scope(open_store(demo_store)) as session:
        assert is_demonstration(session)


def test_the_mark_is_not_listed_as_a_source(demo_store: str) -> None:
    listed = set(status(demo_store))
    assert "demonstration" not in listed
    assert "who_gho" in listed


def test_a_real_store_is_never_marked(tmp_path: Path) -> None:
    url = seed_database(tmp_path / "real.db")
    with session_scope(open_store(url)) as session:
        assert not is_demonstration(session)
    assert assess("GIN", "hiv", db=url).demonstration is False
    assert "démonstration" not in render_markdown(assess("GIN", "hiv", db=url))


def test_demo_data_never_goes_into_a_store_holding_real_data(tmp_path: Path) -> None:
    url = seed_database(tmp_path / "real.db")
    before = observations(url, all_versions=True)
    result = run_cli("demo", db=url)
    assert result.returncode == 2
    assert "cette base contient déjà des données réelles" in result.stderr
    assert "Traceback" not in result.stderr
    assert observations(url, all_versions=True) == before
    with session_scope(open_store(url)) as session:
        assert not is_demonstration(session)


def test_every_dossier_from_the_demonstration_store_carries_the_banner(demo_store: str) -> None:
    assessment = assess("GIN", "hiv", db=demo_store)
    assert assessment.demonstration is True
    markdown = render_markdown(assessment)
    assert markdown.startswith(f"**{BANNER_FR}")  # before anything else, title included
    assert "# Données de démonstration — Accès effectif aux soins" in markdown
    pages = [page.extract_text() for page in PdfReader(BytesIO(render_pdf(assessment))).pages]
    assert len(pages) > 1
    assert all("Données de démonstration" in page for page in pages)  # the running footer of every page
    assert BANNER_FR in " ".join(" ".join(pages).split())
    document = Document(BytesIO(render_docx(assessment)))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0].startswith(BANNER_FR)
    assert any(text.startswith("Données de démonstration — Accès effectif") for text in paragraphs)
    assert "Données de démonstration" in document.sections[0].footer.paragraphs[0].text
    assert document.core_properties.title.startswith("Données de démonstration")


def test_the_english_dossier_keeps_the_french_words(demo_store: str) -> None:
    markdown = render_markdown(assess("GIN", "hiv", db=demo_store), lang="en")
    assert markdown.startswith("**Demonstration data (données de démonstration): these values")
    assert "# Demonstration data (données de démonstration) — Effective access" in markdown


def test_cobase_dossier_from_the_demonstration_store_says_so(demo_store: str, tmp_path: Path) -> None:
    output = tmp_path / "dossier.md"
    result = run_cli(
        "dossier",
        "--country",
        "GIN",
        "--pathology",
        "hiv",
        "--format",
        "md",
        "-o",
        str(output),
        db=demo_store,
    )
    assert result.returncode == 0, result.stderr
    assert BANNER_FR in output.read_text(encoding="utf-8")
