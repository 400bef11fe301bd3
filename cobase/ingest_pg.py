"""Ingestion on PostgreSQL: ``COPY`` into a staging table, then a few set-based statements.

The rule is :func:`cobase.ingest.ingest_observations`'s, row for row (new, unchanged, revised, duplicates;
``published_basis`` downgraded to ``first_seen`` when a revision keeps the producer's date; ``supersedes_id``,
``superseded_at``, ``first_seen_at``/``last_seen_at``; a finding's review status). Only the way it reaches
the server differs. Per-row parameters cost PostgreSQL a round of parsing and planning per batch and a
network exchange per chunk; ``COPY`` streams the rows at the speed of a bulk load, and the decisions are
then made by the server over the whole snapshot at once:

1. the snapshot's rows (first occurrence of each series, in their order) are copied into a temporary
   staging table with the observation table's own column types;
2. one join against the current-series unique index finds each row's current version (``matched``);
3. one ``UPDATE ... FROM`` supersedes the changed ones, before their successors exist (the partial unique
   index allows one current value per series);
4. one ``INSERT ... SELECT`` adds the new and revised values, in the snapshot's order (ids as before);
5. when a staged row has a citation (quote, page, review status, contributor: findings and document
   mentions), one ``INSERT ... SELECT`` adds the citations of the new versions to ``observation_citation``,
   joined on their series (the one current row of each); a snapshot without any skips it;
6. one ``UPDATE ... FROM`` moves ``last_seen_at`` of the unchanged ones forward.

Everything runs in the caller's transaction: a failure anywhere leaves nothing half-written once the caller
rolls back, and the temporary tables go with the transaction (``ON COMMIT DROP``) or, on success, are
dropped at the end so that a second ingestion in the same transaction starts afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from cobase.clock import as_utc
from cobase.models import CitationBase
from cobase.processing import PROCESSING_VERSION, PRODUCER_DATED_BASES

if TYPE_CHECKING:
    import psycopg

STAGING = "cobase_ingest_staging"
MATCHED = "cobase_ingest_matched"

STAGED_COLUMNS = (
    "series_key",
    "country_iso3",
    "indicator",
    "breakdown",
    "value_num",
    "value_text",
    "unit",
    "period_start",
    "period_end",
    "published_at",
    "item",
    "quote",
    "page",
    "review_status",
    "contributed_by",
    "published_basis",
)
"""Columns that vary per row; the snapshot-wide ones (source, snapshot, retrieval) are bound once. The
citation's (:data:`CITED`) are staged with the others and stored in ``observation_citation``."""

CITED = tuple(name for name in STAGED_COLUMNS if name in CitationBase.model_fields)
"""Staged columns stored in ``observation_citation`` rather than ``observation``."""

StagedRow = tuple[object, ...]
"""``ord`` (the row's place in the snapshot) followed by :data:`STAGED_COLUMNS`, ``published_basis``
already decided for a row without a predecessor (:func:`cobase.ingest.initial_basis`)."""

_PRODUCER_DATED = ", ".join(f"'{basis}'" for basis in sorted(PRODUCER_DATED_BASES))

_CREATE_STAGING = (
    # Same types as the stored columns (and no constraint): what is copied is what will be stored. The
    # cross join is never run (WITH NO DATA): it only names the two tables the types come from.
    f"CREATE TEMPORARY TABLE {STAGING} ON COMMIT DROP AS SELECT 0::bigint AS ord, "
    + ", ".join(f"{'c' if name in CITED else 'o'}.{name}" for name in STAGED_COLUMNS)
    + " FROM observation o, observation_citation c WITH NO DATA"
)

_MATCH = f"""
CREATE TEMPORARY TABLE {MATCHED} ON COMMIT DROP AS
SELECT s.ord,
       o.id AS previous_id,
       o.published_at AS previous_published_at,
       (o.value_text = s.value_text
        AND o.unit IS NOT DISTINCT FROM s.unit
        AND c.quote IS NOT DISTINCT FROM s.quote
        AND c.review_status IS NOT DISTINCT FROM s.review_status) AS unchanged
FROM {STAGING} s
JOIN observation o ON o.series_key = s.series_key AND o.is_current
LEFT JOIN observation_citation c ON c.observation_id = o.id
"""

_COUNT_MATCHED = (
    f"SELECT count(*) FILTER (WHERE unchanged), count(*) FILTER (WHERE NOT unchanged) FROM {MATCHED}"
)

_SUPERSEDE = f"""
UPDATE observation o SET is_current = false, superseded_at = %(seen)s
FROM {MATCHED} m
WHERE o.id = m.previous_id AND NOT m.unchanged
"""

_INSERT = f"""
INSERT INTO observation (
    series_key, source_id, snapshot_id, country_iso3, indicator, breakdown, value_num, value_text, unit,
    period_start, period_end, published_at, retrieved_at, is_current, supersedes_id, item, published_basis,
    first_seen_at, last_seen_at, processing_version
)
SELECT s.series_key, %(source_id)s, %(snapshot_id)s, s.country_iso3, s.indicator, s.breakdown, s.value_num,
       s.value_text, s.unit, s.period_start, s.period_end, s.published_at, %(retrieved)s, true,
       m.previous_id, s.item,
       CASE
           -- The same producer's date cannot be true of two different values (producers' data only).
           WHEN m.previous_id IS NOT NULL
                AND s.review_status IS NULL
                AND s.published_basis IN ({_PRODUCER_DATED})
                AND m.previous_published_at = s.published_at
           THEN 'first_seen'
           ELSE s.published_basis
       END,
       %(seen)s, %(seen)s, %(processing_version)s
FROM {STAGING} s
LEFT JOIN {MATCHED} m ON m.ord = s.ord
WHERE m.unchanged IS NOT TRUE
ORDER BY s.ord
"""

_CITED_ROW = " OR ".join(f"s.{name} IS NOT NULL" for name in CITED)

_ANY_CITED = f"SELECT EXISTS (SELECT 1 FROM {STAGING} s WHERE {_CITED_ROW})"

_INSERT_CITATIONS = f"""
INSERT INTO observation_citation (observation_id, snapshot_id, {", ".join(CITED)})
SELECT o.id, o.snapshot_id, {", ".join(f"s.{name}" for name in CITED)}
FROM {STAGING} s
JOIN observation o ON o.series_key = s.series_key AND o.is_current
LEFT JOIN {MATCHED} m ON m.ord = s.ord
WHERE m.unchanged IS NOT TRUE AND ({_CITED_ROW})
"""

_TOUCH = f"""
UPDATE observation o SET last_seen_at = %(seen)s
FROM {MATCHED} m
WHERE o.id = m.previous_id AND m.unchanged AND (o.last_seen_at IS NULL OR o.last_seen_at < %(seen)s)
"""


def copy_and_merge(
    connection: sa.Connection,
    *,
    source_id: int,
    snapshot_id: int,
    retrieved_at: datetime,
    seen_at: datetime,
    rows: Iterable[StagedRow],
) -> tuple[int, int, int]:
    """Stage ``rows`` with ``COPY`` and merge them into ``observation``; return (new, unchanged, revised).

    ``rows`` are the snapshot's distinct series in order (duplicates already counted and left out by the
    caller). Runs in ``connection``'s transaction and commits nothing. A database error is SQLAlchemy's,
    as on the other path (``IntegrityError``, ``OperationalError``...).
    """
    connection.exec_driver_sql(_CREATE_STAGING)
    staged = _copy(connection, rows)
    connection.exec_driver_sql(_MATCH)
    unchanged, revised = (int(count) for count in connection.exec_driver_sql(_COUNT_MATCHED).one())
    params = {
        "seen": as_utc(seen_at),
        "retrieved": as_utc(retrieved_at),
        "source_id": source_id,
        "snapshot_id": snapshot_id,
        "processing_version": PROCESSING_VERSION,
    }
    if revised:
        # The old value stops being current before its successor is inserted (partial unique index).
        connection.exec_driver_sql(_SUPERSEDE, params)
    if staged > unchanged:
        connection.exec_driver_sql(_INSERT, params)
        if connection.exec_driver_sql(_ANY_CITED).scalar():
            connection.exec_driver_sql(_INSERT_CITATIONS)
    if unchanged:
        connection.exec_driver_sql(_TOUCH, params)
    connection.exec_driver_sql(f"DROP TABLE {MATCHED}, {STAGING}")
    return staged - unchanged - revised, unchanged, revised


def _copy(connection: sa.Connection, rows: Iterable[StagedRow]) -> int:
    """Stream ``rows`` into the staging table with a binary ``COPY``; return how many.

    Binary, typed by the staging table's own columns: a quarter of the client's time of the text format.
    """
    types = connection.exec_driver_sql(
        f"SELECT atttypid FROM pg_attribute WHERE attrelid = '{STAGING}'::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum"
    ).scalars()
    statement = f"COPY {STAGING} (ord, {', '.join(STAGED_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    # psycopg's own connection (the same transaction): SQLAlchemy has no COPY of its own.
    dbapi = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    staged = 0
    try:
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
                staged += 1
    except connection.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(statement, None, exc, connection.dialect.loaded_dbapi.Error) from exc
    return staged
