"""Complaint tables. The complainant's details are sealed under the complaint's own key."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        # The queue counts read only this index (state, then the two days it tests).
        Index("ix_complaints_queue", "state", "acknowledge_by", "outcome_target_on"),
        # The closed view (latest closed first) and the API's pages (by day received).
        Index("ix_complaints_closed", "organisation", "state", "closed_on"),
        Index("ix_complaints_received", "organisation", "received_on", "ref"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The reference the complainant and staff quote: pseudonymous, safe in logs and the chain.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # received | acknowledged | investigating | closed
    state: Mapped[str] = mapped_column(String(24))
    # CMP-01: the day the complaint actually arrived, which may be before it was entered.
    received_on: Mapped[date] = mapped_column(Date)
    # CMP-01: acknowledged within 30 days of receipt.
    acknowledge_by: Mapped[date] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date, default=None)
    # The outcome "without undue delay", as the register promises it; None: it promises none.
    outcome_target_on: Mapped[date | None] = mapped_column(Date, default=None)
    # upheld | partly_upheld | not_upheld | withdrawn, once closed.
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    # An unknown person's complaint is kept and linked to a subject later.
    subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subjects.id"), default=None, index=True
    )
    # What the complaint is about (complaints.service.THEMES), for the DPO's figures; the
    # complainant may say, a caseworker may set or correct it. None: not yet said.
    theme: Mapped[str | None] = mapped_column(String(24), default=None)
    # "self", or the kind of person acting for the complainant.
    complainant_kind: Mapped[str] = mapped_column(String(24), default="self")
    # Refs of the rights requests the complaint is about (each in the same organisation).
    request_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_id: Mapped[str] = mapped_column(String(36))
    # JSON of the complainant's name, contact details, words and who acts for them, sealed.
    complainant_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ComplaintEvent(Base):
    """One step of a complaint's history: who, when, from which state to which, and why."""

    __tablename__ = "complaint_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36), ForeignKey("complaints.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The day the step took effect.
    on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(24), default=None)
    to_state: Mapped[str] = mapped_column(String(24))
    # The caseworker's words (a note, the outcome explained), sealed under the complaint's key.
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
