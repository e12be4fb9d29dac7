"""Reminders about a complaint's clocks (CMP-01): one row per thing told.

Each row is written in the same unit of work as the outbox messages it stands for, and its
unique key says what was told (a complaint's kind of reminder for one due day). A worker
killed before the commit leaves neither, so the next sweep sends it; a second sweep, at the
same time or later, finds the row and sends nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class ComplaintReminder(Base):
    __tablename__ = "complaint_reminders"
    __table_args__ = (
        UniqueConstraint(
            "complaint_id", "kind", "due_on", name="uq_complaint_reminders_complaint_id"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36), ForeignKey("complaints.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(80))
    # acknowledgement_due_in_<n>_days | acknowledgement_due_tomorrow |
    # acknowledgement_overdue | outcome_due_in_<n>_days | outcome_due_tomorrow | outcome_overdue
    kind: Mapped[str] = mapped_column(String(40))
    # The day the clock runs out (acknowledge_by or outcome_target_on).
    due_on: Mapped[date] = mapped_column(Date)
    # Who was told, by reference only: "role:dpo", or None: nobody could be told.
    recipient: Mapped[str | None] = mapped_column(String(200), default=None)
    # Messages queued (0 when undeliverable).
    messages: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
