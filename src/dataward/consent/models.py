"""Consent tables. Evidence is sealed under the subject's key; nothing here names a person.

``consent_records`` follows the shape of ISO/IEC TS 27560 (a record per subject, purpose and
channel with its notice version, method, state and time) and ``consent_events`` is its
history: a withdrawal adds an event and changes the state, it never erases what was given.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class ConsentRecord(Base):
    __tablename__ = "consent_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Public, pseudonymous id of the record: decisions cite it as "relied on".
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"))
    # consent | soft_opt_in | preference
    kind: Mapped[str] = mapped_column(String(16))
    # A register purpose id, or a register preference id when kind is "preference".
    purpose: Mapped[str] = mapped_column(String(80))
    # "" when the record is not about a contact channel (keeps the unique key simple).
    channel: Mapped[str] = mapped_column(String(20), default="")
    # given | withdrawn (a preference: given = on, withdrawn = off)
    state: Mapped[str] = mapped_column(String(12))
    notice_version: Mapped[str] = mapped_column(String(80))
    register_version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    evidence_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index(
            "uq_consent_records_subject",
            "subject_id",
            "kind",
            "purpose",
            "channel",
            unique=True,
        ),
    )


class ConsentEvent(Base):
    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(36), ForeignKey("consent_records.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    # given | withdrawn | renewed
    event: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    method: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(200))


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    # direct_marketing (OBJ-02, absolute) | legitimate_interests (OBJ-01)
    kind: Mapped[str] = mapped_column(String(24))
    # Channels a direct-marketing objection names ("any" = all of them).
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Purposes an LI objection is about (empty: every LI/public-task purpose).
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    method: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # LI only: pending | upheld | compelling_grounds
    outcome: Mapped[str] = mapped_column(String(20))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    outcome_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class Restriction(Base):
    __tablename__ = "restrictions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    # Purposes restricted; empty means all processing of the subject's data.
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    ground: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    subject_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class TpsNumber(Base):
    """One number on the TPS or CTPS list, as an HMAC digest (see ``consent/tps.py``)."""

    __tablename__ = "tps_numbers"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    list_name: Mapped[str] = mapped_column(String(4), primary_key=True)


class TpsImport(Base):
    __tablename__ = "tps_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    list_name: Mapped[str] = mapped_column(String(4))
    mode: Mapped[str] = mapped_column(String(8))
    numbers: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CookieConsent(Base):
    """One banner choice, as a controller proves consent (MKT-05). No personal data."""

    __tablename__ = "cookie_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    visitor: Mapped[str] = mapped_column(String(64), index=True)
    policy_version: Mapped[str] = mapped_column(String(64))
    text_hash: Mapped[str] = mapped_column(String(64))
    # {"category id": true|false, ...}
    choice: Mapped[dict[str, bool]] = mapped_column(JSON)
    gpc: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Suppression(Base):
    """A stop on marketing that outlives a shredded subject (issue 19), by blind index only.

    ``digest`` is the blind-index digest of one of the person's identities (the HMAC the key
    store finds subjects by): it finds the same identity again when it comes back, and holds
    nothing that can be read or decrypted. No row links to the subject.
    """

    __tablename__ = "marketing_suppressions"
    __table_args__ = (Index("ix_marketing_suppressions_lookup", "organisation", "kind", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation: Mapped[str] = mapped_column(String(80))
    # The identity kind the digest was made for (email, phone, ...).
    kind: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    # A contact channel, or "any" for every one of them.
    channel: Mapped[str] = mapped_column(String(20))
    # Marketing purposes the stop was about; empty: every marketing purpose.
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # objected_to_marketing | opted_out | consent_withdrawn (the stop that was in force)
    reason: Mapped[str] = mapped_column(String(32))
    suppressed_at: Mapped[datetime] = mapped_column(UTCDateTime())
