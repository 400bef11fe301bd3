"""``--annex``: each cited kept document is appended (its cited pages for a PDF, an extract otherwise),
with its SHA-256, so the dossier stands if the source disappears."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader
from typer.testing import CliRunner

from cobase.export import render_docx, render_markdown, render_pdf
from tests.seed import seed_database
from tests.test_present import _assessment, _evidence


def _report_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=14)
    for word in ("un", "deux", "trois"):
        pdf.add_page()
        pdf.cell(0, 10, f"Rapport page {word} : rupture d'insuline")
    return bytes(pdf.output())


REPORT = _report_pdf()
REPORT_SHA = hashlib.sha256(REPORT).hexdigest()
JSON_BODY = b'{"value": [{"SpatialDim": "GIN", "NumericValue": 55.4}]}'
JSON_SHA = hashlib.sha256(JSON_BODY).hexdigest()


def _with_documents():
    base = _assessment()
    report = _evidence(
        source="documents",
        producer="Médecins Sans Frontières",
        indicator="DOC_STOCKOUT_MENTION",
        label_fr="Rupture de stock ou pénurie mentionnée dans un rapport (à confirmer)",
        label_en="Stock-out or shortage mentioned in a report (to be confirmed)",
        breakdown="document=abc;mention=def",
        value="rupture",
        value_num=None,
        unit="mention",
        quote="rupture d'insuline",
        page=2,
        snapshot_sha256=REPORT_SHA,
        scope="item",
        items=["insulin_human_regular"],
        item="insulin_human_regular",
    )
    api = _evidence(snapshot_sha256=JSON_SHA)
    dimensions = [
        d.model_copy(update={"evidence": [*d.evidence, report, api], "latest": [*d.latest, report, api]})
        if d.name == "continuity"
        else d
        for d in base.dimensions
    ]
    return base.model_copy(update={"dimensions": dimensions})


BODIES = {REPORT_SHA: REPORT, JSON_SHA: JSON_BODY}


def test_pdf_annex_appends_the_cited_page_and_names_its_hash() -> None:
    assessment = _with_documents()
    plain = PdfReader(BytesIO(render_pdf(assessment)))
    annexed = PdfReader(BytesIO(render_pdf(assessment, annex=True, bodies=BODIES)))
    assert len(annexed.pages) > len(plain.pages)
    last = annexed.pages[-1].extract_text()
    assert "Rapport page deux" in last  # the cited page itself, as kept
    text = " ".join(page.extract_text() for page in annexed.pages)
    assert "Annexe : documents cités" in " ".join(text.split())
    assert REPORT_SHA in text.replace("\n", "")
    assert "Pages citées : 2" in " ".join(text.split())


def test_docx_and_markdown_annex_give_the_cited_page_text_and_an_extract() -> None:
    markdown = render_markdown(_with_documents(), annex=True, bodies=BODIES)
    annex = markdown.split("## Annexe : documents cités")[1]
    assert "Rapport page deux" in annex and "Rapport page trois" not in annex
    assert JSON_SHA in annex and "SpatialDim" in annex
    assert render_docx(_with_documents(), annex=True, bodies=BODIES)


def test_no_annex_without_the_flag() -> None:
    assert "Annexe" not in render_markdown(_with_documents(), bodies=BODIES)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return seed_database(tmp_path_factory.mktemp("annex") / "seed.db")


def test_cli_dossier_annex_appends_kept_documents(db: str, tmp_path: Path) -> None:
    from cobase.cli import app

    out = tmp_path / "dossier.md"
    args = ["dossier", "--country", "GIN", "--pathology", "hiv", "--format", "md", "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--annex", "--db", db])
    assert result.exit_code == 0, result.output
    annex = out.read_text(encoding="utf-8").split("## Annexe : documents cités")[1]
    assert "empreinte SHA-256" in annex and "ObservationIn" in annex  # the seed's kept body, as an extract
