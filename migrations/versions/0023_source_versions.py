"""Stored versions of each organisation's sources file (issue 18).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_source_versions"),
        sa.UniqueConstraint("organisation", "version", name="uq_source_versions_organisation"),
    )
    op.create_index(
        "ix_source_versions_organisation_hash",
        "source_versions",
        ["organisation", "content_hash"],
    )


def downgrade() -> None:
    op.drop_index("ix_source_versions_organisation_hash", table_name="source_versions")
    op.drop_table("source_versions")
