"""Retention runs (issue 20, RET-03): one run per organisation per day, its evidence (one
record per rule, dataset and binding) and the batches in progress.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organisation", sa.String(80), nullable=False, index=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("register_version", sa.Integer(), nullable=False),
        sa.Column("sources_version", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("to_act_on", sa.Integer(), nullable=False),
        sa.UniqueConstraint("organisation", "as_of", name="uq_retention_runs_day"),
    )
    op.create_table(
        "retention_evidence",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "run_id",
            sa.String(36),
            sa.ForeignKey("retention_runs.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(80), nullable=False),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("connection", sa.String(80), nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("binding", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("held", sa.JSON(), nullable=False),
        sa.Column("keys_digest", sa.String(64), nullable=True),
        sa.Column("resumed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_key", sa.JSON(), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("register_version", sa.Integer(), nullable=False),
        sa.Column("sources_version", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "run_id", "rule", "dataset", "connection", "table_name", name="uq_retention_evidence"
        ),
    )
    op.create_table(
        "retention_batches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "evidence_id",
            sa.String(36),
            sa.ForeignKey("retention_evidence.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=True),
        sa.Column("paths", sa.JSON(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.UniqueConstraint("evidence_id", "seq", name="uq_retention_batches_seq"),
    )


def downgrade() -> None:
    op.drop_table("retention_batches")
    op.drop_table("retention_evidence")
    op.drop_table("retention_runs")
