"""Identity verification of rights requests: codes, checks, ID documents (issue 16).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _request_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["request_id"], ["rights_requests.id"], name=f"fk_{table}_request_id_rights_requests"
    )


def upgrade() -> None:
    op.create_table(
        "request_codes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        _request_fk("request_codes"),
        sa.PrimaryKeyConstraint("id", name="pk_request_codes"),
    )
    op.create_table(
        "request_identity_checks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("document_kind", sa.String(32), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("note_sealed", sa.LargeBinary(), nullable=True),
        _request_fk("request_identity_checks"),
        sa.PrimaryKeyConstraint("id", name="pk_request_identity_checks"),
    )
    op.create_table(
        "request_identity_documents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("document_kind", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        _request_fk("request_identity_documents"),
        sa.PrimaryKeyConstraint("id", name="pk_request_identity_documents"),
    )
    for table in ("request_codes", "request_identity_checks", "request_identity_documents"):
        op.create_index(f"ix_{table}_request_id", table, ["request_id"])


def downgrade() -> None:
    for table in ("request_identity_documents", "request_identity_checks", "request_codes"):
        op.drop_index(f"ix_{table}_request_id", table_name=table)
        op.drop_table(table)
