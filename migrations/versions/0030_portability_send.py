"""Portability sent to another controller (POR-01, Art 20(2); issue 19): where a request's
portability package goes, sealed under the request's key.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portability_destinations",
        sa.Column(
            "request_id", sa.String(36), sa.ForeignKey("rights_requests.id"), primary_key=True
        ),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(36), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("portability_destinations")
