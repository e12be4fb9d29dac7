"""Complaints and their history (issue 17, CMP-01).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("outcome_target_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("subject_id", sa.String(36), nullable=True),
        sa.Column("complainant_kind", sa.String(24), nullable=False),
        sa.Column("request_refs", sa.JSON(), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("complainant_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_complaints_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaints"),
        sa.UniqueConstraint("ref", name="uq_complaints_ref"),
    )
    op.create_index("ix_complaints_organisation", "complaints", ["organisation"])
    op.create_index("ix_complaints_subject_id", "complaints", ["subject_id"])
    op.create_index(
        "ix_complaints_queue", "complaints", ["state", "acknowledge_by", "outcome_target_on"]
    )
    op.create_table(
        "complaint_events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("complaint_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("note_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name="fk_complaint_events_complaint_id_complaints",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_events"),
    )
    op.create_index("ix_complaint_events_complaint_id", "complaint_events", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_events_complaint_id", table_name="complaint_events")
    op.drop_table("complaint_events")
    op.drop_index("ix_complaints_queue", table_name="complaints")
    op.drop_index("ix_complaints_subject_id", table_name="complaints")
    op.drop_index("ix_complaints_organisation", table_name="complaints")
    op.drop_table("complaints")
