"""Rights request tables. The requester's details are sealed under the request's own key."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class RightsRequest(Base):
    __tablename__ = "rights_requests"
    __table_args__ = (
        # The queue walks this in order and stops after a page (``requests.queue._page``).
        Index("ix_rights_requests_queue", "due_on", "received_on", "ref"),
        # The urgency counts read only this index (state, then the two dates they test).
        Index("ix_rights_requests_urgency", "state", "due_on", "paused_since"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The reference the requester and staff quote: pseudonymous, safe in logs and the chain.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    rights: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Rights asked for that the register says do not apply here: explained, never dropped.
    not_offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24))
    nation: Mapped[str] = mapped_column(String(3))
    # SAR-01: the day the request actually arrived, which may be before it was entered.
    received_on: Mapped[date] = mapped_column(Date)
    # SAR-05: the day the clock runs from; None while identity or a fee is awaited.
    clock_starts_on: Mapped[date | None] = mapped_column(Date, default=None)
    # SAR-06: days the clock stood still for clarification, and the open pause if any.
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    paused_since: Mapped[date | None] = mapped_column(Date, default=None)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    # SAR-04: an extension must be announced by this day (the first month, moved by pauses).
    extension_notice_by: Mapped[date | None] = mapped_column(Date, default=None)
    subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subjects.id"), default=None, index=True
    )
    # SAR-10: who asked: "self", or the kind of person acting for the subject.
    requester_kind: Mapped[str] = mapped_column(String(24), default="self")
    key_id: Mapped[str] = mapped_column(String(36))
    # JSON of the requester's name, contact details and words, sealed under ``key_id``.
    requester_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    identity_verified_on: Mapped[date | None] = mapped_column(Date, default=None)
    identity_method: Mapped[str | None] = mapped_column(String(32), default=None)
    assignee: Mapped[str | None] = mapped_column(String(200), default=None)
    # responded | refused | withdrawn | deceased, once closed.
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    # The legal reason a refused request was refused for (``requests.refusal_reasons``).
    refusal_reason: Mapped[str | None] = mapped_column(String(48), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The request this one was split from (a request asking for several rights).
    parent_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), default=None, index=True
    )


class RequestEvent(Base):
    """One step of a request's history: who, when, from which state to which, and why."""

    __tablename__ = "request_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The day the step took effect (a letter that arrived yesterday is entered today).
    on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(24), default=None)
    to_state: Mapped[str] = mapped_column(String(24))
    # The reason in the caseworker's words, sealed under the request's key.
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
