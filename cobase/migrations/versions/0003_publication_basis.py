"""Publication basis, first and last seen, withdrawals, processing version and processing changes.

Every observation version says what its ``published_at`` means (``published_basis``: ``first_release``,
``last_modified``, ``document_date`` or ``first_seen``), when we first and last retrieved a snapshot
holding it (``first_seen_at``, ``last_seen_at``), when a complete response of the same request stopped
holding its series (``withdrawn_at``), and which version of cobase's processing produced it
(``processing_version``). ``snapshot.last_seen_at`` is our latest retrieval of a snapshot's exact bytes.
``processing_change`` records values ``cobase rebuild`` corrected.

Existing rows get the most truthful default: a producer's date is a ``last_modified`` stamp (a
``document_date`` for reports, ReliefWeb posts and curated findings); no date means ``first_seen`` (the
server default; ``published_at`` stays empty, our retrieval is what proves it). A revision that kept the date of the version it superseded
cannot have been published on that date: it becomes ``first_seen`` too (the producer's date is kept). First and last seen start at the
retrieval date; the processing version of existing rows is 1.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cobase.models import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOCUMENT_SOURCES = ("documents", "reliefweb_reports", "contributed")


def upgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_basis", sa.String(length=16), nullable=False, server_default="first_seen")
        )
        batch_op.add_column(sa.Column("first_seen_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("processing_version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_index("ix_observation_snapshot", ["snapshot_id"], unique=False)
    op.create_table(
        "processing_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=True),
        sa.Column("series_key", sa.String(length=32), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("processing_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_processing_change_series_key", "processing_change", ["series_key"], unique=False)

    observation = sa.table(
        "observation",
        sa.column("id", sa.Integer()),
        sa.column("source_id", sa.Integer()),
        sa.column("supersedes_id", sa.Integer()),
        sa.column("published_at", UTCDateTime()),
        sa.column("retrieved_at", UTCDateTime()),
        sa.column("published_basis", sa.String()),
        sa.column("first_seen_at", UTCDateTime()),
        sa.column("last_seen_at", UTCDateTime()),
    )
    snapshot = sa.table("snapshot", sa.column("retrieved_at", UTCDateTime()), sa.column("last_seen_at", UTCDateTime()))
    source = sa.table("source", sa.column("id", sa.Integer()), sa.column("key", sa.String()))
    op.execute(snapshot.update().values(last_seen_at=snapshot.c.retrieved_at))
    op.execute(
        observation.update().values(
            first_seen_at=observation.c.retrieved_at, last_seen_at=observation.c.retrieved_at
        )
    )
    document_sources = sa.select(source.c.id).where(source.c.key.in_(_DOCUMENT_SOURCES)).scalar_subquery()
    dated = observation.c.published_at.is_not(None)
    op.execute(
        observation.update()
        .where(dated, observation.c.source_id.in_(document_sources))
        .values(published_basis="document_date")
    )
    op.execute(
        observation.update()
        .where(dated, observation.c.source_id.not_in(document_sources))
        .values(published_basis="last_modified")
    )
    previous = observation.alias("previous")
    kept_date = (
        sa.select(previous.c.published_at).where(previous.c.id == observation.c.supersedes_id).scalar_subquery()
    )
    op.execute(
        observation.update()
        .where(observation.c.supersedes_id.is_not(None), dated, observation.c.published_at == kept_date)
        .values(published_basis="first_seen")
    )


def downgrade() -> None:
    op.drop_index("ix_processing_change_series_key", table_name="processing_change")
    op.drop_table("processing_change")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_snapshot")
        batch_op.drop_column("processing_version")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("first_seen_at")
        batch_op.drop_column("published_basis")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
