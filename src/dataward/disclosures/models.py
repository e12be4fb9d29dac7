"""The disclosure log, the notices recipients were sent, and rectifications made.

No personal data lives in these tables beyond the subject's foreign key: recipients,
datasets and purposes are the register's ids, references are the organisation's own. A
rectification's new value and the subject's statement are sealed under the request's key.
"""

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
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class Disclosure(Base):
    """One disclosure: some of a subject's datasets went to one of the register's recipients."""

    __tablename__ = "disclosures"
    __table_args__ = (
        # Who received this person's data is asked on every erasure and rectification.
        Index("ix_disclosures_recipient", "organisation", "recipient"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The reference staff quote: safe in logs and the audit chain.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    # The register's recipient id.
    recipient: Mapped[str] = mapped_column(String(80))
    # The register's dataset ids that went; never empty.
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The register's purpose the disclosure served, and the Art 6 basis it relied on.
    purpose: Mapped[str] = mapped_column(String(80))
    basis: Mapped[str] = mapped_column(String(40))
    disclosed_on: Mapped[date] = mapped_column(Date)
    # The organisation's own reference for it (a letter, a file transfer), quoted to the
    # recipient when telling them of a change; None when there is none.
    reference: Mapped[str | None] = mapped_column(String(120), default=None)
    # The register checks it passed (NTC-01): where the register shares with the recipient
    # only if the person authorised it, when they did and our reference for the evidence;
    # outside the UK, the register's transfer it went under and the country; and whether
    # it went for the recipient's own marketing.
    authorised_on: Mapped[date | None] = mapped_column(Date, default=None)
    authorisation_ref: Mapped[str | None] = mapped_column(String(120), default=None)
    transfer: Mapped[str | None] = mapped_column(String(80), default=None)
    destination: Mapped[str | None] = mapped_column(String(80), default=None)
    for_recipient_marketing: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecipientNotice(Base):
    """NOT-01: one recipient told (or not, and why) of one change a request made."""

    __tablename__ = "recipient_notices"
    __table_args__ = (
        # Telling again for the same change finds this row: a recipient is told once.
        UniqueConstraint("request_id", "recipient", "change", name="uq_recipient_notices_once"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(80))
    # erasure | rectification | restriction
    change: Mapped[str] = mapped_column(String(16))
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The disclosures' refs the notice is about.
    disclosures: Mapped[list[str]] = mapped_column(JSON, default=list)
    # told | impossible | disproportionate
    outcome: Mapped[str] = mapped_column(String(16))
    # Why not told: a code (no_contact) or the caseworker's words; never personal data.
    reason: Mapped[str | None] = mapped_column(String(400), default=None)
    message_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("outbox_messages.id"), default=None
    )
    told_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Rectification(Base):
    """REC-01: one correction a request asked for, applied to a source or recorded as not."""

    __tablename__ = "rectifications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(80))
    column: Mapped[str] = mapped_column(String(80))
    # applied | not_applied
    outcome: Mapped[str] = mapped_column(String(16))
    # With not_applied: opinion | other (the words are in the sealed statement's reason).
    reason: Mapped[str | None] = mapped_column(String(16), default=None)
    # The corrected value, sealed under the request's key.
    value_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # With not_applied: why, and the subject's supplementary statement (JSON), sealed.
    statement_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    sources_version: Mapped[int | None] = mapped_column(Integer, default=None)
    # With applied: how the new data's accuracy was checked (``ACCURACY_CHECKS``), where
    # the caseworker recorded it; the register's ``verify_accuracy`` makes it required.
    accuracy_check: Mapped[str | None] = mapped_column(String(24), default=None)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
