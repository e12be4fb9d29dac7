"""The disclosure log, recipients' notices (NOT-01) and rectifications (REC-01): issue 19.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def _at(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.Column("basis", sa.String(40), nullable=False),
        sa.Column("disclosed_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(120), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_disclosures_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_disclosures"),
        sa.UniqueConstraint("ref", name="uq_disclosures_ref"),
    )
    op.create_index("ix_disclosures_subject_id", "disclosures", ["subject_id"])
    op.create_index("ix_disclosures_recipient", "disclosures", ["organisation", "recipient"])
    op.create_table(
        "recipient_notices",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("disclosures", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(400), nullable=True),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.Column("told_by", sa.String(200), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_recipient_notices_request_id_rights_requests",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name="fk_recipient_notices_message_id_outbox_messages",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recipient_notices"),
        sa.UniqueConstraint("request_id", "recipient", "change", name="uq_recipient_notices_once"),
    )
    op.create_index("ix_recipient_notices_request_id", "recipient_notices", ["request_id"])
    op.create_table(
        "rectifications",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("column", sa.String(80), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("value_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("statement_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sources_version", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_rectifications_request_id_rights_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rectifications"),
        sa.UniqueConstraint("ref", name="uq_rectifications_ref"),
    )
    op.create_index("ix_rectifications_request_id", "rectifications", ["request_id"])


def downgrade() -> None:
    op.drop_table("rectifications")
    op.drop_table("recipient_notices")
    op.drop_table("disclosures")
