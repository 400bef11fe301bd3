"""``observation.dimension`` becomes ``observation.breakdown``: the word "dimension" names access dimensions.

The column holds a value's breakdown (``SEX=FMLE``, ``EAN=...``, ``product=...``, a finding's or a
document mention's key); only its name changes. Values, versions and series keys are kept as they are (the
series key hashes the breakdown's text, not the column's name), so an upgraded store keeps its series.
A plain ``RENAME COLUMN`` on both SQLite and PostgreSQL: no table is rebuilt, and the partial unique index
of current values, which does not name the column, is untouched. The documented ``cobase observations``
output keeps its ``dimension`` column (:data:`cobase.queries.OUTPUT_NAMES`).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("observation", "dimension", new_column_name="breakdown")


def downgrade() -> None:
    op.alter_column("observation", "breakdown", new_column_name="dimension")
