"""Item-level evidence: catalogue item, quote and page, review status and contributor.

Stock-out reports, survey answers per medicine, document mentions and curated findings are about one
medicine, test or specialist, often with a quote from a page. Producers' data keep ``review_status``
NULL; extracted mentions are ``candidate``; curated findings are ``contributed``, ``confirmed`` or
``retracted`` (a retraction is a new version, so the history is kept).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("quote", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("page", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("contributed_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_column("contributed_by")
        batch_op.drop_column("review_status")
        batch_op.drop_column("page")
        batch_op.drop_column("quote")
        batch_op.drop_column("item")
