"""The legal holds table: what is held, why, by whom, until when it is reviewed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class LegalHold(Base):
    """One hold: a subject's data, a case or one record, in some datasets, kept from deletion.

    No personal data lives here: the subject is a foreign key, the case and record are the
    organisation's own references (pseudonymous ids in its systems), the reason is a code.
    """

    __tablename__ = "legal_holds"
    __table_args__ = (
        # The retention engine asks "what holds this case / subject now": organisation first.
        Index("ix_legal_holds_scope", "organisation", "scope", "case_ref"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The reference staff quote: safe in logs and the audit chain.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    # The register's hold this one is an instance of (e.g. complaint_on_case); None: a hold
    # the register does not describe (a litigation hold placed by the DPO, say).
    hold_id: Mapped[str | None] = mapped_column(String(80), default=None)
    # complaint | investigation | litigation | debt_outstanding | live_case | evidence |
    # legal_matter | restriction | other (the register's hold reasons).
    reason: Mapped[str] = mapped_column(String(24))
    # subject | case | record: what the hold sits on.
    scope: Mapped[str] = mapped_column(String(16))
    # Whose data (scope subject), or whom the case or record is about: the hold is then
    # listed on their page. Only the scope says what the hold covers.
    subject_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("subjects.id"), default=None, index=True
    )
    case_ref: Mapped[str | None] = mapped_column(String(120), default=None)
    record_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    # Dataset ids of the register the hold keeps; never empty.
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Who answers for the hold (a staff email): it is reviewed by them on ``review_on``.
    owner: Mapped[str] = mapped_column(String(200))
    review_on: Mapped[date] = mapped_column(Date)
    placed_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    # What the register says happens at closure: restart_after | restart_rule | resume |
    # keep | unspecified (the register is silent, so the rule simply resumes).
    on_close: Mapped[str] = mapped_column(String(16))
    # With restart_after: the day the held data may be deleted, fixed when the hold closes.
    release_on: Mapped[date | None] = mapped_column(Date, default=None)
    # The complaint that placed it, if any: closing the complaint closes the hold.
    complaint_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("complaints.id"), default=None, index=True
    )
    placed_by: Mapped[str] = mapped_column(String(200))
    closed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
