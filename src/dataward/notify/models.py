"""Notice-change campaigns: one row per (organisation, from version, to version)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


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
    status: Mapped[str] = mapped_column(String(16), default="queueing")
    # Subjects are walked in id order; the cursor is the last id a batch finished.
    cursor: Mapped[str] = mapped_column(String(36), default="")
    subjects_total: Mapped[int] = mapped_column(Integer, default=0)
    subjects_seen: Mapped[int] = mapped_column(Integer, default=0)
    messages_queued: Mapped[int] = mapped_column(Integer, default=0)
    without_email: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
