"""Outbox table. The recipient and the rendered message are sealed under a data key: the
subject's own for messages to subjects, so shredding the subject makes them unreadable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_outbox_messages_message_id"),
        # A campaign batch that runs twice still sends each subject one message.
        UniqueConstraint("campaign_id", "subject_id", name="uq_outbox_messages_campaign_id"),
        Index("ix_outbox_messages_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subjects.id"), default=None
    )
    # Pseudonymous, for the console and logs.
    subject_ref: Mapped[str | None] = mapped_column(String(32), default=None)
    key_id: Mapped[str] = mapped_column(String(36))
    # RFC 5322 Message-ID, fixed when queued so a resend is recognisably the same message.
    message_id: Mapped[str] = mapped_column(String(255))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    parked_reason: Mapped[str | None] = mapped_column(Text, default=None)
    campaign_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("notice_campaigns.id"), default=None, index=True
    )
    # A message to a rights request's requester: sealed under the request's key, listed on
    # the request (no foreign key: the outbox stands below the requests domain).
    request_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    # A message to a complainant: sealed under the complaint's key, listed on the complaint
    # (no foreign key either: the outbox stands below the complaints domain).
    complaint_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
