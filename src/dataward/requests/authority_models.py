"""The authority of someone acting for a subject (SAR-10): one record per such request.

The description of the evidence (who signed what, the order's number) is personal data and
is sealed under the request's own key, so it is shredded with the request.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class RequestAuthority(Base):
    __tablename__ = "request_authorities"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), unique=True
    )
    # signed_authority | lasting_power_of_attorney | deputyship_order |
    # parental_responsibility | other; None while it is asked for and has not arrived.
    evidence: Mapped[str | None] = mapped_column(String(32), default=None)
    description_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # SAR-05: the day the controller asked for the authority; the clock waits until it is
    # accepted. None when it came with the request.
    asked_on: Mapped[date | None] = mapped_column(Date, default=None)
    checked_on: Mapped[date | None] = mapped_column(Date, default=None)
    checked_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # accepted | not_enough | refused; None until someone has checked it.
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    # Where replies go, as far as the authority allows: representative | subject | both.
    replies_to: Mapped[str] = mapped_column(String(16), default="representative")
    # A parent acting for a child: the child's date of birth or age band, the competence
    # finding (DPA 2018 s208 in Scotland) and the competent child's own agreement.
    child_born_on: Mapped[date | None] = mapped_column(Date, default=None)
    child_age_band: Mapped[str | None] = mapped_column(String(16), default=None)
    competence: Mapped[str | None] = mapped_column(String(24), default=None)
    child_agreed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
