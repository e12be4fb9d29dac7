"""Subject tables. Identity values are stored only as ciphertext under the subject's key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dataward.db import Base, UTCDateTime


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    # A pseudonymous reference safe for logs, URLs and the audit chain.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    key_id: Mapped[str] = mapped_column(String(36))
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    merged_into: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subjects.id"), default=None
    )
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    identities: Mapped[list[SubjectIdentity]] = relationship(
        back_populates="subject", order_by="SubjectIdentity.created_at"
    )


class SubjectIdentity(Base):
    __tablename__ = "subject_identities"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Set when the identity came to this subject by a merge: the history of who had it.
    origin_subject_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    subject: Mapped[Subject] = relationship(back_populates="identities")
