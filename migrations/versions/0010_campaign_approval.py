"""Notice-change campaigns wait for a person's approval (issue 14, item 9).

Adds who approved, paused and cancelled a campaign, and when. A campaign that was still
``queueing`` when this runs becomes a ``draft`` again, and its messages not yet sent are
``held``: no person ever decided to send them, so one decides now (approving it continues
from where it stopped, sending nobody twice). Campaigns that had queued everything stay as
they are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("approved_by", sa.String(200)),
    ("approved_at", sa.DateTime(timezone=True)),
    ("paused_by", sa.String(200)),
    ("paused_at", sa.DateTime(timezone=True)),
    ("cancelled_by", sa.String(200)),
    ("cancelled_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch copy of the table would trip SQLite's
    # foreign keys from outbox_messages.
    for name, type_ in _COLUMNS:
        op.add_column("notice_campaigns", sa.Column(name, type_, nullable=True))
    op.add_column(
        "notice_campaigns",
        sa.Column("generation", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.execute(
        "UPDATE outbox_messages SET status = 'held' WHERE status = 'queued' AND campaign_id IN "
        "(SELECT id FROM notice_campaigns WHERE status = 'queueing')"
    )
    op.execute("UPDATE notice_campaigns SET status = 'draft' WHERE status = 'queueing'")


def downgrade() -> None:
    # Held messages go back to waiting under a campaign that resumes queueing: the state
    # before this revision, whose code knew neither drafts nor holds.
    op.execute(
        "UPDATE outbox_messages SET status = 'queued' WHERE status = 'held' AND campaign_id IN "
        "(SELECT id FROM notice_campaigns WHERE status IN ('draft', 'paused'))"
    )
    op.execute(
        "UPDATE notice_campaigns SET status = 'queueing' WHERE status IN ('draft', 'paused')"
    )
    op.drop_column("notice_campaigns", "generation")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("notice_campaigns", name)
