"""Audit table. Rows are append-only; each carries the hash of the row before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_audit_events_seq"),
        # dataward writes ids and seqs from 1; a row at 0 or below can only be forged
        # (issue 14, item 2), so the database refuses it (migration 0008).
        CheckConstraint("id > 0", name="id_positive"),
        CheckConstraint("seq > 0", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(200))
    # Indexed: a subject's page reads its timeline from the chain by this ref.
    subject_ref: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    before_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    after_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
