"""Refusal reasons: a refused request names its legal reason by code (issue 19, ERA-02);
a correction records how the new data's accuracy was checked (REC-01, R3 rights.x3).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Requests refused before reasons had codes were refused as manifestly unfounded or
    # excessive (SAR-08): the one refusal there was; their letters keep saying so.
    with op.batch_alter_table("rights_requests") as batch:
        batch.add_column(sa.Column("refusal_reason", sa.String(48), nullable=True))
    op.execute(
        "UPDATE rights_requests SET refusal_reason = 'manifestly_unfounded_or_excessive' "
        "WHERE outcome = 'refused'"
    )
    with op.batch_alter_table("rectifications") as batch:
        batch.add_column(sa.Column("accuracy_check", sa.String(24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rectifications") as batch:
        batch.drop_column("accuracy_check")
    with op.batch_alter_table("rights_requests") as batch:
        batch.drop_column("refusal_reason")
