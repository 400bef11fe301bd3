"""Citations a judge can follow: canonical URLs, landing pages, legal-style references, safe links.

The end-to-end part refreshes real-format fixtures from a server on 127.0.0.1 and checks, by text
extraction of the Markdown, PDF and DOCX dossiers, that no loopback or private address reaches a
reference, that every reference has « consulté le » and a landing URL, and that documents are cited by
their own title and producer.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from pytest_httpserver import HTTPServer

from cobase.evidence.engine import assess
from cobase.evidence.model import Assessment, Evidence
from cobase.evidence.references import landing_url, with_page
from cobase.export import render_docx, render_markdown, render_pdf
from cobase.parse.reliefweb_reports import report_pages
from cobase.registry import SourcesFileError, load_registry
from cobase.snapshots import is_public_url, is_web_url
from tests.assessments import continuity_assessment
from tests.e2e import FIXTURES, database_url, refresh_sources, sql_rows
from tests.helpers import REAL_RECORDINGS, SOURCES_YML
from tests.test_export_support import evidence

REGISTRY = load_registry(SOURCES_YML)
PRIVATE = re.compile(r"127\.0\.0\.1|localhost|\b10\.\d+\.\d+\.\d+|192\.168\.|file://|upload:")


# --- two URLs per snapshot ------------------------------------------------------------------------------


def test_canonical_base_url_defaults_to_the_files_base_url_and_survives_a_mirror() -> None:
    mirrored = REGISTRY.with_base_url("who_gho", "http://127.0.0.1:8123")
    source = mirrored.get("who_gho")
    assert (source.base_url, source.canonical_base_url) == (
        "http://127.0.0.1:8123",
        "https://ghoapi.azureedge.net",
    )
    assert source.canonical_url("http://127.0.0.1:8123/api/HWF_0001?$skip=3") == (
        "https://ghoapi.azureedge.net/api/HWF_0001?$skip=3"
    )


def test_a_url_outside_base_url_keeps_its_own_address() -> None:
    assert REGISTRY.get("documents").canonical_url("https://www.gov.uk/x") == "https://www.gov.uk/x"


def test_canonical_base_url_must_be_a_web_address(tmp_path: Path) -> None:
    text = SOURCES_YML.read_text(encoding="utf-8").replace(
        "    base_url: https://ghoapi.azureedge.net\n",
        "    base_url: https://ghoapi.azureedge.net\n    canonical_base_url: ftp://ghoapi.azureedge.net\n",
    )
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourcesFileError, match=r"source 'who_gho'.*canonical_base_url"):
        load_registry(path)


@pytest.mark.parametrize(
    ("url", "web", "public"),
    [
        ("https://www.who.int/data", True, True),
        ("http://127.0.0.1:8000/api", True, False),
        ("http://localhost/x", True, False),
        ("http://192.168.1.4/share/r.pdf", True, False),
        ("http://10.0.0.2/r.pdf", True, False),
        ("http://[::1]/x", True, False),
        ("javascript:alert(1)", False, False),
        ("file://serveur/partage/rapport.pdf", False, False),
        ("upload:rapport.pdf", False, False),
        ("", False, False),
    ],
)
def test_which_urls_are_links(url: str, web: bool, public: bool) -> None:
    assert (is_web_url(url), is_public_url(url)) == (web, public)


# --- landing pages ------------------------------------------------------------------------------------


def test_who_gho_landing_is_the_api_filtered_to_the_country() -> None:
    assert landing_url(
        "who_gho", "HIV_ARTCOVERAGE", "GIN", "https://ghoapi.azureedge.net/api/x", REGISTRY
    ) == ("https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE?$filter=SpatialDim%20eq%20'GIN'")


def test_world_bank_landing_is_the_data_page_for_the_country() -> None:
    assert landing_url("worldbank_wdi", "SH.XPD.OOPC.CH.ZS", "GIN", "", REGISTRY) == (
        "https://data.worldbank.org/indicator/SH.XPD.OOPC.CH.ZS?locations=GN"
    )


def test_reliefweb_landing_is_the_reports_own_page() -> None:
    pages = report_pages((FIXTURES / "reliefweb_reports" / "reports_GIN_offset2.json").read_bytes())
    assert pages["4051234"] == "https://reliefweb.int/report/guinea/4051234"
    landing = landing_url(
        "reliefweb_reports",
        "RW_STOCKOUT_REPORT",
        "GIN",
        "https://api.reliefweb.int/v2/reports?appname=x",
        REGISTRY,
        breakdown="report=4051234;source=MSF",
        report_page=pages["4051234"],
    )
    assert landing == "https://reliefweb.int/report/guinea/4051234"


def test_a_pdf_document_lands_on_its_page() -> None:
    assert with_page("https://msf.org/r.pdf", 7) == "https://msf.org/r.pdf#page=7"
    assert with_page("https://msf.org/r", 7, "application/pdf") == "https://msf.org/r#page=7"
    assert with_page("https://msf.org/r.html", 7, "text/html") == "https://msf.org/r.html"


def test_a_private_address_is_never_a_landing_page() -> None:
    assert landing_url("documents", "DOC_X", "GIN", "http://127.0.0.1:9/r.pdf", REGISTRY, page=2) is None


# --- references ---------------------------------------------------------------------------------------


def _evidence(**fields: object) -> Evidence:
    base: dict[str, object] = dict(
        source="contributed",
        producer="Dr X, Comede",
        indicator="FINDING_CONTINUITY",
        label_fr="Constat contribué",
        label_en="Contributed finding",
        value="Ruptures de dolutégravir à Conakry",
        period_start=date(2024, 3, 1),
        period_end=date(2024, 3, 31),
        published_at=datetime(2024, 4, 15, tzinfo=UTC),
        published_basis="document_date",
        retrieved_at=datetime(2024, 5, 2, 8, 0, tzinfo=UTC),
        url="https://www.msf.org/rapport-guinee.pdf",
        landing_url="https://www.msf.org/rapport-guinee.pdf#page=4",
        snapshot_sha256="a" * 64,
        page=4,
        contributed_by="Dr X (Comede)",
        document_title="Ruptures d'ARV en Guinée",
        document_producer="Médecins Sans Frontières (MSF)",
        archived_url="https://web.archive.org/web/20240420000000/https://www.msf.org/rapport-guinee.pdf",
        archived_at=datetime(2024, 4, 20, tzinfo=UTC),
    )
    return evidence(**{**base, **fields})


def _assessment(evidence: list[Evidence]) -> Assessment:
    return continuity_assessment(evidence)


def _references(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if re.match(r"^- \[\d+\] ", line)]


def test_a_finding_cites_its_document_with_the_contributor_as_noted_by() -> None:
    (reference,) = _references(render_markdown(_assessment([_evidence()])))
    assert reference.startswith(
        "- [1] Médecins Sans Frontières (MSF), *Ruptures d'ARV en Guinée*, publié le 15/04/2024"
    )
    assert ", p. 4, relevé par Dr X (Comede)." in reference
    assert "En ligne : <https://www.msf.org/rapport-guinee.pdf#page=4> (consulté le 02/05/2024)." in reference
    assert "Copie archivée : <https://web.archive.org/web/20240420000000/" in reference
    assert "(capture du 20/04/2024)" in reference
    assert f"empreinte SHA-256 du fichier conservé : `{'a' * 64}`" in reference


@pytest.mark.parametrize(
    ("basis", "words"),
    [
        ("last_modified", "mis à jour le 15/04/2024"),
        ("document_date", "publié le 15/04/2024"),
        ("first_release", "publié le 15/04/2024"),
        ("first_seen", "relevé le 15/04/2024"),
    ],
)
def test_the_reference_says_what_its_date_is(basis: str, words: str) -> None:
    (reference,) = _references(render_markdown(_assessment([_evidence(published_basis=basis)])))
    assert words in reference


@pytest.mark.parametrize("bad", ["javascript:alert(document.cookie)", "file://serveur/partage/r.pdf"])
def test_a_non_web_url_is_never_a_link_in_any_format(bad: str) -> None:
    assessment = _assessment([_evidence(url=bad, landing_url=bad, archived_url=None, archived_at=None)])
    markdown = render_markdown(assessment)
    assert f"<{bad}>" not in markdown and f"]({bad})" not in markdown
    document = Document(BytesIO(render_docx(assessment)))
    assert all(link.url.startswith("https://") for p in document.paragraphs for link in p.hyperlinks)
    reader = PdfReader(BytesIO(render_pdf(assessment)))
    uris = [
        annotation.get_object().get("/A", {}).get("/URI", "")
        for page in reader.pages
        for annotation in page.get("/Annots", []) or []
    ]
    assert not [uri for uri in uris if not str(uri).startswith("https://")]


# --- end to end: a refresh from 127.0.0.1, then the three exports ----------------------------------------

E2E_SOURCES = ["who_gho", "worldbank_wdi", "documents", "reliefweb_reports"]


@pytest.fixture(scope="module")
def refreshed_db(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    import json

    tmp = tmp_path_factory.mktemp("citations")
    db = database_url(tmp)
    documents = json.loads((FIXTURES / "documents" / "mirror" / "entry.json").read_text(encoding="utf-8"))
    result = refresh_sources(
        local_server,
        tmp,
        db,
        E2E_SOURCES,
        extra_source_fields={
            "documents": {"documents": documents["documents"]},
            "reliefweb_reports": {"page_size": 2, "params": {"countries": ["GIN"], "max_pages": 2}},
        },
        env={"COBASE_RELIEFWEB_APPNAME": "cobase-e2e"},
        routes=["who_gho", "worldbank_wdi", "documents/mirror", "reliefweb_reports"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sql_rows(db, "SELECT count(*) FROM snapshot WHERE url LIKE 'http://127.0.0.1%'")[0][0] > 0
    return db


@pytest.fixture(scope="module")
def dossiers(refreshed_db: str) -> dict[str, str]:
    assessment = assess("GIN", "hiv", as_of=date(2030, 1, 1), db=refreshed_db)
    pdf = " ".join(
        "\n".join(page.extract_text() for page in PdfReader(BytesIO(render_pdf(assessment))).pages).split()
    )
    document = Document(BytesIO(render_docx(assessment)))
    docx = " ".join("\n".join(p.text for p in document.paragraphs).split())
    return {"md": render_markdown(assessment), "pdf": pdf, "docx": docx}


def test_the_local_refresh_cites_no_loopback_or_private_address(dossiers: dict[str, str]) -> None:
    assert {name: PRIVATE.findall(text) for name, text in dossiers.items()} == {
        "md": [],
        "pdf": [],
        "docx": [],
    }


def test_every_reference_has_consulte_le_and_a_landing_url(dossiers: dict[str, str]) -> None:
    references = _references(dossiers["md"])
    assert len(references) >= 3
    for reference in references:
        assert "(consulté le " in reference
        assert re.search(r"En ligne : <https://[^>]+>", reference), reference
    assert dossiers["pdf"].count("consulté le") >= len(references)
    assert dossiers["docx"].count("consulté le") >= len(references)


def test_documents_are_cited_by_title_and_producer(dossiers: dict[str, str]) -> None:
    for text in dossiers.values():
        assert "Test NGO, " in text and "Accès aux antirétroviraux en Guinée" in text
    references = "\n".join(_references(dossiers["md"]))
    assert "the producer of each document is named on it" not in references


def test_sources_land_on_pages_a_person_can_open(dossiers: dict[str, str]) -> None:
    markdown = dossiers["md"]
    assert "<https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE?$filter=SpatialDim%20eq%20'GIN'>" in markdown
    assert "https://reliefweb.int/report/" in markdown
    assert (
        "https://api.reliefweb.int/v2/reports"
        not in markdown.split("En ligne :")[1].split("Source technique")[0]
    )
    assert "/docs/guinee-arv-2024.pdf#page=" in markdown


# --- a real recording, fetched from a mirror ------------------------------------------------------------

REAL_GHO = REAL_RECORDINGS / "who_gho" / "GHED_OOPSCHE_SHA2011_IDN.json"


@pytest.mark.skipif(not REAL_GHO.is_file(), reason="../shared/fixtures/who_gho is absent")
def test_a_real_gho_recording_from_a_mirror_is_cited_on_whos_address(tmp_path: Path) -> None:
    from cobase.db import open_store
    from cobase.refresh import ingest_raw
    from crawlers.items import RawResponse

    db = f"sqlite:///{tmp_path / 'real.db'}"
    mirror = "http://127.0.0.1:8765"
    registry = REGISTRY.with_base_url("who_gho", mirror)
    raw = RawResponse(
        source="who_gho",
        url=f"{mirror}/api/GHED_OOPSCHE_SHA2011?$filter=SpatialDim%20eq%20'IDN'",
        status=200,
        body=REAL_GHO.read_bytes(),
        content_type="application/json",
        retrieved_at="2026-01-05T10:00:00+00:00",
        request_meta={"indicator": "GHED_OOPSCHE_SHA2011"},
    )
    summary = ingest_raw(open_store(db), registry, raw)
    assert not summary.errors and summary.observations.new > 0
    assessment = assess("IDN", "diabetes_t1", as_of=date(2026, 6, 30), db=db)
    markdown = render_markdown(assessment)
    texts = {
        "md": markdown,
        "pdf": "\n".join(p.extract_text() for p in PdfReader(BytesIO(render_pdf(assessment))).pages),
        "docx": "\n".join(p.text for p in Document(BytesIO(render_docx(assessment))).paragraphs),
    }
    assert {name: PRIVATE.findall(text) for name, text in texts.items()} == {"md": [], "pdf": [], "docx": []}
    (reference,) = [line for line in _references(markdown) if "GHED_OOPSCHE_SHA2011" in line]
    assert (
        "En ligne : <https://ghoapi.azureedge.net/api/GHED_OOPSCHE_SHA2011?$filter=SpatialDim%20eq%20'IDN'>"
        in (reference)
    )
    assert "(consulté le 05/01/2026)" in reference


def test_cobase_archive_looks_up_the_cited_pages_never_the_local_server(refreshed_db: str) -> None:
    from cobase.db import open_store, session_scope
    from cobase.evidence.references import cited_urls

    with session_scope(open_store(refreshed_db)) as session:
        urls = cited_urls(session, REGISTRY)
        reliefweb = cited_urls(session, REGISTRY, "reliefweb_reports")
    assert urls and not [url for url in urls if PRIVATE.search(url) or "#" in url]
    assert "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE?$filter=SpatialDim%20eq%20'GIN'" in urls
    assert "https://data.worldbank.org/indicator/SH.XPD.OOPC.CH.ZS?locations=GN" in urls
    assert "https://coi.euaa.europa.eu/docs/guinee-arv-2024.pdf" in urls
    assert "https://reliefweb.int/report/guinea/4101001" in reliefweb
    assert set(reliefweb) <= set(urls)
