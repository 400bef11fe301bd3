"""Drift is never silent: each snapshot keeps its shape, each refresh run its warnings.

``snapshot.shape`` (JSON: the fields of the answer's records, its series, per indicator its breakdowns and
how many values were numbers) is compared with the next answer to the same URL (``cobase.drift``);
``refresh_run.warnings`` keeps what succeeded but deserves a look, which ``cobase status`` shows. Existing
snapshots have no shape: the first refresh after this migration records one and compares from then on.

Revision ID: 0010
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shape", sa.Text(), nullable=True))
    with op.batch_alter_table("refresh_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_run", schema=None) as batch_op:
        batch_op.drop_column("warnings")
    with op.batch_alter_table("snapshot", schema=None) as batch_op:
        batch_op.drop_column("shape")
