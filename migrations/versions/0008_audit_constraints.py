"""Audit rows have positive ids and sequence numbers (issue 14, item 2).

dataward never writes an id or seq of 0 or below; a row like that can only be forged, and
one placed below the first id used to escape a walk that started "above 0". The database
now refuses such a row on both backends (SQLite rebuilds the table in batch mode to add
the CHECKs; the unique index on seq, and the subject_ref index, come through the rebuild).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CHECKS = {"ck_audit_events_id_positive": "id > 0", "ck_audit_events_seq_positive": "seq > 0"}


def upgrade() -> None:
    bind = op.get_bind()
    forged = bind.execute(sa.text("SELECT count(*) FROM audit_events WHERE id <= 0 OR seq <= 0"))
    count = int(forged.scalar_one())
    if count:
        # Never drop audit rows silently: the chain's owner must see them first.
        raise RuntimeError(
            f"audit_events holds {count} row(s) with an id or seq of 0 or below, which "
            "dataward never writes: run `dataward audit verify`, keep a copy of the table "
            "as evidence, remove those rows, and upgrade again"
        )
    with op.batch_alter_table("audit_events") as batch:
        for name, condition in _CHECKS.items():
            batch.create_check_constraint(op.f(name), sa.text(condition))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        for name in _CHECKS:
            batch.drop_constraint(op.f(name), type_="check")
