"""A rights request holds tasks; a request split from another points to it (issue 16).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_tasks",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("right", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("dataset", sa.String(80), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("found", sa.Boolean(), nullable=True),
        sa.Column("done_by", sa.String(200), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_request_tasks_request_id_rights_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_request_tasks"),
    )
    op.create_index("ix_request_tasks_request_id", "request_tasks", ["request_id"])
    with op.batch_alter_table("rights_requests") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            "fk_rights_requests_parent_id_rights_requests",
            "rights_requests",
            ["parent_id"],
            ["id"],
        )
        batch.create_index("ix_rights_requests_parent_id", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("rights_requests") as batch:
        batch.drop_index("ix_rights_requests_parent_id")
        batch.drop_constraint("fk_rights_requests_parent_id_rights_requests", type_="foreignkey")
        batch.drop_column("parent_id")
    op.drop_index("ix_request_tasks_request_id", table_name="request_tasks")
    op.drop_table("request_tasks")
