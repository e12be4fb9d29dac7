"""The authority of someone acting for a subject (issue 16, SAR-10).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_authorities",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("evidence", sa.String(32), nullable=True),
        sa.Column("description_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("asked_on", sa.Date(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("checked_by", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("replies_to", sa.String(16), nullable=False),
        sa.Column("child_born_on", sa.Date(), nullable=True),
        sa.Column("child_age_band", sa.String(16), nullable=True),
        sa.Column("competence", sa.String(24), nullable=True),
        sa.Column("child_agreed", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_request_authorities_request_id_rights_requests",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_request_authorities"),
        sa.UniqueConstraint("request_id", name="uq_request_authorities_request_id"),
    )


def downgrade() -> None:
    op.drop_table("request_authorities")
