"""TOTP secrets sealed at rest: users.totp_secret widened to hold a sealed value.

A sealed secret is ``v1:`` and the base64 of nonce + AES-GCM ciphertext (83 characters for
a 32-character base32 secret), more than the 64 the column had. The rows themselves are
sealed by ``encrypt_legacy_totp``, which ``dataward serve`` and ``dataward db upgrade`` run
right after migrating: a migration cannot count on seeing the key (DATAWARD_SECRET_KEY is
the server's, not the database's), and sealing with the application's own code keeps one
format. Until then a legacy value is still recognised (no prefix) and sealed on first use.

Downgrade narrows the column again only when no sealed value would be cut: it refuses
while any secret is sealed (clear those users' TOTP first), rather than lose them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "totp_secret",
            existing_type=sa.String(64),
            type_=sa.String(128),
            existing_nullable=True,
        )


def downgrade() -> None:
    sealed = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM users WHERE totp_secret LIKE 'v1:%'")
    )
    if sealed:
        raise RuntimeError(
            f"{sealed} TOTP secrets are sealed and do not fit the old column: clear those "
            "users' TOTP (`dataward user reset USERNAME --clear-totp`) before downgrading"
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "totp_secret",
            existing_type=sa.String(128),
            type_=sa.String(64),
            existing_nullable=True,
        )
