"""Canonical URLs and archived copies.

Each snapshot keeps, next to the URL fetched (possibly a mirror or a local server), the producer's public
address (``canonical_url``), the only one citations show; existing snapshots get their fetched URL
when it is a public http(s) one. The
``archive_capture`` table records, per cited URL, its earliest and latest Wayback Machine capture.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cobase.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canonical_url", sa.String(), nullable=True))
    # Existing snapshots were fetched from their public address, unless they came from a local server
    # (demo, tests), a private network or a file: those get none, so no citation ever shows them.
    op.execute(
        "UPDATE snapshot SET canonical_url = url WHERE canonical_url IS NULL"
        " AND (url LIKE 'https://%' OR url LIKE 'http://%')"
        " AND url NOT LIKE '%://127.%' AND url NOT LIKE '%://localhost%' AND url NOT LIKE '%://[::1]%'"
        " AND url NOT LIKE '%://10.%' AND url NOT LIKE '%://192.168.%' AND url NOT LIKE '%://0.0.0.0%'"
    )
    op.create_table(
        "archive_capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("earliest_at", UTCDateTime(), nullable=True),
        sa.Column("earliest_url", sa.String(), nullable=True),
        sa.Column("earliest_status", sa.Integer(), nullable=True),
        sa.Column("earliest_digest", sa.String(), nullable=True),
        sa.Column("latest_at", UTCDateTime(), nullable=True),
        sa.Column("latest_url", sa.String(), nullable=True),
        sa.Column("latest_status", sa.Integer(), nullable=True),
        sa.Column("latest_digest", sa.String(), nullable=True),
        sa.Column("save_requested_at", UTCDateTime(), nullable=True),
        sa.Column("save_message", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )


def downgrade() -> None:
    op.drop_table("archive_capture")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("canonical_url")
