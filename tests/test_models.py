"""One model of an observation: the layers that restate its fields are pinned to the table's columns.

``ObservationIn`` and ``ParsedRecord`` stay dataclasses (the ingestion hot path), ``Evidence`` and ``Finding``
present values under readers' names: each test below fails, naming the field, when a column is added to
:class:`cobase.models.ObservationBase` (or to the citation's :class:`cobase.models.CitationBase`) and
forgotten in one of them.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from cobase.db import open_store, session_scope
from cobase.evidence.model import Evidence
from cobase.findings import Finding
from cobase.harmonize.records import ObservationIn
from cobase.ingest import CITATION_COLUMNS, CITATION_FIELDS, INSERT_COLUMNS, NOT_INSERTED, ingest_observations
from cobase.ingest_pg import CITED, STAGED_COLUMNS
from cobase.models import CitationBase, Observation, ObservationBase, ObservationCitation, Snapshot
from cobase.models import Source as SourceRow
from cobase.parse import ParsedRecord
from cobase.queries import ObservationRow, ObservationVersion
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.snapshots import store_snapshot
from crawlers.items import RawResponse

OWN = set(ObservationBase.model_fields)
CITATION = set(CitationBase.model_fields)
BASE = OWN | CITATION
"""An observation's fields: its own (the observation table's) and its citation's (observation_citation's)."""
SET_BY_INGESTION = {"retrieved_at", "first_seen_at", "last_seen_at", "withdrawn_at"}
"""Fields of a stored version that ingestion sets from the snapshot and the refresh, not the record."""


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_table_and_read_models_derive_from_the_base() -> None:
    columns = {column.name for column in Observation.__table__.columns}  # type: ignore[attr-defined]
    assert columns >= OWN
    assert set(ObservationVersion.model_fields) == BASE | {
        "id",
        "series_key",
        "source",
        "snapshot_sha256",
        "url",
    }
    assert set(ObservationRow.model_fields) == BASE | {"source", "snapshot_sha256", "url", "is_current"}


def test_citation_fields_live_in_their_own_table_not_on_every_observation() -> None:
    observation = {column.name for column in Observation.__table__.columns}  # type: ignore[attr-defined]
    citation = {column.name for column in ObservationCitation.__table__.columns}  # type: ignore[attr-defined]
    assert {"quote", "page", "review_status", "contributed_by"} == CITATION
    assert not observation & CITATION
    assert citation == CITATION | {"observation_id", "snapshot_id"}
    table = ObservationCitation.__table__  # type: ignore[attr-defined]
    assert [c.name for c in table.primary_key.columns] == ["observation_id"]
    assert {fk.target_fullname for fk in table.foreign_keys} == {"observation.id", "snapshot.id"}
    assert table.c.snapshot_id.index


def test_citation_insert_columns_are_the_citation_table_columns() -> None:
    """The citation tuples of ingest_observations are positional: (quote, page, review_status, by)."""
    table = ObservationCitation.__table__  # type: ignore[attr-defined]
    assert set(CITATION_COLUMNS) == {column.name for column in table.columns}
    assert CITATION_FIELDS == ("quote", "page", "review_status", "contributed_by")
    assert set(CITED) == CITATION


def test_insert_columns_are_the_table_columns_but_those_set_later() -> None:
    table = [column.name for column in Observation.__table__.columns]  # type: ignore[attr-defined]
    assert list(INSERT_COLUMNS) == [name for name in table if name not in NOT_INSERTED]
    assert {"id", "superseded_at", "withdrawn_at"} == NOT_INSERTED


def test_postgresql_stages_every_field_a_record_carries() -> None:
    """The COPY staging of :mod:`cobase.ingest_pg` lists its columns by hand (its row tuples are built on
    the hot path): a field added to ObservationIn must be staged too, or PostgreSQL would drop it."""
    assert STAGED_COLUMNS[0] == "series_key"
    assert set(STAGED_COLUMNS[1:]) == _fields(ObservationIn), (
        "add the field to STAGED_COLUMNS and _staged_rows"
    )
    assert len(STAGED_COLUMNS) == len(set(STAGED_COLUMNS))


def test_observation_in_has_exactly_the_base_fields_a_record_carries() -> None:
    assert _fields(ObservationIn) == BASE - SET_BY_INGESTION, (
        "ObservationIn and ObservationBase differ: add the field to both (and to ingest_observations)"
    )


def test_parsed_record_has_the_observation_fields_before_harmonization() -> None:
    # A parser states the country as the producer does; harmonization resolves it (country_iso3), and only
    # a person contributes a finding (contributed_by).
    parse_only = {"country", "country_is_code", "set_aside"}
    assert _fields(ParsedRecord) == (_fields(ObservationIn) - {"country_iso3", "contributed_by"}) | parse_only


def test_evidence_shows_every_observation_field_under_its_reader_name() -> None:
    # An assessment is about one country (country_iso3 is its own); the value is shown as ``value``.
    renamed = {"value_text": "value"}
    expected = {renamed.get(name, name) for name in BASE - {"country_iso3"}}
    missing = expected - set(Evidence.model_fields)
    assert not missing, f"Evidence lacks observation fields {sorted(missing)}"


def test_finding_shows_every_observation_field_under_its_reader_name() -> None:
    # A finding is a statement a person recorded: its value is the statement, its retrieval when it was
    # recorded, its review status its status; it has no unit, number or breakdown of its own.
    renamed = {"value_text": "statement", "retrieved_at": "recorded_at", "review_status": "status"}
    not_shown = {"value_num", "unit", "breakdown", "published_basis", "first_seen_at", "last_seen_at"}
    not_shown |= {"withdrawn_at", "indicator"}
    expected = {renamed.get(name, name) for name in BASE - not_shown}
    assert not expected - _fields(Finding), f"Finding lacks {sorted(expected - _fields(Finding))}"


def _ingest_one(session: Session, row: ObservationIn, retrieved: datetime) -> tuple[SourceRow, Snapshot]:
    """``row`` ingested by the ingestion path, on a snapshot of who_gho; (source, snapshot) returned."""
    source = sync_sources(session, load_registry())["who_gho"]
    raw = RawResponse(source="who_gho", url="https://example.org/x", status=200, body=b"{}",
                      content_type="application/json", retrieved_at=retrieved.isoformat())  # fmt: skip
    snapshot = store_snapshot(session, source, raw).snapshot
    assert source.id is not None and snapshot.id is not None
    ingest_observations(
        session, source_id=source.id, snapshot_id=snapshot.id, retrieved_at=retrieved, rows=[row]
    )
    return source, snapshot


def test_each_record_field_lands_in_its_own_column(tmp_path: Path) -> None:
    """Every ObservationIn field reaches the column of the same name (the insert tuple is positional)."""
    engine = open_store(f"sqlite:///{tmp_path / 'cobase.db'}")
    row = ObservationIn(
        country_iso3="GIN",
        indicator="IND",
        period_start=date(2020, 1, 1),
        period_end=date(2020, 12, 31),
        value_text="12.5",
        value_num=12.5,
        unit="%",
        breakdown="SEX=FMLE",
        published_at=datetime(2021, 2, 3, tzinfo=UTC),
        item="tdf_3tc_dtg",
        quote="a quote",
        page=7,
        review_status="contributed",
        contributed_by="Dr A",
        published_basis="document_date",
    )
    retrieved = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    with session_scope(engine) as session:
        source, snapshot = _ingest_one(session, row, retrieved)
        stored = session.get(Observation, 1)
        citation = session.get(ObservationCitation, 1)
        assert stored is not None and citation is not None
        for name in _fields(ObservationIn):
            assert getattr(citation if name in CITATION else stored, name) == getattr(row, name), name
        assert citation.snapshot_id == snapshot.id
        assert (stored.source_id, stored.snapshot_id, stored.is_current) == (source.id, snapshot.id, True)
        assert stored.retrieved_at == stored.first_seen_at == stored.last_seen_at == retrieved
        assert stored.supersedes_id is None and stored.withdrawn_at is None and stored.superseded_at is None
        assert stored.processing_version >= 1 and len(stored.series_key) == 32
        assert session.execute(sa.text("SELECT count(*) FROM observation")).scalar() == 1
        assert session.execute(sa.text("SELECT count(*) FROM observation_citation")).scalar() == 1


def test_a_value_without_citation_fields_has_no_citation_row(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'cobase.db'}")
    row = ObservationIn("GIN", "IND", date(2020, 1, 1), date(2020, 12, 31), "12.5", value_num=12.5)
    retrieved = datetime(2021, 3, 4, tzinfo=UTC)
    with session_scope(engine) as session:
        _ingest_one(session, row, retrieved)
        assert session.execute(sa.text("SELECT count(*) FROM observation")).scalar() == 1
        assert session.execute(sa.text("SELECT count(*) FROM observation_citation")).scalar() == 0
