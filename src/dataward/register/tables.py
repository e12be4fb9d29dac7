"""Tables of the register domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
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
