"""Due rows (jobs), the outbox and notice-change campaigns.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_state_due_at", "jobs", ["state", "due_at"])
    op.create_table(
        "notice_campaigns",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("notice_url", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cursor", sa.String(36), nullable=False),
        sa.Column("subjects_total", sa.Integer(), nullable=False),
        sa.Column("subjects_seen", sa.Integer(), nullable=False),
        sa.Column("messages_queued", sa.Integer(), nullable=False),
        sa.Column("without_email", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notice_campaigns"),
        sa.UniqueConstraint(
            "organisation", "from_version", "to_version", name="uq_notice_campaigns_organisation"
        ),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=True),
        sa.Column("subject_ref", sa.String(32), nullable=True),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("parked_reason", sa.Text(), nullable=True),
        sa.Column("campaign_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        sa.UniqueConstraint("message_id", name="uq_outbox_messages_message_id"),
        sa.UniqueConstraint("campaign_id", "subject_id", name="uq_outbox_messages_campaign_id"),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_outbox_messages_subject_id_subjects"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["notice_campaigns.id"],
            name="fk_outbox_messages_campaign_id_notice_campaigns",
        ),
    )
    op.create_index("ix_outbox_messages_status", "outbox_messages", ["status"])
    op.create_index("ix_outbox_messages_campaign_id", "outbox_messages", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_campaign_id", "outbox_messages")
    op.drop_index("ix_outbox_messages_status", "outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_table("notice_campaigns")
    op.drop_index("ix_jobs_state_due_at", "jobs")
    op.drop_table("jobs")
