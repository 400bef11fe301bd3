"""Series keys begin with their source and indicator, so that ingestion writes the unique index in order.

A series key was one 32-digit hash of the whole series point; it is now 8 digits naming the source and
indicator followed by 24 digits of that hash (:func:`cobase.ingest.series_key`). Each stored key keeps its
last 24 digits and gets its group's 8 first ones: two rows that shared a key still share one, and a key
computed today for a stored series is the stored key. Values, versions and ids are untouched. A key of
another length was not written by ``series_key`` (none is, outside hand-made test stores) and is left as
it is, so that two such keys never become one.

The current-series unique index is dropped during the rewrite and built again afterwards (one sorted
build, rather than one random index write per row). The prefix is computed here, as the code of this
revision computes it: a migration must give the same keys whatever the code becomes (a test pins the two
together today).

The downgrade recomputes each key's first 8 digits from its row, as the code of revision 0022 did.

Revision ID: 0023
Revises: 0022
"""

import hashlib
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEPARATOR = "\x1f"
PREFIX_DIGITS = 8
KEY_DIGITS = 32
UNIQUE_INDEX = "uq_observation_current_series"


def group_prefix(source_id: int, indicator: str) -> str:
    """The 8 leading digits of a key of this source and indicator (revision 0023's rule)."""
    text = f"{source_id}{SEPARATOR}{indicator}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=PREFIX_DIGITS // 2).hexdigest()


def _drop_unique_index() -> None:
    op.drop_index(UNIQUE_INDEX, table_name="observation")


def _create_unique_index() -> None:
    op.create_index(
        UNIQUE_INDEX,
        "observation",
        ["series_key"],
        unique=True,
        sqlite_where=sa.text("is_current = 1"),
        postgresql_where=sa.text("is_current"),
    )


def upgrade() -> None:
    connection = op.get_bind()
    groups = connection.execute(sa.text("SELECT DISTINCT source_id, indicator FROM observation")).all()
    if not groups:
        return
    connection.execute(
        sa.text(
            "CREATE TEMPORARY TABLE series_group_0023 (source_id INTEGER NOT NULL,"
            " indicator VARCHAR NOT NULL, prefix VARCHAR(8) NOT NULL, PRIMARY KEY (source_id, indicator))"
        )
    )
    connection.execute(
        sa.text("INSERT INTO series_group_0023 (source_id, indicator, prefix) VALUES (:s, :i, :p)"),
        [
            {"s": source_id, "i": indicator, "p": group_prefix(source_id, indicator)}
            for source_id, indicator in groups
        ],
    )
    _drop_unique_index()
    # A correlated subquery: the one UPDATE both SQLite and PostgreSQL accept.
    connection.execute(
        sa.text(
            "UPDATE observation SET series_key = (SELECT g.prefix FROM series_group_0023 g"
            " WHERE g.source_id = observation.source_id AND g.indicator = observation.indicator)"
            f" || substr(series_key, {PREFIX_DIGITS + 1}) WHERE length(series_key) = {KEY_DIGITS}"
        )
    )
    _create_unique_index()
    connection.execute(sa.text("DROP TABLE series_group_0023"))


def _ordinal(value: date | str) -> int:
    """A stored date's ordinal (SQLite returns the ISO text, PostgreSQL a date)."""
    return (value if isinstance(value, date) else date.fromisoformat(str(value)[:10])).toordinal()


def _whole_hash(row: sa.Row[tuple[object, ...]]) -> str:
    """Revision 0022's key of a row: the hash of the whole series point."""
    _, _, source_id, indicator, country, breakdown, start, end, item = row
    text = SEPARATOR.join(
        (
            str(source_id),
            str(indicator),
            str(country),
            str(breakdown),
            str(_ordinal(start)),  # type: ignore[arg-type]
            str(_ordinal(end)),  # type: ignore[arg-type]
            str(item or ""),
        )
    )
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def downgrade() -> None:
    connection = op.get_bind()
    _drop_unique_index()
    select = sa.text(
        "SELECT id, series_key, source_id, indicator, country_iso3, breakdown, period_start, period_end,"
        " item FROM observation WHERE id > :after ORDER BY id LIMIT 10000"
    )
    update = sa.text("UPDATE observation SET series_key = :key WHERE id = :id")
    after = 0
    while rows := connection.execute(select, {"after": after}).all():  # 10,000 rows at a time in memory
        keys = [
            {"id": row[0], "key": _whole_hash(row)[:PREFIX_DIGITS] + row[1][PREFIX_DIGITS:]}
            for row in rows
            if len(row[1]) == KEY_DIGITS
        ]
        if keys:
            connection.execute(update, keys)
        after = rows[-1][0]
    _create_unique_index()
