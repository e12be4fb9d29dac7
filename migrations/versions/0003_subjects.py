"""Subjects and their encrypted identities.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_into", sa.String(36), nullable=True),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subjects"),
        sa.UniqueConstraint("ref", name="uq_subjects_ref"),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["subjects.id"], name="fk_subjects_merged_into_subjects"
        ),
    )
    op.create_index("ix_subjects_organisation", "subjects", ["organisation"])
    op.create_table(
        "subject_identities",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("origin_subject_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subject_identities"),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_subject_identities_subject_id_subjects"
        ),
    )
    op.create_index("ix_subject_identities_subject_id", "subject_identities", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_subject_identities_subject_id", "subject_identities")
    op.drop_table("subject_identities")
    op.drop_index("ix_subjects_organisation", "subjects")
    op.drop_table("subjects")
