"""Snapshots and ingestion: idempotent, revisions kept, one transaction per snapshot."""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from cobase.db import open_store, session_scope
from cobase.harmonize.records import ObservationIn
from cobase.ingest import collector_paused, ingest_observations, series_group_prefix, series_key
from cobase.models import Observation, Snapshot, SnapshotBlob
from cobase.queries import list_observations, observation_count
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.snapshots import load_body, store_snapshot
from crawlers.items import RawResponse
from tests.seed import PUBLISHED_V1, PUBLISHED_V2, art_coverage, ingest_rows

RETRIEVED = datetime(2024, 1, 1, tzinfo=UTC)
URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return open_store(f"sqlite:///{tmp_path / 'cobase.db'}")


def _raw(body: bytes, url: str = URL) -> RawResponse:
    return RawResponse(
        source="who_gho",
        url=url,
        status=200,
        body=body,
        content_type="application/json",
        retrieved_at="2024-01-01T10:00:00+00:00",
    )


def test_snapshot_body_roundtrips_exactly(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        snapshot = store_snapshot(session, source, _raw(b'{"value": []}')).snapshot
        assert load_body(session, snapshot) == b'{"value": []}'


def test_identical_content_is_recognised_by_hash(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        first = store_snapshot(session, source, _raw(b"same"))
        second = store_snapshot(session, source, _raw(b"same"))
        assert (first.is_new, second.is_new, second.snapshot.id) == (True, False, first.snapshot.id)


def test_changed_content_is_a_new_snapshot_and_the_old_is_kept(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        store_snapshot(session, source, _raw(b"v1"))
        store_snapshot(session, source, _raw(b"v2"))
    with session_scope(engine) as session:
        assert len(session.exec(select(Snapshot)).all()) == 2


def test_same_body_at_two_urls_is_stored_once(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        store_snapshot(session, source, _raw(b"shared", url=URL + "?a"))
        store_snapshot(session, source, _raw(b"shared", url=URL + "?b"))
    with session_scope(engine) as session:
        assert len(session.exec(select(SnapshotBlob)).all()) == 1


def test_snapshot_records_hash_size_and_retrieval_time(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        snapshot = store_snapshot(session, source, _raw(b"abc")).snapshot
    assert (snapshot.sha256[:8], snapshot.size, snapshot.retrieved_at) == (
        "ba7816bf",
        3,
        datetime(2024, 1, 1, 10, tzinfo=UTC),
    )


def test_new_values_are_counted_new(engine: sa.Engine) -> None:
    rows = [art_coverage(50.0 + year - 2019, year, PUBLISHED_V1) for year in range(2019, 2022)]
    counts = ingest_rows(engine, "who_gho", URL, rows, RETRIEVED)
    assert (counts.new, counts.unchanged, counts.revised) == (3, 0, 0)


def test_unchanged_values_add_nothing(engine: sa.Engine) -> None:
    rows = [art_coverage(50.0 + year - 2019, year, PUBLISHED_V1) for year in range(2019, 2022)]
    ingest_rows(engine, "who_gho", URL, rows, RETRIEVED)
    counts = ingest_rows(engine, "who_gho", URL, rows, RETRIEVED, body=b"other bytes")
    with session_scope(engine) as session:
        assert (counts.unchanged, observation_count(session)) == (3, 3)


def test_unchanged_value_with_a_newer_publication_date_is_unchanged(engine: sa.Engine) -> None:
    ingest_rows(engine, "who_gho", URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], RETRIEVED)
    counts = ingest_rows(
        engine, "who_gho", URL, [art_coverage(60.0, 2022, PUBLISHED_V2)], RETRIEVED, body=b"2"
    )
    assert counts.unchanged == 1


def test_revision_supersedes_and_keeps_the_old_value(engine: sa.Engine) -> None:
    ingest_rows(engine, "who_gho", URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], RETRIEVED)
    later = datetime(2024, 10, 1, tzinfo=UTC)
    counts = ingest_rows(engine, "who_gho", URL, [art_coverage(64.0, 2022, PUBLISHED_V2)], later, body=b"2")
    with session_scope(engine) as session:
        versions = session.exec(select(Observation).order_by(Observation.id)).all()
    assert counts.revised == 1
    assert [(v.value_text, v.is_current, v.superseded_at) for v in versions] == [
        ("60.0", False, later),
        ("64.0", True, None),
    ]


def test_revision_points_to_what_it_supersedes(engine: sa.Engine) -> None:
    ingest_rows(engine, "who_gho", URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], RETRIEVED)
    ingest_rows(engine, "who_gho", URL, [art_coverage(64.0, 2022, PUBLISHED_V2)], RETRIEVED, body=b"2")
    with session_scope(engine) as session:
        old, new = session.exec(select(Observation).order_by(Observation.id)).all()
    assert new.supersedes_id == old.id


def test_value_reverting_to_an_earlier_one_is_a_revision(engine: sa.Engine) -> None:
    for body, value in ((b"1", 60.0), (b"2", 64.0), (b"3", 60.0)):
        ingest_rows(engine, "who_gho", URL, [art_coverage(value, 2022, PUBLISHED_V1)], RETRIEVED, body=body)
    with session_scope(engine) as session:
        current = list(list_observations(session, country_iso3="GIN"))
        assert [row.value for row in current] == ["60.0"] and observation_count(session) == 3


def test_duplicate_rows_in_one_snapshot_keep_the_first(engine: sa.Engine) -> None:
    rows = [art_coverage(60.0, 2022, PUBLISHED_V1), art_coverage(61.0, 2022, PUBLISHED_V1)]
    counts = ingest_rows(engine, "who_gho", URL, rows, RETRIEVED)
    assert (counts.new, counts.duplicates, counts.revised) == (1, 1, 0)


def test_breakdowns_are_distinct_series(engine: sa.Engine) -> None:
    rows = [
        ObservationIn(
            country_iso3="GIN",
            indicator="NCD_HYP_TREATMENT_A",
            period_start=date(2019, 1, 1),
            period_end=date(2019, 12, 31),
            value_text=str(v),
            value_num=v,
            breakdown=f"SEX={sex}",
        )
        for sex, v in (("SEX_MLE", 10.0), ("SEX_FMLE", 15.0), ("SEX_BTSX", 12.5))
    ]
    assert ingest_rows(engine, "who_gho", URL, rows, RETRIEVED).new == 3


def test_failed_ingestion_rolls_back_the_whole_snapshot(engine: sa.Engine) -> None:
    ingest_rows(engine, "who_gho", URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], RETRIEVED)

    def broken_rows():
        yield art_coverage(99.0, 2022, PUBLISHED_V2)
        yield art_coverage(50.0, 2019, PUBLISHED_V2)
        raise ValueError("malformed record")

    with pytest.raises(ValueError), session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        ingest_observations(
            session, source_id=source.id, snapshot_id=1, retrieved_at=RETRIEVED, rows=broken_rows()
        )
    with session_scope(engine) as session:
        assert [(r.value, r.period_start.year) for r in list_observations(session, all_versions=True)] == [
            ("60.0", 2022)
        ]


def test_series_key_differs_by_every_component() -> None:
    base = (1, "HIV_ARTCOVERAGE", "GIN", "", date(2022, 1, 1), date(2022, 12, 31))
    variants = [
        (2, *base[1:]),
        (1, "X", *base[2:]),
        (*base[:2], "CIV", *base[3:]),
        (*base[:3], "SEX=SEX_MLE", *base[4:]),
        (*base[:4], date(2021, 1, 1), base[5]),
        (*base[:5], date(2022, 6, 30)),
    ]
    assert len({series_key(*base), *(series_key(*v) for v in variants)}) == 7


def test_series_keys_of_one_source_and_indicator_begin_alike() -> None:
    """The first 8 digits name the source and indicator, so one indicator's keys sort together (the
    unique index is written in order during ingestion); the rest is the point's own hash."""
    gin = series_key(1, "HIV_ARTCOVERAGE", "GIN", "", date(2022, 1, 1), date(2022, 12, 31))
    civ = series_key(1, "HIV_ARTCOVERAGE", "CIV", "SEX=FMLE", date(2010, 1, 1), date(2010, 12, 31), "tld")
    assert len(gin) == len(civ) == 32 and int(gin, 16) >= 0
    assert gin[:8] == civ[:8] == series_group_prefix(1, "HIV_ARTCOVERAGE")
    assert gin[8:] != civ[8:]
    assert series_group_prefix(2, "HIV_ARTCOVERAGE") != gin[:8] != series_group_prefix(1, "HIV_TESTING")


def test_migration_0023_gives_stored_keys_the_prefix_the_code_gives() -> None:
    """The migration keeps its own copy of the rule (a migration must not change with the code); today
    both give the same digits, or an upgraded store would not recognise its series."""
    migration = importlib.import_module("cobase.migrations.versions.0023_series_key_grouped")
    for source_id, indicator in ((1, "HIV_ARTCOVERAGE"), (7, "FINDING_CONTINUITY"), (12, "é ù/ x")):
        assert migration.group_prefix(source_id, indicator) == series_group_prefix(source_id, indicator)
    assert migration.PREFIX_DIGITS == 8


def test_ingestion_pauses_the_garbage_collector_and_restores_it(engine: sa.Engine) -> None:
    """A full collection walks every live container, the snapshot's set of seen keys included: paused
    while rows are ingested, back on afterwards, even when ingestion fails."""
    seen: list[bool] = []

    def rows() -> Iterator[ObservationIn]:
        seen.append(gc.isenabled())
        yield art_coverage(60.0, 2022, PUBLISHED_V1)
        seen.append(gc.isenabled())
        raise RuntimeError("a parser failed half-way")

    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="half-way"):
        ingest_rows(engine, "who_gho", URL, rows(), RETRIEVED, body=b"a failing parse")
    assert seen == [False, False]
    assert gc.isenabled()


def test_collector_pauses_nest_and_overlap_across_threads() -> None:
    """The collector comes back when the last pause ends, and stays off if it was off before."""
    started, release = threading.Event(), threading.Event()

    def other_ingestion() -> None:
        with collector_paused():
            started.set()
            release.wait(5)

    assert gc.isenabled()
    with collector_paused():
        thread = threading.Thread(target=other_ingestion)
        thread.start()
        assert started.wait(5)
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause is still running
    release.set()
    thread.join(5)
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_datetimes_come_back_aware_utc(engine: sa.Engine) -> None:
    ingest_rows(engine, "who_gho", URL, [art_coverage(60.0, 2022, PUBLISHED_V1)], RETRIEVED)
    with session_scope(engine) as session:
        row = next(list_observations(session))
    assert row.published_at == PUBLISHED_V1 and row.published_at.tzinfo is not None
