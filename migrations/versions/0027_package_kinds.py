"""Package kinds: a request may have an access package and a portability package (issue 19).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every package so far answered a right of access.
    with op.batch_alter_table("access_packages") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="access"))
        batch.drop_constraint("uq_access_packages_request", type_="unique")
        batch.create_unique_constraint("uq_access_packages_request_kind", ["request_id", "kind"])


def downgrade() -> None:
    with op.batch_alter_table("access_packages") as batch:
        batch.drop_constraint("uq_access_packages_request_kind", type_="unique")
        batch.create_unique_constraint("uq_access_packages_request", ["request_id"])
        batch.drop_column("kind")
