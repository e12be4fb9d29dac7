"""Retention runs and their evidence (RET-03): what each run of the register's rules did.

No personal data lives here: evidence counts rows and files and cites them by a digest of
their keys. A batch in progress holds the organisation's own ids of the rows it is about to
act on (and their files' paths, to delete after the rows commit); both are cleared once the
batch is done, leaving its count and digest.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime

# A run's life: running (planned, its records being worked through) -> done.
RUNNING = "running"
DONE = "done"

# An evidence record is ``open`` while its rows are being acted on; every other status is
# final: done (rows deleted or anonymised), flagged (action review: rows flagged, nothing
# changed), or why nothing was done (skipped, waits, needs_decision, not_bound,
# searched_by_hand, trigger_not_bound, unsupported, no_end, never_stored).
OPEN = "open"
FLAGGED = "flagged"
SKIPPED = "skipped"
WAITS = "waits"

# A batch: keys chosen (pending) -> acted on (done).
BATCH_PENDING = "pending"
BATCH_DONE = "done"


class RetentionRun(Base):
    """One run of every retention rule for an organisation, on one day."""

    __tablename__ = "retention_runs"
    # One run per organisation per day: a second start the same day finds it.
    __table_args__ = (UniqueConstraint("organisation", "as_of", name="uq_retention_runs_day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    as_of: Mapped[date] = mapped_column(Date())
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str] = mapped_column(String(100))
    register_version: Mapped[int] = mapped_column(Integer)
    sources_version: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    # Rows to act on known so far (progress): grows as database records finish (tally).
    to_act_on: Mapped[int] = mapped_column(Integer, default=0)


class RetentionEvidence(Base):
    """What one rule did to one dataset's binding in one run (RET-03). Rule-level statuses
    (a vague period) and dataset-level ones (not bound) have an empty connection and table."""

    __tablename__ = "retention_evidence"
    __table_args__ = (
        UniqueConstraint(
            "run_id", "rule", "dataset", "connection", "table_name", name="uq_retention_evidence"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("retention_runs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # the plan's order
    rule: Mapped[str] = mapped_column(String(80))
    dataset: Mapped[str] = mapped_column(String(80))
    connection: Mapped[str] = mapped_column(String(80))
    table: Mapped[str] = mapped_column("table_name", String(200))
    binding: Mapped[int | None] = mapped_column(Integer, nullable=True)  # index in the dataset
    action: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Rows to act on: a database binding's counted when its record finishes (tally).
    due: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # label -> rows kept
    # sha256 chained over the key digests of the rows acted on, batch by batch, in key order.
    keys_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resumed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_key: Mapped[Any] = mapped_column(JSON, nullable=True)  # where the next batch starts
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    register_version: Mapped[int] = mapped_column(Integer)
    sources_version: Mapped[int] = mapped_column(Integer)


class RetentionBatch(Base):
    """Rows of one evidence record chosen to act on together, in one source transaction."""

    __tablename__ = "retention_batches"
    __table_args__ = (UniqueConstraint("evidence_id", "seq", name="uq_retention_batches_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evidence_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("retention_evidence.id"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    # The organisation's own ids, never a value of the row; cleared when done.
    keys: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    # [key, files connection, path] of the rows' files; cleared when done.
    paths: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
