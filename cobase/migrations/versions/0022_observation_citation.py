"""Citations get a table of their own: ``observation_citation`` holds quote, page, review status, contributor.

Only curated findings and document or register mentions have them; on every producer's value they were
four empty columns. Each version that had any of them set gets one ``observation_citation`` row (keyed by
the observation's id, with the snapshot it rests on); the four columns leave ``observation``. Values are
copied, not recomputed, so an upgraded store answers as before, and the downgrade moves them back.

The columns are dropped and added back by plain ``ALTER TABLE`` (``recreate="never"``; SQLite 3.35 or
later): no copy of the observation table, the largest of the store, is made. Batch mode's copy would not
even work: with foreign keys on, dropping the old table trips on the rows of the copy whose
``supersedes_id`` points to it.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CITATION_COLUMNS = ("quote", "page", "review_status", "contributed_by")


def _citation_columns() -> list[sa.Column[object]]:
    """The four columns as revision 0002 declared them on ``observation``."""
    return [
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("review_status", sa.String(length=16), nullable=True),
        sa.Column("contributed_by", sa.String(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "observation_citation",
        *_citation_columns(),
        sa.Column("observation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["observation_id"], ["observation.id"]),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshot.id"]),
        sa.PrimaryKeyConstraint("observation_id"),
    )
    op.create_index(
        op.f("ix_observation_citation_snapshot_id"), "observation_citation", ["snapshot_id"], unique=False
    )
    names = ", ".join(CITATION_COLUMNS)
    op.execute(
        f"INSERT INTO observation_citation (observation_id, snapshot_id, {names}) "
        f"SELECT id, snapshot_id, {names} FROM observation "
        f"WHERE {' OR '.join(f'{name} IS NOT NULL' for name in CITATION_COLUMNS)}"
    )
    with op.batch_alter_table("observation", recreate="never") as batch_op:
        for name in reversed(CITATION_COLUMNS):
            batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("observation", recreate="never") as batch_op:
        for column in _citation_columns():
            batch_op.add_column(column)
    # Correlated subqueries: the one UPDATE both SQLite and PostgreSQL accept.
    assignments = ", ".join(
        f"{name} = (SELECT c.{name} FROM observation_citation c WHERE c.observation_id = observation.id)"
        for name in CITATION_COLUMNS
    )
    op.execute(
        f"UPDATE observation SET {assignments} WHERE id IN (SELECT observation_id FROM observation_citation)"
    )
    op.drop_index(op.f("ix_observation_citation_snapshot_id"), table_name="observation_citation")
    op.drop_table("observation_citation")
