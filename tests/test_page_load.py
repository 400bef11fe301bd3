"""Page loads do not scan the store: what the first page reads, and how an expired read is served.

The store-wide reads (countries with data, whether there is data) are answered by index seeks, and once
their cache expires the last value is served at once while ONE background thread computes the next.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st

from cobase.db import open_store, session_scope
from cobase.harmonize.records import ObservationIn
from cobase.ingest import ingest_observations
from cobase.queries import COUNTRY_CODES_WITH_CURRENT_DATA, countries_with_data, has_observations
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.snapshots import store_snapshot
from crawlers.items import RawResponse
from streamlit_app import data

RETRIEVED = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _row(country: str, year: int, value: float) -> ObservationIn:
    return ObservationIn(
        country_iso3=country,
        indicator="HIV_ARTCOVERAGE",
        breakdown="",
        value_num=value,
        value_text=str(value),
        unit="%",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        published_at=RETRIEVED,
    )


def _ingest(engine: sa.Engine, rows: list[ObservationIn], tag: str) -> None:
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        raw = RawResponse(
            source="who_gho",
            url=f"https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE?page={tag}",
            status=200,
            body=tag.encode(),
            content_type="application/json",
            retrieved_at=RETRIEVED.isoformat(),
        )
        snapshot = store_snapshot(session, source, raw).snapshot
        ingest_observations(
            session,
            source_id=source.id,
            snapshot_id=snapshot.id,  # type: ignore[arg-type]
            retrieved_at=RETRIEVED,
            rows=iter(rows),
        )


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    """Three countries with values; Mali's only value is later withdrawn (no longer current)."""
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    _ingest(engine, [_row("GIN", 2020, 50.0), _row("CIV", 2020, 60.0), _row("MLI", 2020, 70.0)], "a")
    _ingest(engine, [_row("GIN", 2021, 55.0)], "b")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE observation SET is_current = 0 WHERE country_iso3 = 'MLI'"))
    return engine


def test_countries_with_data_lists_countries_with_a_current_value_only(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        assert countries_with_data(session) == ["CIV", "GIN"]


def test_countries_with_data_seeks_the_country_index_instead_of_scanning(engine: sa.Engine) -> None:
    sql = str(COUNTRY_CODES_WITH_CURRENT_DATA.compile(engine))
    with engine.connect() as connection:
        plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (1,))]
    assert not [step for step in plan if step.startswith("SCAN observation")], plan
    assert any("ix_observation_country_indicator (country_iso3>?)" in step for step in plan), plan


def test_an_empty_store_has_no_current_observations(tmp_path: Path) -> None:
    with session_scope(open_store(f"sqlite:///{tmp_path / 'empty.db'}")) as session:
        assert (has_observations(session), countries_with_data(session)) == (False, [])


def test_a_store_of_withdrawn_values_only_has_observations_but_none_current(engine: sa.Engine) -> None:
    """What ``cobase demo`` checks before writing (any value, all versions) is not what a page checks."""
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE observation SET is_current = 0"))
    with session_scope(engine) as session:
        assert (has_observations(session), has_observations(session, current_only=False)) == (False, True)


def test_has_current_data_reads_the_store_once_within_its_lifetime(engine: sa.Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert data.has_current_data(url) is True
    assert list(data.country_choices(url).query("has_data")["iso3"]) == ["CIV", "GIN"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _wait_for(condition, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the background refresh never finished"
        time.sleep(0.01)


def test_an_expired_read_serves_the_last_value_while_one_thread_refreshes() -> None:
    clock = _Clock()
    calls: list[str] = []
    release = threading.Event()

    def read(url: str) -> int:
        calls.append(threading.current_thread().name)
        if len(calls) > 1:
            assert release.wait(10)
        return len(calls)

    cached = data.served_while_refreshing(60, clock=clock)(read)
    assert (cached("db"), cached("db"), len(calls)) == (1, 1, 1)  # first call computes, then hits
    clock.now = 59.0
    assert (cached("db"), len(calls)) == (1, 1)  # still fresh
    clock.now = 61.0
    assert cached("db") == 1  # expired: the last value at once...
    _wait_for(lambda: len(calls) == 2)
    assert calls[1] != threading.current_thread().name  # ...computed by another thread
    assert (cached("db"), cached("db"), len(calls)) == (1, 1, 2)  # one refresh at a time
    release.set()
    _wait_for(lambda: cached("db") == 2)
    assert len(calls) == 2
    clock.now = 100.0
    assert (cached("db"), len(calls)) == (2, 2)  # the new value is fresh for another 60 s


def test_a_failed_refresh_keeps_serving_the_last_value() -> None:
    clock = _Clock()
    outcomes: list[int | Exception] = [1, RuntimeError("store locked"), 3]
    attempts: list[int] = []

    def read(url: str) -> int:
        attempts.append(1)
        outcome = outcomes[len(attempts) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    cached = data.served_while_refreshing(60, clock=clock)(read)
    assert cached("db") == 1
    clock.now = 61.0
    assert cached("db") == 1
    _wait_for(lambda: len(attempts) == 2)
    time.sleep(0.05)
    assert (cached("db"), len(attempts)) == (1, 2)  # failure logged, last value kept, no retry storm
    clock.now = 122.0
    cached("db")
    _wait_for(lambda: cached("db") == 3)


def test_clearing_streamlit_caches_makes_the_next_read_fresh() -> None:
    """Writes in the app (a saved finding) and tests call ``st.cache_data.clear()``: it must reach here."""
    counter = iter(range(1, 100))
    cached = data.served_while_refreshing(60, clock=_Clock())(lambda url: next(counter))
    assert (cached("db"), cached("db")) == (1, 1)
    st.cache_data.clear()
    assert cached("db") == 2


def test_two_reads_never_share_values() -> None:
    first = data.served_while_refreshing(60)(lambda url: "first")
    second = data.served_while_refreshing(60)(lambda url: "second")
    assert (first("db"), second("db")) == ("first", "second")


@pytest.mark.parametrize(
    "read",
    [
        "has_current_data",
        "country_choices",
        "source_table",
        "_assessment_json",
        "dimension_chart",
        "monthly_costs",
    ],
)
def test_the_reads_of_a_page_load_are_served_while_they_refresh(read: str) -> None:
    """After an expiry, neither the store-wide reads nor a case page's assessment, charts and monthly
    costs are recomputed inside the page that noticed (``bench/app.py``'s ``expired_page_s``)."""
    assert getattr(getattr(data, read), "served_while_refreshing", None) == data.CACHE_TTL_SECONDS
