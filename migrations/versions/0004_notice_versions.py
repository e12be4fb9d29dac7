"""Notice versions and the significant changes waiting to be sent to subjects.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("register_version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("declared_id", sa.String(100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notice_versions"),
        sa.UniqueConstraint("organisation", "version", name="uq_notice_versions_organisation"),
    )
    op.create_table(
        "notice_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("significant", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notice_changes"),
        sa.UniqueConstraint(
            "organisation", "to_version", name="uq_notice_changes_organisation_to_version"
        ),
    )
    op.create_index("ix_notice_changes_pending", "notice_changes", ["notified_at", "organisation"])


def downgrade() -> None:
    op.drop_index("ix_notice_changes_pending", "notice_changes")
    op.drop_table("notice_changes")
    op.drop_table("notice_versions")
