"""Messages to a complainant, listed on the complaint (issue 17, CMP-01).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key: the outbox stands below the complaints domain (like request_id).
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("complaint_id", sa.String(36), nullable=True))
        batch.create_index("ix_outbox_messages_complaint_id", ["complaint_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_index("ix_outbox_messages_complaint_id")
        batch.drop_column("complaint_id")
