"""Tables of publication: stored register versions, notice versions, significant changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class RegisterVersion(Base):
    """One loaded version of an organisation's register, with its source text."""

    __tablename__ = "register_versions"
    __table_args__ = (
        UniqueConstraint("organisation", "version", name="uq_register_versions_organisation"),
        Index("ix_register_versions_organisation_hash", "organisation", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_text: Mapped[str] = mapped_column(Text)


class NoticeVersionRow(Base):
    """One published version of an organisation's notice (NTC-03).

    A new row is made only when what the notice says changes: a register edit that only
    touches comments or fact references keeps the notice version.
    """

    __tablename__ = "notice_versions"
    __table_args__ = (
        UniqueConstraint("organisation", "version", name="uq_notice_versions_organisation"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    register_version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    declared_id: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NoticeChange(Base):
    """Significant changes between two notice versions, waiting to be sent to subjects.

    The notification worker sets ``notified_at`` once subjects have been told (NTC-03).
    """

    __tablename__ = "notice_changes"
    __table_args__ = (
        Index("ix_notice_changes_pending", "notified_at", "organisation"),
        UniqueConstraint(
            "organisation", "to_version", name="uq_notice_changes_organisation_to_version"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    significant: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
