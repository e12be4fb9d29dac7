"""Reminders about request deadlines and the DPO's daily digest: one row per thing told.

Each row is written in the same unit of work as the outbox message it stands for, and its
unique key says what was told (a request's kind of reminder for one due date; a DPO's
digest for one day). A worker killed before the commit leaves neither, so the next sweep
sends it; a second sweep, at the same time or later, finds the row and sends nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class RequestReminder(Base):
    __tablename__ = "request_reminders"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", "due_on", name="uq_request_reminders_request_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    organisation: Mapped[str] = mapped_column(String(80))
    # due_in_<n>_days | due_tomorrow | overdue | due_moved
    kind: Mapped[str] = mapped_column(String(24))
    # The due date the reminder was about: a moved date earns its reminders again.
    due_on: Mapped[date] = mapped_column(Date)
    # Who was told, by reference only: "user:u_..." (the assignee), "role:dpo" (the DPO
    # users, for want of an assignee with an address), or None: nobody could be told.
    recipient: Mapped[str | None] = mapped_column(String(200), default=None)
    # Messages queued (0 when undeliverable).
    messages: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestDigest(Base):
    """The DPO's daily digest of an organisation's requests, once per user and day."""

    __tablename__ = "request_digests"
    __table_args__ = (
        UniqueConstraint(
            "organisation", "user_ref", "sent_on", name="uq_request_digests_organisation"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    user_ref: Mapped[str] = mapped_column(String(32))
    sent_on: Mapped[date] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(36))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
