"""Access packages and what was built into them, redacted from them and withheld.

No personal data lives in these tables: rows and files are staged and packaged in files
sealed under the subject's data key (``crypto.sealed_files``); a redaction is an offset into
one staged row, a withholding's reason is sealed under the same key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime

# A package's life: queued -> building -> review -> approved -> ready -> deleted.
QUEUED = "queued"
BUILDING = "building"
REVIEW = "review"
APPROVED = "approved"
READY = "ready"
DELETED = "deleted"
STATES = (QUEUED, BUILDING, REVIEW, APPROVED, READY, DELETED)

# What a package answers: a right of access (ACC-01), or portability (POR-01: only what the
# subject provided, for datasets processed under consent or contract, as JSON and CSV).
ACCESS = "access"
PORTABILITY = "portability"
KINDS = (ACCESS, PORTABILITY)
# While building, a source can be down: the job retries; the package stays ``building``
# with ``failed_source`` naming the connection, and the request is never marked complete.

PART_PENDING = "pending"
PART_DONE = "done"

APPLIED = "applied"
UNDONE = "undone"

WITHHELD = "withheld"
RELEASED = "released"


class AccessPackage(Base):
    """One request's package of one kind: one per request and kind, so a resumed build
    never makes a second."""

    __tablename__ = "access_packages"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", name="uq_access_packages_request_kind"),
        # The expiry sweep looks for ready packages past their date.
        Index("ix_access_packages_state_expires", "state", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    request_id: Mapped[str] = mapped_column(String(36), ForeignKey("rights_requests.id"))
    kind: Mapped[str] = mapped_column(String(16), default=ACCESS, server_default=ACCESS)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"))
    # The subject's data key (the survivor's, after merges): staged parts, the package and
    # withholding reasons are sealed under it, so shredding the subject shreds them.
    key_id: Mapped[str] = mapped_column(String(36))
    # The stored sources version the build searched (SAR-07 evidence cites it).
    sources_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    # The finished, sealed ZIP: its size (bytes) and SHA-256 of the plaintext.
    size: Mapped[int | None] = mapped_column(Integer, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    # Set while a source cannot be read: the connection's name and the error code.
    failed_source: Mapped[str | None] = mapped_column(String(80), default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    queued_by: Mapped[str] = mapped_column(String(200))
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PackagePart(Base):
    """One binding of one dataset, staged: done parts are skipped when a build resumes."""

    __tablename__ = "access_package_parts"
    __table_args__ = (
        UniqueConstraint("package_id", "dataset", "binding", name="uq_access_package_parts"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    package_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("access_packages.id"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(80))
    # The binding's index in the sources file's list for the dataset.
    binding: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=PART_PENDING)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    redactions: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Redaction(Base):
    """A third party's details found in a free-text cell (ACC-02): an offset, not the text."""

    __tablename__ = "access_redactions"
    __table_args__ = (Index("ix_access_redactions_part", "package_id", "part_id", "row_no"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    package_id: Mapped[str] = mapped_column(String(36), ForeignKey("access_packages.id"))
    part_id: Mapped[str] = mapped_column(String(36), ForeignKey("access_package_parts.id"))
    # The row's position in its staged part (0-based) and the column redacted in it.
    row_no: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(128))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    # What was recognised: email | phone | ni_number | reference | postcode | name |
    # other_subject (a value the blind index says belongs to another subject).
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16), default=APPLIED)
    changed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Withholding(Base):
    """An item kept out of the package under an exemption (ACC-03), with its reason."""

    __tablename__ = "access_withholdings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    package_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("access_packages.id"), index=True
    )
    part_id: Mapped[str] = mapped_column(String(36), ForeignKey("access_package_parts.id"))
    # One row (and its files) of the part; None withholds the whole part.
    row_no: Mapped[int | None] = mapped_column(Integer, default=None)
    # The exemption relied on, as the register names it (rights.access.exemptions) or one of
    # the DPA 2018 schedule exemptions dataward knows.
    exemption: Mapped[str] = mapped_column(String(200))
    # The reason in the caseworker's words, sealed under the package's key.
    reason_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default=WITHHELD)
    withheld_by: Mapped[str] = mapped_column(String(200))
    withheld_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(200), default=None)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DownloadCode(Base):
    """A one-time code emailed to the subject before a download: the link alone is not
    enough (it may have been forwarded). Single use, expiring, five tries."""

    __tablename__ = "access_download_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    package_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("access_packages.id"), index=True
    )
    # The package's codes in order: only the latest one counts.
    seq: Mapped[int] = mapped_column(Integer)
    # HMAC-SHA256 of the code under the package's data key.
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class PortabilityDestination(Base):
    """POR-01, Art 20(2): the controller a subject asked their portability package to be
    sent to. Its name and the email address the subject gave are sealed under the
    request's own key (shredded with the request); the row keeps only when it was recorded
    and sent, and the outbox message the link went in."""

    __tablename__ = "portability_destinations"

    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), primary_key=True
    )
    organisation: Mapped[str] = mapped_column(String(80))
    # JSON {"name": ..., "email": ...}, sealed under the request's key.
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    message_id: Mapped[str | None] = mapped_column(String(36), default=None)
