"""Consent records and history, objections, restrictions, TPS/CTPS list, cookie consent log.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("notice_version", sa.String(80), nullable=False),
        sa.Column("register_version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_consent_records_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
        sa.UniqueConstraint("ref", name="uq_consent_records_ref"),
    )
    op.create_index(
        "uq_consent_records_subject",
        "consent_records",
        ["subject_id", "kind", "purpose", "channel"],
        unique=True,
    )
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("notice_version", sa.String(80), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["consent_records.id"],
            name="fk_consent_events_record_id_consent_records",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consent_events"),
    )
    op.create_index("ix_consent_events_record_id", "consent_events", ["record_id"])
    op.create_table(
        "objections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_objections_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_objections"),
        sa.UniqueConstraint("ref", name="uq_objections_ref"),
    )
    op.create_index("ix_objections_subject_id", "objections", ["subject_id"])
    op.create_table(
        "restrictions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("ground", sa.String(24), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_restrictions_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_restrictions"),
        sa.UniqueConstraint("ref", name="uq_restrictions_ref"),
    )
    op.create_index("ix_restrictions_subject_id", "restrictions", ["subject_id"])
    op.create_table(
        "tps_numbers",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("list_name", sa.String(4), nullable=False),
        sa.PrimaryKeyConstraint("digest", "list_name", name="pk_tps_numbers"),
    )
    op.create_table(
        "tps_imports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("list_name", sa.String(4), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("numbers", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tps_imports"),
    )
    op.create_index("ix_tps_imports_imported_at", "tps_imports", ["imported_at"])
    op.create_table(
        "cookie_consents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("visitor", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("choice", sa.JSON(), nullable=False),
        sa.Column("gpc", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cookie_consents"),
    )
    op.create_index("ix_cookie_consents_organisation", "cookie_consents", ["organisation"])
    op.create_index("ix_cookie_consents_visitor", "cookie_consents", ["visitor"])


def downgrade() -> None:
    for table in (
        "cookie_consents",
        "tps_imports",
        "tps_numbers",
        "restrictions",
        "objections",
        "consent_events",
        "consent_records",
    ):
        op.drop_table(table)
