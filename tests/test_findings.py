"""Curated findings: recorded with a snapshot of their document, confirmed or retracted with history."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from sqlmodel import select
from typer.testing import CliRunner

from cobase.cli import app
from cobase.clock import BadDateError
from cobase.db import open_store, session_scope
from cobase.findings import (
    SOURCE_KEY,
    FindingError,
    add_finding,
    get_finding,
    indicator_for,
    list_findings,
    set_status,
)
from cobase.harmonize.medicines import UnknownMedicineError
from cobase.models import Snapshot
from cobase.queries import observation_versions
from cobase.snapshots import load_body

DOCUMENT = "Rapport 2024. Page 2 : ruptures de stock de dolutégravir à Conakry en mars 2024.".encode()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    open_store(url)
    return url


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(DOCUMENT)
    return path


def _add(db: str, document: Path, **overrides):
    fields = dict(
        country="Guinée",
        dimension="continuity",
        statement="Ruptures de stock de dolutégravir",
        period="2024-03",
        contributed_by="Dr A (Comede)",
        title="Rapport sur les ruptures d'ARV en Guinée",
        producer="Médecins Sans Frontières (MSF)",
        file=document,
        item="DTG",
        quote="ruptures de stock de dolutégravir à Conakry",
        page=2,
        published=date(2024, 4, 15),
    )
    fields.update(overrides)
    with session_scope(open_store(db)) as session:
        return add_finding(session, **fields)


def test_finding_is_stored_with_its_provenance(db: str, document: Path) -> None:
    finding = _add(db, document)
    assert (finding.country_iso3, finding.item, finding.page, finding.status, finding.contributed_by) == (
        "GIN",
        "dolutegravir",
        2,
        "contributed",
        "Dr A (Comede)",
    )


def test_month_period_spans_the_month(db: str, document: Path) -> None:
    finding = _add(db, document)
    assert (finding.period_start, finding.period_end) == (date(2024, 3, 1), date(2024, 3, 31))


def test_document_is_kept_as_a_snapshot(db: str, document: Path) -> None:
    finding = _add(db, document)
    with session_scope(open_store(db)) as session:
        snapshot = session.exec(select(Snapshot).where(Snapshot.sha256 == finding.snapshot_sha256)).one()
        assert load_body(session, snapshot) == DOCUMENT


def test_document_url_is_fetched_once_and_kept(db: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rapport.html").respond_with_data(DOCUMENT, content_type="text/html")
    finding = _add(db, None, file=None, url=httpserver.url_for("/rapport.html"))
    assert finding.url.endswith("/rapport.html") and len(finding.snapshot_sha256) == 64


def test_unreachable_url_is_a_clear_error_and_stores_nothing(db: str) -> None:
    with pytest.raises(FindingError, match="--file"):
        _add(db, None, file=None, url="http://127.0.0.1:9/absent.pdf", fetch_timeout=2)
    with session_scope(open_store(db)) as session:
        assert list_findings(session, include_retracted=True) == []


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"dimension": "vibes"}, FindingError),
        ({"statement": "  "}, FindingError),
        ({"contributed_by": ""}, FindingError),
        ({"page": 0}, FindingError),
        ({"period": "mars 2024"}, BadDateError),
        ({"item": "xyzzyvir"}, UnknownMedicineError),
        ({"file": None, "url": None}, FindingError),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(db: str, document: Path, overrides, error) -> None:
    with pytest.raises(error):
        _add(db, document, **overrides)
    with session_scope(open_store(db)) as session:
        assert session.exec(select(Snapshot)).all() == []


def test_confirmation_is_a_new_version(db: str, document: Path) -> None:
    finding = _add(db, document)
    with session_scope(open_store(db)) as session:
        confirmed = set_status(session, finding.finding_id, "confirmed", "Dr B")
    assert (confirmed.status, confirmed.versions, confirmed.contributed_by) == ("confirmed", 2, "Dr B")


def test_retraction_keeps_the_history(db: str, document: Path) -> None:
    finding = _add(db, document)
    with session_scope(open_store(db)) as session:
        set_status(session, finding.finding_id, "confirmed", "Dr B")
        set_status(session, finding.finding_id, "retracted", "Dr C")
        # Read back as the evidence engine reads it: every version of the finding's series is kept.
        indicators = [(SOURCE_KEY, indicator_for(finding.dimension))]
        history = sorted(observation_versions(session, finding.country_iso3, indicators), key=lambda v: v.id)
        current = get_finding(session, finding.finding_id)
    assert [v.review_status for v in history] == ["contributed", "confirmed", "retracted"]
    assert (current.status, current.versions) == ("retracted", 3)


def test_retracted_finding_is_hidden_from_the_default_list(db: str, document: Path) -> None:
    finding = _add(db, document)
    with session_scope(open_store(db)) as session:
        set_status(session, finding.finding_id, "retracted", "Dr C")
        assert (list_findings(session), len(list_findings(session, include_retracted=True))) == ([], 1)


def test_a_retracted_finding_cannot_be_confirmed(db: str, document: Path) -> None:
    finding = _add(db, document)
    with session_scope(open_store(db)) as session:
        set_status(session, finding.finding_id, "retracted", "Dr C")
        with pytest.raises(FindingError, match="retracted"):
            set_status(session, finding.finding_id, "confirmed", "Dr D")


def _five_findings(db: str, document: Path) -> None:
    """Three findings in Guinea and two in Senegal, over different months; one confirmed, one retracted."""
    ids = [
        _add(
            db, document, country=country, period=period, quote=f"« {country} {period} »", page=page
        ).finding_id
        for country, period, page in (
            ("Guinée", "2024-03", 2),
            ("Guinée", "2023-11", 3),
            ("Sénégal", "2024-01", 4),
            ("Guinée", "2024-05", 5),
            ("Sénégal", "2022-07", 6),
        )
    ]
    with session_scope(open_store(db)) as session:
        set_status(session, ids[0], "confirmed", "Dr B")
        set_status(session, ids[2], "retracted", "Dr C")


@pytest.mark.parametrize(
    ("country", "include_retracted"), [(None, True), (None, False), ("GIN", False), ("SEN", True)]
)
def test_list_findings_reads_every_finding_in_one_query(
    db: str, document: Path, country: str | None, include_retracted: bool
) -> None:
    _five_findings(db, document)
    engine = open_store(db)
    selects: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with session_scope(engine) as session:
        session.connection()  # the session's own setup is not the listing's
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            listed = list_findings(session, country, include_retracted=include_retracted)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        one_by_one = [get_finding(session, finding.finding_id) for finding in listed]
    assert len(selects) == 1, selects
    # The same findings as reading each one alone, newest period first, filtered as asked.
    assert listed == one_by_one
    expected = {
        (None, True): ["2024-05", "2024-03", "2024-01", "2023-11", "2022-07"],
        (None, False): ["2024-05", "2024-03", "2023-11", "2022-07"],
        ("GIN", False): ["2024-05", "2024-03", "2023-11"],
        ("SEN", True): ["2024-01", "2022-07"],
    }[(country, include_retracted)]
    assert [f"{f.period_start:%Y-%m}" for f in listed] == expected
    by_period = {f"{f.period_start:%Y-%m}": f for f in listed}
    if "2024-03" in by_period:
        confirmed = by_period["2024-03"]
        assert (confirmed.status, confirmed.versions, confirmed.quote, confirmed.page) == (
            "confirmed",
            2,
            "« Guinée 2024-03 »",
            2,
        )
    if "2024-01" in by_period:
        assert (by_period["2024-01"].status, by_period["2024-01"].versions) == ("retracted", 2)


def test_unknown_finding_id_is_a_clear_error(db: str) -> None:
    with session_scope(open_store(db)) as session, pytest.raises(FindingError, match="no finding"):
        get_finding(session, "deadbeef")


def test_cli_add_list_confirm_retract(db: str, document: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "finding",
            "add",
            "--country",
            "Guinée",
            "--dimension",
            "continuity",
            "--statement",
            "Ruptures de dolutégravir",
            "--date",
            "2024-03",
            "--by",
            "Dr A",
            "--title",
            "Rapport sur les ruptures d'ARV",
            "--producer",
            "MSF",
            "--file",
            str(document),
            "--medicine",
            "dolutégravir 50 mg",
            "--quote",
            "ruptures",
            "--page",
            "2",
            "--db",
            db,
        ],
    )
    finding_id = added.stdout.strip().split()[-1]
    runner.invoke(app, ["finding", "confirm", finding_id, "--by", "Dr B", "--db", db])
    listed = json.loads(runner.invoke(app, ["finding", "list", "--country", "GN", "--db", db]).stdout)
    retracted = runner.invoke(app, ["finding", "retract", finding_id, "--by", "Dr C", "--db", db])
    assert (added.exit_code, listed[0]["status"], listed[0]["item"], retracted.exit_code) == (
        0,
        "confirmed",
        "dolutegravir",
        0,
    )


def test_cli_bad_dimension_is_one_clear_sentence(db: str, document: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "finding",
            "add",
            "--country",
            "GIN",
            "--dimension",
            "vibes",
            "--statement",
            "x",
            "--date",
            "2024",
            "--by",
            "Dr A",
            "--title",
            "Rapport sur les ruptures d'ARV",
            "--producer",
            "MSF",
            "--file",
            str(document),
            "--db",
            db,
        ],
    )
    assert result.exit_code == 2 and "unknown dimension 'vibes'" in result.output


def test_a_javascript_url_is_refused_in_one_sentence(db: str, document: Path) -> None:
    with pytest.raises(FindingError, match=r"^l'adresse du document doit commencer par http:// ou https://"):
        _add(db, document, url="javascript:alert(1)")
    with session_scope(open_store(db)) as session:
        assert list_findings(session) == []


@pytest.mark.parametrize("url", ["file://serveur/partage/rapport.pdf", "ftp://example.org/r.pdf", "data:,x"])
def test_only_http_and_https_document_urls_are_stored(db: str, document: Path, url: str) -> None:
    with pytest.raises(FindingError, match="http:// ou https://"):
        _add(db, document, url=url)


@pytest.mark.parametrize("missing", ["title", "producer"])
def test_the_cited_documents_title_and_producer_are_required(db: str, document: Path, missing: str) -> None:
    with pytest.raises(FindingError, match="--" + missing):
        _add(db, document, **{missing: "  "})


def test_a_finding_keeps_its_documents_title_and_producer(db: str, document: Path) -> None:
    finding = _add(db, document)
    assert (finding.document_title, finding.document_producer, finding.url) == (
        "Rapport sur les ruptures d'ARV en Guinée",
        "Médecins Sans Frontières (MSF)",
        "upload:rapport.pdf",
    )


def test_cli_javascript_url_exits_with_one_sentence(db: str, document: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "finding",
            "add",
            "--country",
            "GIN",
            "--dimension",
            "continuity",
            "--statement",
            "x",
            "--date",
            "2024",
            "--by",
            "Dr A",
            "--title",
            "T",
            "--producer",
            "P",
            "--url",
            "javascript:alert(document.cookie)",
            "--file",
            str(document),
            "--db",
            db,
        ],
    )
    assert result.exit_code != 0
    assert "http:// ou https://" in result.output and "Traceback" not in result.output
