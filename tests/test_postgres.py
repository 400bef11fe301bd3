"""The same store on PostgreSQL, for a team deployment.

Runs when ``COBASE_TEST_POSTGRES_URL`` points at an empty database the tests may wipe (CI starts one);
skipped otherwise. It covers what differs between dialects: the migrations, the partial unique index on
current values, ingestion through ``COPY`` and set-based statements (the same stored rows as the SQLite
path, and nothing half-written when it fails), aware datetimes, aggregates, and a real refresh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from sqlmodel import Session

from cobase.db import open_store, session_scope
from cobase.evidence import assess
from cobase.findings import add_finding, set_status
from cobase.harmonize.records import ObservationIn
from cobase.ingest import ingest_observations
from cobase.models import Observation, ObservationCitation
from cobase.queries import list_observations, source_status
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.snapshots import store_snapshot
from crawlers.items import RawResponse
from tests.e2e import fresh_schema, run_cli, serve_routes, sources_file, worker_schema_url
from tests.seed import PUBLISHED_V1, PUBLISHED_V2, art_coverage, ingest_rows

DATABASE_URL = os.environ.get("COBASE_TEST_POSTGRES_URL", "")
# A schema of this module and pytest-xdist worker: the fault suite and the other worker use their own.
URL = worker_schema_url(DATABASE_URL, "cobase_pg") if DATABASE_URL else ""
pytestmark = [
    pytest.mark.skipif(not URL, reason="set COBASE_TEST_POSTGRES_URL to test on PostgreSQL"),
]
ART_URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"


@pytest.fixture
def engine() -> sa.Engine:
    """A freshly migrated PostgreSQL store (its schema is emptied first)."""
    fresh_schema(URL)
    open_store.cache_clear()
    return open_store(URL)


def test_ingest_is_idempotent_and_keeps_revisions(engine: sa.Engine) -> None:
    first = ingest_rows(
        engine, "who_gho", ART_URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], datetime(2023, 6, 1, tzinfo=UTC)
    )
    again = ingest_rows(
        engine,
        "who_gho",
        ART_URL,
        [art_coverage(60.0, 2022, PUBLISHED_V1)],
        datetime(2023, 7, 1, tzinfo=UTC),
        body=b"again",
    )
    revised = ingest_rows(
        engine,
        "who_gho",
        ART_URL,
        [art_coverage(64.0, 2022, PUBLISHED_V2)],
        datetime(2024, 10, 1, tzinfo=UTC),
        body=b"revised",
    )
    with session_scope(engine) as session:
        versions = [(row.value, row.is_current) for row in list_observations(session, all_versions=True)]
    assert (first.new, again.unchanged, revised.revised, versions) == (
        1,
        1,
        1,
        [("60.0", False), ("64.0", True)],
    )


def test_datetimes_are_aware_utc(engine: sa.Engine) -> None:
    ingest_rows(
        engine, "who_gho", ART_URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], datetime(2023, 6, 1, tzinfo=UTC)
    )
    with session_scope(engine) as session:
        row = next(list_observations(session))
        status = {s.source: s for s in source_status(session)}["who_gho"]
    assert (row.published_at, status.newest_published_at, status.newest_period) == (
        PUBLISHED_V1,
        PUBLISHED_V1,
        date(2022, 12, 31),
    )


def test_as_of_view(engine: sa.Engine) -> None:
    ingest_rows(
        engine, "who_gho", ART_URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], datetime(2023, 6, 1, tzinfo=UTC)
    )
    ingest_rows(
        engine,
        "who_gho",
        ART_URL,
        [art_coverage(64.0, 2022, PUBLISHED_V2)],
        datetime(2024, 10, 1, tzinfo=UTC),
        body=b"revised",
    )
    before = assess("GIN", "hiv", as_of=date(2024, 1, 1), db=URL).dimension("availability").evidence
    after = assess("GIN", "hiv", as_of=date(2025, 1, 1), db=URL).dimension("availability").evidence
    assert ([e.value for e in before], [e.value for e in after]) == (["60.0"], ["64.0"])


def test_findings_history(engine: sa.Engine, tmp_path: Path) -> None:
    document = tmp_path / "r.txt"
    document.write_text("ruptures", encoding="utf-8")
    with session_scope(engine) as session:
        finding = add_finding(
            session,
            country="GIN",
            dimension="continuity",
            statement="Ruptures",
            period="2024-03",
            contributed_by="Dr A",
            title="Rapport de test sur l'accès aux soins",
            producer="Médecins du Monde",
            file=document,
            item="DTG",
        )
        retracted = set_status(session, finding.finding_id, "retracted", "Dr B")
    assert (retracted.status, retracted.versions) == ("retracted", 2)


def test_refresh_end_to_end(engine: sa.Engine, tmp_path: Path, httpserver: HTTPServer) -> None:
    serve_routes(httpserver, ["who_gho", "worldbank_wdi"])
    base = httpserver.url_for("").rstrip("/")
    sources = sources_file(
        tmp_path, {"who_gho": base, "worldbank_wdi": base}, keep=["who_gho", "worldbank_wdi"]
    )
    first = run_cli("refresh", "--sources", str(sources), db=URL)
    second = run_cli("refresh", "--sources", str(sources), db=URL)
    status = json.loads(run_cli("status", "--json", db=URL).stdout)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert {entry["source"]: entry["last_run_status"] for entry in status} == {
        "who_gho": "success",
        "worldbank_wdi": "success",
    }


def test_revert_withdrawal_as_of_and_rebuild_on_postgresql(engine: sa.Engine) -> None:
    from cobase import refresh
    from cobase.rebuild import rebuild
    from cobase.registry import load_registry
    from tests.test_truthful_store import DATE_A, DATE_B, T1, T2, T3, T4, _raw, gho_page

    registry = load_registry()
    a = gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)])
    for body, retrieved in (
        (a, T1),
        (gho_page([("GIN", 2022, 80.0, DATE_B), ("CIV", 2022, 40.0, DATE_A)]), T2),
        (a, T3),
        (gho_page([("GIN", 2022, 60.0, DATE_A)]), T4),
    ):
        assert refresh.ingest_raw(engine, registry, _raw(body, retrieved)).errors == []
    with engine.connect() as connection:
        history = connection.execute(
            sa.text(
                "SELECT country_iso3, value_text, is_current, published_basis, withdrawn_at IS NOT NULL, "
                "last_seen_at FROM observation ORDER BY id"
            )
        ).fetchall()
    t4 = datetime.fromisoformat(T4)
    assert [tuple(row) for row in history] == [
        ("GIN", "60", False, "last_modified", False, datetime.fromisoformat(T1)),
        ("CIV", "40", False, "last_modified", True, datetime.fromisoformat(T3)),
        ("GIN", "80", False, "last_modified", False, datetime.fromisoformat(T2)),
        ("GIN", "60", True, "last_modified", False, t4),
    ]
    result = assess("GIN", "hiv", as_of=date(2024, 6, 30), db=URL)
    (item,) = [e for e in result.dimension("availability").evidence if e.indicator == "HIV_ARTCOVERAGE"]
    assert (item.value, item.as_of_status, result.published_after_as_of) == ("60", "published_by", [])
    rebuild(engine, registry, ["who_gho"])
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT * FROM observation ORDER BY id")).fetchall()
    (again,) = rebuild(engine, registry, ["who_gho"])
    with engine.connect() as connection:
        after = connection.execute(sa.text("SELECT * FROM observation ORDER BY id")).fetchall()
    assert (again.changed, again.removed, again.added, again.merged, after) == (0, 0, 0, 0, before)


# --- COPY ingestion (cobase.ingest_pg) gives what the SQLite path gives ---

T_FIRST = datetime(2024, 1, 10, tzinfo=UTC)
T_AGAIN = datetime(2024, 2, 10, tzinfo=UTC)
T_REVISED = datetime(2024, 3, 10, tzinfo=UTC)
T_REVERT = datetime(2024, 4, 10, tzinfo=UTC)
T_REVIEW = datetime(2024, 5, 10, tzinfo=UTC)


def _value(country: str, value: float, published: datetime | None, **fields: object) -> ObservationIn:
    return ObservationIn(
        country_iso3=country,
        indicator="HIV_ARTCOVERAGE",
        period_start=date(2022, 1, 1),
        period_end=date(2022, 12, 31),
        value_text=repr(value),
        value_num=value,
        unit="%",
        published_at=published,
        **fields,  # type: ignore[arg-type]
    )


def _finding(status: str) -> ObservationIn:
    """A curated finding's version: same statement and document date, another review status."""
    return ObservationIn(
        country_iso3="GIN",
        indicator="FINDING_CONTINUITY",
        period_start=date(2024, 3, 1),
        period_end=date(2024, 3, 31),
        value_text="Ruptures de dolutégravir",
        breakdown="finding=ab12cd34",
        published_at=datetime(2024, 3, 15, tzinfo=UTC),
        published_basis="document_date",
        item="DTG",
        quote="« rupture »",
        page=3,
        review_status=status,
        contributed_by="Dr A",
    )


FIRST = [
    _value("GIN", 60.0, PUBLISHED_V1),
    _value("CIV", 40.0, PUBLISHED_V1),
    _value("GIN", 99.0, PUBLISHED_V2),  # the same series again in this snapshot: the first row is kept
    _value("MLI", 20.0, None),  # no producer's date: first_seen, published_at empty
    _value("SEN", 30.0, PUBLISHED_V1, published_basis="first_release", breakdown="SEX=FMLE"),
    _value("SEN", 31.0, PUBLISHED_V1, published_basis="", breakdown="SEX=MLE"),  # empty basis: decided
    _finding("contributed"),
]
REVISED = [
    _value("GIN", 64.0, PUBLISHED_V2),  # a revision with a new producer's date: last_modified
    _value("CIV", 41.0, PUBLISHED_V1),  # a revision keeping the producer's date: first_seen
    _value("MLI", 20.0, None),
    _value("SEN", 30.0, PUBLISHED_V1, published_basis="first_release", breakdown="SEX=FMLE"),
    _value("SEN", 32.0, PUBLISHED_V1, published_basis="first_release", breakdown="SEX=MLE"),
    _value("CIV", 45.0, PUBLISHED_V2),  # duplicate of CIV within this snapshot
    _finding("contributed"),
]


def _ingest(
    session: Session,
    snapshot_body: bytes,
    retrieved_at: datetime,
    rows: Iterable[ObservationIn],
    seen_at: datetime | None = None,
) -> tuple[int, int, int, int]:
    source = sync_sources(session, load_registry())["who_gho"]
    raw = RawResponse(
        source="who_gho",
        url=ART_URL,
        status=200,
        body=snapshot_body,
        content_type="application/json",
        retrieved_at=retrieved_at.isoformat(),
    )
    snapshot = store_snapshot(session, source, raw).snapshot
    assert source.id is not None and snapshot.id is not None
    counts = ingest_observations(
        session,
        source_id=source.id,
        snapshot_id=snapshot.id,
        retrieved_at=snapshot.retrieved_at,
        rows=rows,
        seen_at=seen_at,
    )
    return (counts.new, counts.unchanged, counts.revised, counts.duplicates)


def _ingest_sequence(engine: sa.Engine) -> tuple[list[tuple[int, int, int, int]], list[tuple[object, ...]]]:
    """First ingest, identical re-ingest, revisions, a revert seen later, a finding reviewed; every row of
    the observation table, then every row of the citation table."""
    counts = []
    with session_scope(engine) as session:
        counts.append(_ingest(session, b"first", T_FIRST, FIRST))
    with session_scope(engine) as session:
        counts.append(_ingest(session, b"again", T_AGAIN, FIRST))
    with session_scope(engine) as session:
        counts.append(_ingest(session, b"revised", T_REVISED, REVISED))
    with session_scope(engine) as session:
        # The first answer's bytes again (a producer's revert), then a review, in one transaction.
        counts.append(_ingest(session, b"first", T_REVERT, FIRST, seen_at=T_REVERT))
        counts.append(_ingest(session, b"review", T_REVIEW, [_finding("confirmed")]))
    with engine.connect() as connection:
        table = Observation.__table__  # type: ignore[attr-defined]
        rows = connection.execute(sa.select(table).order_by(table.c.id)).fetchall()
        citation = ObservationCitation.__table__  # type: ignore[attr-defined]
        rows += connection.execute(sa.select(citation).order_by(citation.c.observation_id)).fetchall()
    return counts, [tuple(row) for row in rows]


def test_copy_ingestion_stores_exactly_what_the_sqlite_path_stores(engine: sa.Engine, tmp_path: Path) -> None:
    postgres_counts, postgres_rows = _ingest_sequence(engine)
    sqlite_counts, sqlite_rows = _ingest_sequence(open_store(f"sqlite:///{tmp_path / 'reference.db'}"))
    with engine.connect() as connection:
        versions = connection.execute(
            sa.text(
                "SELECT o.country_iso3, o.value_text, c.review_status, o.published_basis, o.is_current, "
                "o.supersedes_id, o.first_seen_at, o.last_seen_at, o.superseded_at FROM observation o "
                "LEFT JOIN observation_citation c ON c.observation_id = o.id ORDER BY o.id"
            )
        ).fetchall()
    assert (
        postgres_counts
        == sqlite_counts
        == [
            (6, 0, 0, 1),
            (0, 6, 0, 1),
            (0, 3, 3, 1),
            (0, 3, 3, 1),
            (0, 0, 1, 0),
        ]
    )
    assert postgres_rows == sqlite_rows
    first, again, revised, revert, review = T_FIRST, T_AGAIN, T_REVISED, T_REVERT, T_REVIEW
    finding = "Ruptures de dolutégravir"
    assert [tuple(row) for row in versions] == [
        ("GIN", "60.0", None, "last_modified", False, None, first, again, revised),
        ("CIV", "40.0", None, "last_modified", False, None, first, again, revised),
        ("MLI", "20.0", None, "first_seen", True, None, first, revert, None),
        ("SEN", "30.0", None, "first_release", True, None, first, revert, None),
        ("SEN", "31.0", None, "last_modified", False, None, first, again, revised),
        ("GIN", finding, "contributed", "document_date", False, None, first, revert, review),
        ("GIN", "64.0", None, "last_modified", False, 1, revised, revised, revert),
        # A revision that keeps the producer's date cannot have been published on it.
        ("CIV", "41.0", None, "first_seen", False, 2, revised, revised, revert),
        ("SEN", "32.0", None, "first_seen", False, 5, revised, revised, revert),
        # The revert: new versions first seen at the later retrieval.
        ("GIN", "60.0", None, "last_modified", True, 7, revert, revert, None),
        ("CIV", "40.0", None, "first_seen", True, 8, revert, revert, None),
        ("SEN", "31.0", None, "first_seen", True, 9, revert, revert, None),
        # A review keeps the document's date: the statement did not change.
        ("GIN", finding, "confirmed", "document_date", True, 6, review, review, None),
    ]


def test_a_citation_bearing_row_is_copied_into_the_citation_table(engine: sa.Engine) -> None:
    """COPY stages a finding's quote, page, status and contributor; only its versions get citation rows."""
    with session_scope(engine) as session:
        assert _ingest(session, b"first", T_FIRST, FIRST) == (6, 0, 0, 1)
    with session_scope(engine) as session:
        assert _ingest(session, b"again", T_AGAIN, FIRST) == (0, 6, 0, 1)  # an unchanged quote: no version
    with session_scope(engine) as session:
        assert _ingest(session, b"review", T_REVIEW, [_finding("confirmed")]) == (0, 0, 1, 0)
    with engine.connect() as connection:
        cited = connection.execute(
            sa.text(
                "SELECT o.breakdown, o.is_current, c.snapshot_id = o.snapshot_id, c.quote, c.page, "
                "c.review_status, c.contributed_by FROM observation_citation c "
                "JOIN observation o ON o.id = c.observation_id ORDER BY o.id"
            )
        ).fetchall()
        uncited = connection.execute(
            sa.text(
                "SELECT count(*) FROM observation o WHERE NOT EXISTS "
                "(SELECT 1 FROM observation_citation c WHERE c.observation_id = o.id)"
            )
        ).scalar()
    assert [tuple(row) for row in cited] == [
        ("finding=ab12cd34", False, True, "« rupture »", 3, "contributed", "Dr A"),
        ("finding=ab12cd34", True, True, "« rupture »", 3, "confirmed", "Dr A"),
    ]
    assert uncited == 5  # the producers' values carry no citation row
    with session_scope(engine) as session:
        (row,) = [r for r in list_observations(session) if r.breakdown == "finding=ab12cd34"]
        assert (row.quote, row.page, row.review_status, row.contributed_by) == (
            "« rupture »",
            3,
            "confirmed",
            "Dr A",
        )


def _boom_after(rows: list[ObservationIn], failing_at: int) -> Iterator[ObservationIn]:
    """A parser that fails part-way through its answer."""
    for index, row in enumerate(rows):
        if index == failing_at:
            raise ValueError("the answer is cut short")
        yield row


def test_a_failed_copy_ingestion_leaves_nothing_half_written(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        _ingest(session, b"first", T_FIRST, FIRST)
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT * FROM observation ORDER BY id")).fetchall()
    # Fails while the rows stream in (during COPY), then after the revisions were superseded (the insert
    # refers to a snapshot that does not exist): both roll back whole.
    with pytest.raises(ValueError, match="cut short"), session_scope(engine) as session:
        _ingest(session, b"revised", T_REVISED, _boom_after(REVISED, 4))
    with pytest.raises(sa.exc.IntegrityError, match="snapshot_id"), session_scope(engine) as session:
        ingest_observations(session, source_id=1, snapshot_id=999_999, retrieved_at=T_REVISED, rows=REVISED)
    with engine.connect() as connection:
        after = connection.execute(sa.text("SELECT * FROM observation ORDER BY id")).fetchall()
    assert after == before
    # The pooled connection is usable again: no staging table is left behind.
    with session_scope(engine) as session:
        assert _ingest(session, b"revised", T_REVISED, REVISED) == (0, 3, 3, 1)
