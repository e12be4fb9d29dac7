"""Rights requests and their history (issue 16).

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("rights", sa.JSON(), nullable=False),
        sa.Column("not_offered", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("clock_starts_on", sa.Date(), nullable=True),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("paused_since", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("extension_notice_by", sa.Date(), nullable=True),
        sa.Column("subject_id", sa.String(36), nullable=True),
        sa.Column("requester_kind", sa.String(24), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("requester_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("identity_verified_on", sa.Date(), nullable=True),
        sa.Column("identity_method", sa.String(32), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_rights_requests_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rights_requests"),
        sa.UniqueConstraint("ref", name="uq_rights_requests_ref"),
    )
    for column in ("organisation", "state", "due_on", "subject_id"):
        op.create_index(f"ix_rights_requests_{column}", "rights_requests", [column])
    op.create_table(
        "request_events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("note_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_request_events_request_id_rights_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_request_events"),
    )
    op.create_index("ix_request_events_request_id", "request_events", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_request_events_request_id", table_name="request_events")
    op.drop_table("request_events")
    for column in ("organisation", "state", "due_on", "subject_id"):
        op.drop_index(f"ix_rights_requests_{column}", table_name="rights_requests")
    op.drop_table("rights_requests")
