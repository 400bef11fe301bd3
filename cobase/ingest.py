"""Idempotent, bulk ingestion of observations, with revisions kept.

For each incoming value, the *series* it belongs to (source, indicator, country, breakdown, period) is
looked up among current observations:

* no current value: the value is **new**;
* the same value and unit: **unchanged**, nothing is written (so a refresh of unchanged data adds nothing);
* a different value: the producer **revised** it. The new value is inserted as a new current observation
  pointing to the one it supersedes, and the old one is kept, marked superseded, so an *as-of* query can
  still say what had been published by any date.

Every version records what its ``published_at`` means (``published_basis``), when we first saw it
(``first_seen_at``: the retrieval that made it current, which orders versions) and last saw it
(``last_seen_at``, moved forward each time a response still holds it), and the processing version that
produced it. A revision that keeps the producer's date of the version it supersedes cannot have been
published on that date: its basis becomes ``first_seen`` (the producer's date is kept). A value without
a producer's date is ``first_seen``; its ``published_at`` stays empty (the producer stated none) and our
retrieval (``first_seen_at``, the snapshot's ``retrieved_at``) is what proves it public.

A value's citation (quote, page, review status, contributor: a curated finding's, a document or register
mention's) is stored beside its version in ``observation_citation``, written only for the rows that have
one; a change of quote or review status is a new version, like a change of value.

Statements are bulk ``executemany`` over chunks, never one ORM object per row: ingestion of a million
values must stay within a small factor of a raw ``sqlite3.executemany`` (see ``bench/ingest.py``). On
PostgreSQL the same rule runs on the server: the rows are streamed with ``COPY`` into a staging table and
merged by a few set-based statements (:mod:`cobase.ingest_pg`), within a small factor of a raw ``COPY``.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from cobase.clock import as_utc
from cobase.harmonize.records import ObservationIn
from cobase.models import CitationBase, Observation
from cobase.processing import PROCESSING_VERSION, PRODUCER_DATED_BASES

if TYPE_CHECKING:
    from cobase.ingest_pg import StagedRow

CHUNK_ROWS = 20_000
_KEY_SEPARATOR = "\x1f"


@dataclass
class IngestCounts:
    """What one ingestion did."""

    new: int = 0
    unchanged: int = 0
    revised: int = 0
    duplicates: int = 0
    withdrawn: int = 0
    revised_series: list[str] = field(default_factory=list)

    def add(self, other: IngestCounts) -> None:
        """Accumulate another ingestion's counts (several snapshots make one refresh)."""
        self.new += other.new
        self.unchanged += other.unchanged
        self.revised += other.revised
        self.duplicates += other.duplicates
        self.withdrawn += other.withdrawn


def series_key(
    source_id: int,
    indicator: str,
    country_iso3: str,
    breakdown: str,
    period_start: date,
    period_end: date,
    item: str | None = None,
) -> str:
    """A compact identifier of what a value is about; equal keys mean the same series point.

    32 hexadecimal digits: the first 8 name the source and indicator (:func:`series_group_prefix`), the
    other 24 are the point's own hash. Keys of one indicator thus sort together, and ingestion, which
    meets a snapshot's rows indicator by indicator, writes the current-series unique index where it wrote
    the previous row. A key hashed whole sent every insert to a random page of an index that outgrows
    the page cache: 4 million rows took 5.2 times the CPU of 1 million (4.4 times with grouped keys;
    ``bench/ingest.py``, collector paused). Two points of one indicator still differ in 96 bits.
    """
    text = (
        f"{source_id}{_KEY_SEPARATOR}{indicator}{_KEY_SEPARATOR}{country_iso3}{_KEY_SEPARATOR}{breakdown}"
        f"{_KEY_SEPARATOR}{period_start.toordinal()}{_KEY_SEPARATOR}{period_end.toordinal()}"
        f"{_KEY_SEPARATOR}{item or ''}"
    )
    point = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
    return series_group_prefix(source_id, indicator) + point[SERIES_PREFIX_DIGITS:]


SERIES_PREFIX_DIGITS = 8
"""How many leading hexadecimal digits of a series key name its source and indicator."""


@functools.lru_cache(maxsize=4096)
def series_group_prefix(source_id: int, indicator: str) -> str:
    """The leading digits of every series key of one source and indicator (see :func:`series_key`).

    Migration 0023 gave stored keys this prefix and kept their other digits, so a stored series and the
    same series ingested today have the same key.
    """
    text = f"{source_id}{_KEY_SEPARATOR}{indicator}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=SERIES_PREFIX_DIGITS // 2).hexdigest()


_TABLE = Observation.__table__  # type: ignore[attr-defined]
_COLUMNS = _TABLE.c


NOT_INSERTED = frozenset({"id", "superseded_at", "withdrawn_at"})
"""Columns a new version never sets: its id is the database's; it is superseded or withdrawn later."""

INSERT_COLUMNS: tuple[str, ...] = tuple(
    column.name for column in _TABLE.columns if column.name not in NOT_INSERTED
)
"""The observation table's columns, in the table's order, as every insert (and ``bench/ingest.py``) writes
them: a column added to the model is in this list; the row tuples of :func:`ingest_observations` follow
it (a test pins each value to its column)."""

CITATION_FIELDS: tuple[str, ...] = tuple(CitationBase.model_fields)
"""A record's fields stored in ``observation_citation`` (quote, page, review status, contributor), in the
table's order: written only for the few rows that have one of them (findings, document mentions)."""

_cited = attrgetter(*CITATION_FIELDS)
"""A record's citation fields as one tuple, in :data:`CITATION_FIELDS`' order (one C call per row)."""

_NOT_CITED = (None,) * len(CITATION_FIELDS)

CITATION_COLUMNS = ("observation_id", "snapshot_id", *CITATION_FIELDS)
"""The citation table's columns as :func:`ingest_observations` writes them (a test pins them to the
table's)."""


def _marker(dialect: sa.Dialect) -> str:
    """The driver's placeholder for a bound value (SQLite's ``?``, psycopg's ``%s``)."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def _true(dialect: sa.Dialect) -> str:
    """``is_current``'s true as the partial unique index writes it, so a lookup can use that index."""
    return "1" if dialect.name == "sqlite" else "true"


def _insert_sql(dialect: sa.Dialect) -> str:
    """A plain driver-level INSERT: SQLAlchemy's per-row parameter processing would triple the cost."""
    marker = _marker(dialect)
    return (
        f"INSERT INTO observation ({', '.join(INSERT_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(INSERT_COLUMNS))})"
    )


def _citation_sql(dialect: sa.Dialect) -> str:
    """The citation of a version just inserted, found by its series (the current-series unique index).

    Keyed by series rather than by id: a driver-level ``executemany`` returns no ids, and the new version
    is the one current row of its series.
    """
    marker, current = _marker(dialect), _true(dialect)
    return (
        f"INSERT INTO observation_citation ({', '.join(CITATION_COLUMNS)}) "
        f"SELECT id, snapshot_id, {', '.join([marker] * len(CITATION_FIELDS))} FROM observation "
        f"WHERE is_current = {current} AND series_key = {marker}"
    )


def _driver_values(dialect: sa.Dialect) -> Callable[[date | datetime | None], object]:
    """Convert dates as the column types would: SQLite stores naive-UTC text, PostgreSQL takes objects."""
    if dialect.name != "sqlite":
        return lambda value: as_utc(value) if isinstance(value, datetime) else value

    cache: dict[object, object] = {}

    def to_sqlite(value: date | datetime | None) -> object:
        if value is None:
            return None
        try:
            return cache[value]
        except KeyError:
            pass
        if isinstance(value, datetime):
            text: str = as_utc(value).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            text = value.isoformat()
        if len(cache) < 100_000:
            cache[value] = text
        return text

    return to_sqlite


def initial_basis(row: ObservationIn) -> str:
    """What a value's ``published_at`` means, before its predecessor (if any) is looked at.

    A value without a producer's date is ``first_seen``: our first retrieval (``first_seen_at``) is all we
    can prove. A revision may still downgrade a producer's basis (see :func:`ingest_observations`).
    """
    if row.published_at is None:
        return "first_seen"
    return row.published_basis or "last_modified"


_Current = tuple[int, tuple[str, str | None, str | None, str | None], object]


def _current_values(connection: sa.Connection, keys: list[str]) -> dict[str, _Current]:
    """Current (id, (value_text, unit, quote, review_status), published_at) per series key.

    ``published_at`` is as the driver returns it (naive-UTC text on SQLite), to be compared with
    :func:`_driver_values`' form of a new date: reading it through the column type, and the IN list
    through SQLAlchemy's per-value parameter naming, cost more than the lookup itself.

    Served by the partial unique index (its ``is_current`` term written as the index writes it), with the
    citation's primary key for the outer join. A change of quote or review status (a finding confirmed or
    retracted) is a new version like a producer's revision.
    """
    found: dict[str, _Current] = {}
    marker, current = _marker(connection.dialect), _true(connection.dialect)
    # Stay well under SQLite's bound-parameter limit.
    for start in range(0, len(keys), 10_000):
        part = keys[start : start + 10_000]
        result = connection.exec_driver_sql(
            "SELECT o.series_key, o.id, o.value_text, o.unit, c.quote, c.review_status, o.published_at "
            "FROM observation o LEFT JOIN observation_citation c ON c.observation_id = o.id "
            f"WHERE o.is_current = {current} AND o.series_key IN ({', '.join([marker] * len(part))})",
            tuple(part),
        )
        for key, obs_id, value_text, unit, quote, review_status, published_at in result:
            found[key] = (obs_id, (value_text, unit, quote, review_status), published_at)
    return found


def touch_last_seen(connection: sa.Connection, ids: list[int], seen_at: datetime) -> None:
    """Record that a response retrieved at ``seen_at`` still held these versions (never moves backwards)."""
    if not ids:
        return
    # A driver-level executemany, like the inserts: SQLAlchemy's per-row parameter processing made an
    # all-unchanged ingest slower than the first one.
    seen = _driver_values(connection.dialect)(as_utc(seen_at))
    marker = _marker(connection.dialect)
    connection.exec_driver_sql(
        f"UPDATE observation SET last_seen_at = {marker} "
        f"WHERE id = {marker} AND (last_seen_at IS NULL OR last_seen_at < {marker})",
        [(seen, obs_id, seen) for obs_id in ids],
    )


def _first_of_each_series(
    rows: Iterable[ObservationIn], source_id: int, counts: IngestCounts
) -> Iterator[tuple[str, ObservationIn]]:
    """(series key, row) for the first row of each series, in order; later ones counted as duplicates.

    Within one snapshot a series seen twice keeps its first value, so that a producer's repeated row
    cannot make a value supersede itself (both ingestion paths).
    """
    seen: set[str] = set()
    for row in rows:
        key = series_key(
            source_id,
            row.indicator,
            row.country_iso3,
            row.breakdown,
            row.period_start,
            row.period_end,
            row.item,
        )
        if key in seen:
            counts.duplicates += 1
            continue
        seen.add(key)
        yield key, row


def _staged_rows(rows: Iterable[ObservationIn], source_id: int, counts: IngestCounts) -> Iterator[StagedRow]:
    """The first row of each series, in order, as :mod:`cobase.ingest_pg` stages them; counts duplicates."""
    for order, (key, row) in enumerate(_first_of_each_series(rows, source_id, counts)):
        yield (
            order,
            key,
            row.country_iso3,
            row.indicator,
            row.breakdown,
            row.value_num,
            row.value_text,
            row.unit,
            row.period_start,
            row.period_end,
            None if row.published_at is None else as_utc(row.published_at),
            row.item,
            row.quote,
            row.page,
            row.review_status,
            row.contributed_by,
            initial_basis(row),
        )


class _CollectorPause:
    """Pauses of Python's cyclic garbage collector, nested or from several threads (see
    :func:`collector_paused`): the collector is restored when the last one ends, and only if it was on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


collector_paused = _CollectorPause()
"""Pause the cyclic garbage collector during a bulk ingestion.

A full collection walks every live container, and the set of the series keys a snapshot has already given
holds one entry per row: collections every 70,000 or so allocations over a set of millions of keys made
Python code run 1.1 to 2 times slower per call at 4 million rows than at 1 million, and paused, a
4-million-row ingestion takes 29 % less CPU. Ingestion makes few reference cycles, and they are collected
as soon as the pause ends.
"""


@collector_paused()
def ingest_observations(
    session: Session,
    *,
    source_id: int,
    snapshot_id: int,
    retrieved_at: datetime,
    rows: Iterable[ObservationIn],
    seen_at: datetime | None = None,
) -> IngestCounts:
    """Store ``rows`` from one snapshot; runs inside the caller's transaction (one snapshot, one commit).

    ``retrieved_at`` is the snapshot's first retrieval; ``seen_at`` (default: the same) is the retrieval
    now being ingested, later when a response identical to an older snapshot comes back (a producer's
    revert: its values become current again as new versions first seen at ``seen_at``).

    Within one snapshot, a series seen twice keeps its first value (the second is counted as a duplicate)
    so a producer's repeated row cannot make a value supersede itself.
    """
    counts = IngestCounts()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from cobase.ingest_pg import copy_and_merge

        counts.new, counts.unchanged, counts.revised = copy_and_merge(
            connection,
            source_id=source_id,
            snapshot_id=snapshot_id,
            retrieved_at=retrieved_at,
            seen_at=seen_at or retrieved_at,
            rows=_staged_rows(rows, source_id, counts),
        )
        return counts
    to_db = _driver_values(connection.dialect)
    retrieved_db = to_db(retrieved_at)
    seen_now = seen_at or retrieved_at
    seen_db = to_db(seen_now)
    insert_sql = _insert_sql(connection.dialect)
    citation_sql = _citation_sql(connection.dialect)
    series = _first_of_each_series(rows, source_id, counts)
    while keyed := list(islice(series, CHUNK_ROWS)):
        current = _current_values(connection, [key for key, _ in keyed])
        inserts: list[tuple[object, ...]] = []
        citations: list[tuple[object, ...]] = []
        superseded: list[dict[str, object]] = []
        still_held: list[int] = []
        for key, row in keyed:
            previous = current.get(key)
            supersedes_id = None
            published_at = row.published_at
            basis = initial_basis(row)
            if previous is not None:
                if previous[1] == (row.value_text, row.unit, row.quote, row.review_status):
                    counts.unchanged += 1
                    still_held.append(previous[0])
                    continue
                supersedes_id = previous[0]
                superseded.append({"old_id": previous[0], "at": seen_now})
                counts.revised += 1
                if (
                    row.review_status is None
                    and basis in PRODUCER_DATED_BASES
                    and previous[2] is not None
                    and published_at is not None
                    and previous[2] == to_db(published_at)
                ):
                    basis = "first_seen"  # the same date cannot be true of two different values
            else:
                counts.new += 1
            inserts.append(
                (  # in INSERT_COLUMNS' order (the table's)
                    row.country_iso3,
                    row.indicator,
                    row.breakdown,
                    row.value_num,
                    row.value_text,
                    row.unit,
                    to_db(row.period_start),
                    to_db(row.period_end),
                    to_db(published_at),
                    retrieved_db,
                    row.item,
                    basis,
                    seen_db,
                    seen_db,
                    key,
                    source_id,
                    snapshot_id,
                    True,
                    supersedes_id,
                    PROCESSING_VERSION,
                )
            )
            cited = _cited(row)
            if cited != _NOT_CITED:  # the citation's fields, then the series the new version is current for
                citations.append((*cited, key))
        if superseded:
            # The old value stops being current before its successor is inserted (partial unique index).
            connection.execute(
                sa.update(_TABLE)
                .where(_COLUMNS.id == sa.bindparam("old_id"))
                .values(is_current=False, superseded_at=sa.bindparam("at")),
                superseded,
            )
        if inserts:
            connection.exec_driver_sql(insert_sql, inserts)
        if citations:
            connection.exec_driver_sql(citation_sql, citations)
        touch_last_seen(connection, still_held, seen_now)
    return counts
