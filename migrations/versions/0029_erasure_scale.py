"""Erasure at scale: planned key digests and pending files in child tables (issue 19).

A step's key digests move from a JSON list to ``erasure_step_keys`` (written in batches),
the evidence cites a digest of them and their count, and the files of the rows that go
are recorded in ``erasure_step_files`` before their source changes (crash-safe deletion).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasure_step_keys",
        sa.Column("step_id", sa.String(36), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(
            ["step_id"], ["erasure_steps.id"], name="fk_erasure_step_keys_step_id_erasure_steps"
        ),
        sa.PrimaryKeyConstraint("step_id", "digest", name="pk_erasure_step_keys"),
    )
    op.create_table(
        "erasure_step_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("step_id", sa.String(36), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("connection", sa.String(80), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_id"], ["erasure_steps.id"], name="fk_erasure_step_files_step_id_erasure_steps"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_erasure_step_files"),
    )
    op.create_index("ix_erasure_step_files_step_state", "erasure_step_files", ["step_id", "state"])
    with op.batch_alter_table("erasure_steps") as batch:
        batch.drop_column("keys")
    with op.batch_alter_table("erasure_evidence") as batch:
        batch.drop_column("keys")
        batch.add_column(sa.Column("keys_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erasure_evidence") as batch:
        batch.drop_column("keys_digest")
        batch.add_column(sa.Column("keys", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("erasure_steps") as batch:
        batch.add_column(sa.Column("keys", sa.JSON(), nullable=False, server_default="[]"))
    op.drop_index("ix_erasure_step_files_step_state", table_name="erasure_step_files")
    op.drop_table("erasure_step_files")
    op.drop_table("erasure_step_keys")
