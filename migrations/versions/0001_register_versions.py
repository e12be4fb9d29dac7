"""Loaded registers and their versions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_register_versions"),
        sa.UniqueConstraint("organisation", "version", name="uq_register_versions_organisation"),
    )
    op.create_index(
        "ix_register_versions_organisation_hash",
        "register_versions",
        ["organisation", "content_hash"],
    )


def downgrade() -> None:
    op.drop_index("ix_register_versions_organisation_hash", "register_versions")
    op.drop_table("register_versions")
