"""Erasure: grounds, plans, their steps and the evidence of each step (issue 19).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "erasure_grounds",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("ground", sa.String(40), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        _at("recorded_at", False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_erasure_grounds_request_id_rights_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_erasure_grounds"),
        sa.UniqueConstraint("request_id", name="uq_erasure_grounds_request"),
    )
    op.create_table(
        "erasure_plans",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("ground", sa.String(40), nullable=False),
        sa.Column("sources_version", sa.Integer(), nullable=False),
        sa.Column("register_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("rows_erased", sa.Integer(), nullable=False),
        sa.Column("rows_kept", sa.Integer(), nullable=False),
        sa.Column("files_erased", sa.Integer(), nullable=False),
        sa.Column("shred_when_done", sa.Boolean(), nullable=False),
        sa.Column("shredded", sa.Boolean(), nullable=False),
        sa.Column("failed_source", sa.String(80), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("planned_by", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        _at("approved_at"),
        _at("finished_at"),
        _at("created_at", False),
        _at("updated_at", False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_erasure_plans_request_id_rights_requests",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_erasure_plans_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_erasure_plans"),
    )
    op.create_index("ix_erasure_plans_organisation", "erasure_plans", ["organisation"])
    op.create_index("ix_erasure_plans_request_id", "erasure_plans", ["request_id"])
    op.create_table(
        "erasure_steps",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("plan_id", sa.String(36), nullable=False),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("binding", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("how", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("rows_kept", sa.Integer(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("kept_reason", sa.String(40), nullable=True),
        sa.Column("kept_detail", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["erasure_plans.id"], name="fk_erasure_steps_plan_id_erasure_plans"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_erasure_steps"),
        sa.UniqueConstraint("plan_id", "dataset", "binding", name="uq_erasure_steps_binding"),
    )
    op.create_index("ix_erasure_steps_plan_id", "erasure_steps", ["plan_id"])
    op.create_table(
        "erasure_evidence",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("plan_id", sa.String(36), nullable=False),
        sa.Column("step_id", sa.String(36), nullable=False),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("binding", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(80), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("how", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("rows_kept", sa.Integer(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("kept_reason", sa.String(40), nullable=True),
        sa.Column("kept_detail", sa.Text(), nullable=True),
        sa.Column("resumed", sa.Boolean(), nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("sources_version", sa.Integer(), nullable=False),
        sa.Column("register_version", sa.Integer(), nullable=False),
        _at("at", False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["erasure_plans.id"], name="fk_erasure_evidence_plan_id_erasure_plans"
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["erasure_steps.id"], name="fk_erasure_evidence_step_id_erasure_steps"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_erasure_evidence"),
        sa.UniqueConstraint("step_id", name="uq_erasure_evidence_step"),
    )
    op.create_index("ix_erasure_evidence_plan_id", "erasure_evidence", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_erasure_evidence_plan_id", table_name="erasure_evidence")
    op.drop_table("erasure_evidence")
    op.drop_index("ix_erasure_steps_plan_id", table_name="erasure_steps")
    op.drop_table("erasure_steps")
    op.drop_index("ix_erasure_plans_request_id", table_name="erasure_plans")
    op.drop_index("ix_erasure_plans_organisation", table_name="erasure_plans")
    op.drop_table("erasure_plans")
    op.drop_table("erasure_grounds")
