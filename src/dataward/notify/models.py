"""Notice-change campaigns: one row per (organisation, from version, to version).

A campaign is a ``draft`` until a person with ``campaigns:approve`` approves it (issue 14,
item 9): nothing is queued for a draft. Approved, it is ``queueing`` (workers walk the
subjects in batches), then ``queued`` (every message is in the outbox; the console shows it
as sending, then done, from the outbox's own counts). A ``paused`` campaign queues nothing
and its unsent messages are held; ``cancelled`` is final.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime

DRAFT, QUEUEING, QUEUED, PAUSED, CANCELLED, STALLED = (
    "draft",
    "queueing",
    "queued",
    "paused",
    "cancelled",
    "stalled",
)


class NoticeCampaign(Base):
    __tablename__ = "notice_campaigns"
    __table_args__ = (
        UniqueConstraint(
            "organisation", "from_version", "to_version", name="uq_notice_campaigns_organisation"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    notice_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    # Subjects are walked in id order; the cursor is the last id a batch finished.
    cursor: Mapped[str] = mapped_column(String(36), default="")
    subjects_total: Mapped[int] = mapped_column(Integer, default=0)
    subjects_seen: Mapped[int] = mapped_column(Integer, default=0)
    messages_queued: Mapped[int] = mapped_column(Integer, default=0)
    without_email: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    paused_by: Mapped[str | None] = mapped_column(String(200), default=None)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(200), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Each approval or resumption starts a new chain of batch jobs under a new number; a
    # job of an older chain (still due from before a pause) does nothing, so one campaign
    # never has two chains walking its subjects at once.
    generation: Mapped[int] = mapped_column(Integer, default=0)
