"""Identical bytes recognised wherever they come from: ``snapshot.request_key``.

A snapshot's identity was its URL, so the same bytes served by a mirror or a server that moved (another
host or port) were stored and parsed again. ``request_key`` is the request without scheme, host and port
(the path and query of the redacted URL, :func:`cobase.snapshots.request_key`); existing snapshots get it
from their URL, and an index on (source, request, sha256) answers the lookup of each new response.

Revision ID: 0020
Revises: 0010
"""

import urllib.parse
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _request_key(url: str) -> str:
    # Kept here as it is today: a migration must not change when cobase.snapshots does.
    parts = urllib.parse.urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def upgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    connection = op.get_bind()
    snapshot = sa.table("snapshot", sa.column("id", sa.Integer), sa.column("url", sa.String),
                        sa.column("request_key", sa.String))  # fmt: skip
    rows = connection.execute(sa.select(snapshot.c.id, snapshot.c.url)).all()
    if rows:
        connection.execute(
            snapshot.update().where(snapshot.c.id == sa.bindparam("snapshot_id")).values(
                request_key=sa.bindparam("key")
            ),
            [{"snapshot_id": row.id, "key": _request_key(row.url)} for row in rows],
        )
    op.create_index("ix_snapshot_source_request", "snapshot", ["source_id", "request_key", "sha256"])


def downgrade() -> None:
    op.drop_index("ix_snapshot_source_request", table_name="snapshot")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("request_key")
