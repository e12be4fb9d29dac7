"""Reminders about complaints' clocks (issue 17, CMP-01).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_reminders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("complaint_id", sa.String(36), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name="fk_complaint_reminders_complaint_id_complaints",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_reminders"),
        sa.UniqueConstraint(
            "complaint_id", "kind", "due_on", name="uq_complaint_reminders_complaint_id"
        ),
    )
    op.create_index("ix_complaint_reminders_complaint_id", "complaint_reminders", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_reminders_complaint_id", table_name="complaint_reminders")
    op.drop_table("complaint_reminders")
