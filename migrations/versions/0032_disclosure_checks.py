"""Disclosure checks: the disclosure log records what the register's sharing rules need
(issue 19, NTC-01): the person's authorisation, the transfer it went under, and whether it
went for the recipient's own marketing.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Disclosures logged before these checks record none of them: no authorisation, no
    # transfer, not for the recipient's marketing (the log never said otherwise).
    with op.batch_alter_table("disclosures") as batch:
        batch.add_column(sa.Column("authorised_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("authorisation_ref", sa.String(120), nullable=True))
        batch.add_column(sa.Column("transfer", sa.String(80), nullable=True))
        batch.add_column(sa.Column("destination", sa.String(80), nullable=True))
        batch.add_column(
            sa.Column(
                "for_recipient_marketing",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosures") as batch:
        batch.drop_column("for_recipient_marketing")
        batch.drop_column("destination")
        batch.drop_column("transfer")
        batch.drop_column("authorisation_ref")
        batch.drop_column("authorised_on")
