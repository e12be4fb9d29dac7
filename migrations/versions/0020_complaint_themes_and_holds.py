"""A complaint's theme, indexes for its views, the legal holds table (issue 17, RET-02).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("theme", sa.String(24), nullable=True))
    op.create_index("ix_complaints_closed", "complaints", ["organisation", "state", "closed_on"])
    op.create_index("ix_complaints_received", "complaints", ["organisation", "received_on", "ref"])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("hold_id", sa.String(80), nullable=True),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=True),
        sa.Column("case_ref", sa.String(120), nullable=True),
        sa.Column("record_ref", sa.String(200), nullable=True),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("on_close", sa.String(16), nullable=False),
        sa.Column("release_on", sa.Date(), nullable=True),
        sa.Column("complaint_id", sa.String(36), nullable=True),
        sa.Column("placed_by", sa.String(200), nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_legal_holds_subject_id_subjects"
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name="fk_legal_holds_complaint_id_complaints"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_legal_holds"),
        sa.UniqueConstraint("ref", name="uq_legal_holds_ref"),
    )
    op.create_index("ix_legal_holds_organisation", "legal_holds", ["organisation"])
    op.create_index("ix_legal_holds_subject_id", "legal_holds", ["subject_id"])
    op.create_index("ix_legal_holds_complaint_id", "legal_holds", ["complaint_id"])
    op.create_index("ix_legal_holds_scope", "legal_holds", ["organisation", "scope", "case_ref"])


def downgrade() -> None:
    op.drop_index("ix_legal_holds_scope", table_name="legal_holds")
    op.drop_index("ix_legal_holds_complaint_id", table_name="legal_holds")
    op.drop_index("ix_legal_holds_subject_id", table_name="legal_holds")
    op.drop_index("ix_legal_holds_organisation", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_index("ix_complaints_received", table_name="complaints")
    op.drop_index("ix_complaints_closed", table_name="complaints")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("theme")
