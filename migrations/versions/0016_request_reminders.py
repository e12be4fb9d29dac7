"""Reminders about request deadlines and the DPO's daily digest (issue 16).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_reminders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_request_reminders_request_id_rights_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_request_reminders"),
        sa.UniqueConstraint("request_id", "kind", "due_on", name="uq_request_reminders_request_id"),
    )
    op.create_index("ix_request_reminders_request_id", "request_reminders", ["request_id"])
    op.create_table(
        "request_digests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("user_ref", sa.String(32), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_request_digests"),
        sa.UniqueConstraint(
            "organisation", "user_ref", "sent_on", name="uq_request_digests_organisation"
        ),
    )


def downgrade() -> None:
    op.drop_table("request_digests")
    op.drop_index("ix_request_reminders_request_id", table_name="request_reminders")
    op.drop_table("request_reminders")
