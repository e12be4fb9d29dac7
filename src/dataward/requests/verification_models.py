"""Identity verification tables: codes (only their HMAC), checks done, documents awaiting one.

Nothing here holds an answer or a code in clear: a code is kept as an HMAC under the
request's data key, a knowledge check as matched / not matched per question, and an ID
document only sealed, and only until a caseworker has checked it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class RequestCode(Base):
    """A one-time code emailed to the requester: single use, expiring, five tries."""

    __tablename__ = "request_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    # The request's codes in order: only the latest one counts.
    seq: Mapped[int] = mapped_column(Integer)
    # HMAC-SHA256 of the code under the request's data key (the key store holds the key).
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class IdentityCheckRecord(Base):
    """One check of the requester's identity: how, with what outcome, by whom, when."""

    __tablename__ = "request_identity_checks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    # email_code | knowledge_check | document
    method: Mapped[str] = mapped_column(String(32))
    # verified | email_confirmed | not_verified | accepted | rejected
    outcome: Mapped[str] = mapped_column(String(24))
    # Knowledge checks: question -> matched | not_matched | not_on_record (never the answer).
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Documents: the kind seen (passport, driving_licence...), never its contents.
    document_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    on: Mapped[date] = mapped_column(Date)
    # The caseworker's note, sealed under the request's key.
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class IdentityDocument(Base):
    """An uploaded ID document waiting for its check; the row goes once it is checked."""

    __tablename__ = "request_identity_documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    document_kind: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    # The subject's key when one is linked, else the request's: shredded with its owner.
    key_id: Mapped[str] = mapped_column(String(36))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
