"""Marketing suppressions: stops on marketing that outlive a shredded subject (issue 19).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marketing_suppressions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("suppressed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_marketing_suppressions_lookup",
        "marketing_suppressions",
        ["organisation", "kind", "digest"],
    )


def downgrade() -> None:
    op.drop_index("ix_marketing_suppressions_lookup", table_name="marketing_suppressions")
    op.drop_table("marketing_suppressions")
