"""Archived copies: ``cobase archive`` looks cited URLs up in the Wayback Machine's CDX API (replayed from
a local server) and records their captures; a capture before the opinion date proves publication."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import yaml
from pytest_httpserver import HTTPServer
from sqlmodel import select
from typer.testing import CliRunner
from werkzeug import Request, Response

from cobase.archive import archive_urls, earliest_captures, lookup
from cobase.cli import app
from cobase.db import open_store, session_scope
from cobase.evidence.engine import archived_as_of, assess
from cobase.evidence.model import Evidence
from cobase.evidence.references import all_evidence
from cobase.findings import add_finding
from cobase.models import ArchiveCapture
from cobase.registry import load_registry
from cobase.yamltext import load_yaml
from tests.assessments import continuity_assessment
from tests.helpers import FIXTURES, REAL_RECORDINGS, SOURCES_YML
from tests.test_export_support import evidence

OWN = FIXTURES / "internet_archive"
WAYBACK = REAL_RECORDINGS / "wayback" / "edgi_bodies"
PLOS = "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0191294"
CDX_PATH = "/cdx/search/cdx"

needs_recordings = pytest.mark.skipif(not WAYBACK.is_dir(), reason="../shared/fixtures/wayback is absent")


def serve_cdx(server: HTTPServer, answers: dict[str, tuple[Path, int]], save_status: int = 429) -> list[str]:
    """Answer CDX searches by their ``url`` (any other URL: no capture); a resumed search gets the empty
    final page, as the real service ends one. Returns the log of requested paths."""
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.full_path)
        if request.path.startswith("/save/"):
            return Response("Too many requests", status=save_status)
        if request.path != CDX_PATH:
            return Response("not found", status=404)
        query = dict(parse_qsl(request.query_string.decode()))
        if "resumeKey" in query:
            return Response(b"", status=200, content_type="text/plain")
        path, status = answers.get(query.get("url", ""), (OWN / "cdx_empty.txt", 200))
        return Response(path.read_bytes(), status=status, content_type="text/plain")

    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(handler)
    return seen


def registry_on(server: HTTPServer):  # type: ignore[no-untyped-def]
    return load_registry(SOURCES_YML).with_base_url("internet_archive", server.url_for("").rstrip("/"))


def client(server: HTTPServer):  # type: ignore[no-untyped-def]
    from cobase.archive import client_for

    return client_for(registry_on(server))


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cobase.db'}"
    open_store(url)
    return url


def _finding(db: str, tmp_path: Path, url: str | None = PLOS) -> None:
    document = tmp_path / "article.html"
    document.write_bytes(b"<html><body><p>Stockouts of HIV commodities in Kinshasa, 2017.</p></body></html>")
    with session_scope(open_store(db)) as session:
        add_finding(
            session,
            country="COD",
            dimension="continuity",
            statement="Ruptures d'antirétroviraux dans les centres publics de Kinshasa",
            period="2017",
            contributed_by="Dr Exemple (Comede)",
            title="Stockouts of HIV commodities in public health facilities in Kinshasa",
            producer="Gils T. et al. (MSF), PLOS ONE",
            url=url,
            file=document,
            quote="Stockouts of HIV commodities in Kinshasa",
        )


# --- the CDX client on recorded answers ---------------------------------------------------------------


@needs_recordings
def test_real_cdx_recording_gives_the_earliest_capture(httpserver: HTTPServer) -> None:
    serve_cdx(httpserver, {"nasa.gov": (WAYBACK / "test_search__00_200.txt", 200)})
    wayback, public = client(httpserver)
    earliest, latest = lookup(wayback, "nasa.gov", public)
    assert earliest is not None and latest is not None
    assert (earliest.timestamp, earliest.status, earliest.digest) == (
        datetime(1996, 12, 31, 23, 58, 47, tzinfo=UTC),
        200,
        "MGIGF4GRGGF5GKV6VNCBAXOE3OR5BTZC",
    )
    assert earliest.archived_url == "https://web.archive.org/web/19961231235847/http://www.nasa.gov/"
    assert latest.timestamp >= earliest.timestamp


@needs_recordings
def test_real_multipage_recording_reads_only_the_first_page(httpserver: HTTPServer) -> None:
    seen = serve_cdx(httpserver, {"cnn.com": (WAYBACK / "test_search_multipage__00_200.txt", 200)})
    wayback, public = client(httpserver)
    earliest, _latest = lookup(wayback, "cnn.com", public)
    first_row = (WAYBACK / "test_search_multipage__00_200.txt").read_text().split()[1]
    assert earliest is not None and earliest.timestamp.strftime("%Y%m%d%H%M%S") == first_row
    assert len(seen) <= 3  # earliest, latest (and at most one resumed page): never the whole history


@needs_recordings
def test_real_revisit_rows_have_no_status(httpserver: HTTPServer) -> None:
    serve_cdx(httpserver, {"dw.com": (WAYBACK / "test_search_with_date__00_200.txt", 200)})
    wayback, public = client(httpserver)
    earliest, _latest = lookup(wayback, "dw.com", public)
    assert earliest is not None and earliest.status is None  # warc/revisit: status "-"


@needs_recordings
def test_real_blocked_site_is_one_clear_message(httpserver: HTTPServer, db: str) -> None:
    blocked = "https://blocked.example.org/report"
    serve_cdx(httpserver, {blocked: (WAYBACK / "test_search_raises_for_blocked_urls__00_403.txt", 403)})
    with session_scope(open_store(db)) as session:
        summary = archive_urls(session, registry_on(httpserver), [blocked])
    assert summary.errors == [
        f"{blocked}: le site a demandé à l'Internet Archive de ne pas montrer ses copies / "
        "blocked by the site"
    ]


# --- our own fixture -----------------------------------------------------------------------------------


def test_captures_are_recorded_per_url(httpserver: HTTPServer, db: str) -> None:
    serve_cdx(httpserver, {PLOS: (OWN / "cdx_plos_kinshasa.txt", 200)})
    with session_scope(open_store(db)) as session:
        summary = archive_urls(
            session, registry_on(httpserver), [PLOS + "#page=2", "https://example.org/none"]
        )
    with session_scope(open_store(db)) as session:
        rows = {row.url: row for row in session.exec(select(ArchiveCapture)).all()}
    plos = rows[PLOS]
    assert (summary.with_capture, summary.without_capture) == (1, 1)
    assert (plos.earliest_at, plos.earliest_status, plos.earliest_digest) == (
        datetime(2018, 1, 23, 9, 45, 12, tzinfo=UTC),
        200,
        "Q3JZ7WXKXN5H2M4ODF6UCR7LWPQSYT3B",
    )
    assert plos.earliest_url == f"https://web.archive.org/web/20180123094512/{PLOS}"
    assert (plos.latest_at, plos.latest_status) == (datetime(2024, 3, 2, 8, 14, 55, tzinfo=UTC), 200)
    assert rows["https://example.org/none"].earliest_at is None  # "not archived" is recorded, with its date


def test_archived_urls_are_on_the_public_wayback_even_from_a_local_server(
    httpserver: HTTPServer, db: str
) -> None:
    serve_cdx(httpserver, {PLOS: (OWN / "cdx_plos_kinshasa.txt", 200)})
    with session_scope(open_store(db)) as session:
        archive_urls(session, registry_on(httpserver), [PLOS])
        row = session.exec(select(ArchiveCapture)).one()
    assert "127.0.0.1" not in (row.earliest_url or "") + (row.latest_url or "")


def test_loopback_and_non_web_urls_are_never_looked_up(httpserver: HTTPServer, db: str) -> None:
    seen = serve_cdx(httpserver, {})
    with session_scope(open_store(db)) as session:
        summary = archive_urls(
            session,
            registry_on(httpserver),
            ["http://127.0.0.1:8000/x", "javascript:alert(1)", "upload:r.pdf"],
        )
    assert (summary.looked_up, seen) == (0, [])


def test_save_page_now_refusal_is_reported_not_raised(httpserver: HTTPServer, db: str) -> None:
    serve_cdx(httpserver, {}, save_status=429)
    with session_scope(open_store(db)) as session:
        summary = archive_urls(session, registry_on(httpserver), ["https://example.org/new"], save=True)
        row = session.exec(select(ArchiveCapture)).one()
    assert summary.refused == [
        "https://example.org/new: refusé : trop de demandes, réessayez plus tard / "
        "refused: too many requests, try later"
    ]
    assert row.save_message and row.save_requested_at is not None


def test_earliest_captures_ignores_the_page_fragment(httpserver: HTTPServer, db: str) -> None:
    serve_cdx(httpserver, {PLOS: (OWN / "cdx_plos_kinshasa.txt", 200)})
    with session_scope(open_store(db)) as session:
        archive_urls(session, registry_on(httpserver), [PLOS])
        found = earliest_captures(session, [PLOS + "#page=3", "https://example.org/never"])
    assert found == {PLOS + "#page=3": datetime(2018, 1, 23, 9, 45, 12, tzinfo=UTC)}


# --- cobase archive, and the as-of -----------------------------------------------------------------------


def _sources_file(tmp_path: Path, server: HTTPServer) -> Path:
    data = load_yaml(SOURCES_YML.read_text(encoding="utf-8"))
    data["sources"]["internet_archive"]["base_url"] = server.url_for("").rstrip("/")
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_cobase_archive_records_the_cited_documents_captures(
    httpserver: HTTPServer, db: str, tmp_path: Path
) -> None:
    _finding(db, tmp_path)
    serve_cdx(httpserver, {PLOS: (OWN / "cdx_plos_kinshasa.txt", 200)})
    result = CliRunner().invoke(
        app,
        [
            "archive",
            "--source",
            "contributed",
            "--sources",
            str(_sources_file(tmp_path, httpserver)),
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "première capture / earliest 23/01/2018" in result.output
    with session_scope(open_store(db)) as session:
        assert [row.url for row in session.exec(select(ArchiveCapture)).all()] == [PLOS]


def test_cobase_archive_unknown_source_is_one_sentence(db: str) -> None:
    result = CliRunner().invoke(app, ["archive", "--source", "nope", "--db", db])
    assert result.exit_code == 2 and "no source 'nope'" in " ".join(result.output.split())


def test_a_capture_before_the_opinion_makes_an_unknown_finding_published_by(
    httpserver: HTTPServer, db: str, tmp_path: Path
) -> None:
    _finding(db, tmp_path)
    serve_cdx(httpserver, {PLOS: (OWN / "cdx_plos_kinshasa.txt", 200)})
    with session_scope(open_store(db)) as session:
        archive_urls(session, registry_on(httpserver), [PLOS])

    def finding_at(as_of: date) -> Evidence:
        # Wherever the as-of puts it (the store's version selection decides the list), the status says.
        assessment = assess("COD", "hiv", as_of=as_of, db=db)
        return next(e for e in all_evidence(assessment) if e.source == "contributed")

    # The finding was entered today: without the archive, nothing proves it was public in 2019.
    later = finding_at(date(2019, 6, 30))
    assert (later.as_of_status, later.archived_at) == (
        "published_by",
        datetime(2018, 1, 23, 9, 45, 12, tzinfo=UTC),
    )
    assert later.archived_url == f"https://web.archive.org/web/20180123094512/{PLOS}"
    before_capture = finding_at(date(2017, 12, 31))
    assert before_capture.as_of_status == "unknown"


def _evidence(**fields: object) -> Evidence:
    base: dict[str, object] = dict(
        source="documents",
        producer="MSF",
        indicator="DOC_STOCKOUT",
        label_fr="Rupture",
        label_en="Stock-out",
        value="rupture",
        period_start=date(2017, 1, 1),
        period_end=date(2017, 12, 31),
        published_at=None,
        retrieved_at=datetime(2026, 1, 1, tzinfo=UTC),
        url=PLOS,
    )
    return evidence(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"archived_at": datetime(2018, 1, 23, tzinfo=UTC)}, "published_by"),
        ({"archived_at": datetime(2019, 6, 30, 23, 59, tzinfo=UTC)}, "published_by"),  # the day itself counts
        ({"archived_at": datetime(2019, 7, 1, tzinfo=UTC)}, "unknown"),  # captured after the opinion
        ({}, "unknown"),  # never captured
        (
            {"archived_at": datetime(2018, 1, 1, tzinfo=UTC), "as_of_status": "published_after"},
            "published_after",
        ),
        ({"archived_at": datetime(2018, 1, 1, tzinfo=UTC), "source": "who_gho"}, "unknown"),  # a data page
    ],
)
def test_archived_as_of_rule(fields: dict[str, object], expected: str) -> None:
    evidence = _evidence(**fields)
    assessment = continuity_assessment(
        [evidence],
        country=("COD", "RDC", "DRC"),
        pathology=("hiv", "VIH", "HIV"),
        as_of=date(2019, 6, 30),
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    changed = archived_as_of(assessment)
    assert {e.as_of_status for e in changed.dimensions[0].evidence + changed.dimensions[0].latest} == {
        expected
    }
