"""Erasure (ERA-01..03): the ground relied on, the plan a DPO approves, its steps, the proof.

No personal data lives in these tables: a plan counts rows and cites each row by a digest
of its table and key (``plan.key_digest``), never by a value of the row. The same digests
are the evidence's, so "was this row erased?" is answered without keeping the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime

# A plan's life: planned -> approved -> running -> done; or stale (the data changed since
# it was planned: re-plan), rejected (a person sent it back, with a reason in the request's
# history: re-plan) or superseded (a newer plan replaced it before approval).
PLANNED = "planned"
APPROVED = "approved"
RUNNING = "running"
DONE = "done"
STALE = "stale"
SUPERSEDED = "superseded"
REJECTED = "rejected"
PLAN_STATES = (PLANNED, APPROVED, RUNNING, DONE, STALE, SUPERSEDED, REJECTED)
# A plan still to finish: a newer plan is refused while one of these exists.
LIVE = (APPROVED, RUNNING)

# What a step does to its binding's rows.
ERASE = "erase"
KEEP = "keep"
# A step's life: pending -> executing (its source about to change; committed first, so a
# resumed run knows the source may already have changed) -> done; kept steps stay kept.
STEP_PENDING = "pending"
STEP_EXECUTING = "executing"
STEP_DONE = "done"
STEP_KEPT = "kept"
# A file of a row that goes: recorded (with its path) before its source changes, deleted
# after the source commits (its path then forgotten), or kept with its row (a hold).
FILE_PENDING = "pending"
FILE_DELETED = "deleted"
FILE_KEPT = "kept"


class ErasureGround(Base):
    """The Art 17(1) ground the subject relies on (ERA-01): one per request."""

    __tablename__ = "erasure_grounds"
    __table_args__ = (UniqueConstraint("request_id", name="uq_erasure_grounds_request"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), ForeignKey("rights_requests.id"))
    # One of ``plan.GROUNDS``: a code, never the subject's words.
    ground: Mapped[str] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasurePlan(Base):
    """One dry run of an erasure request, citing the sources and register versions it read."""

    __tablename__ = "erasure_plans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80), index=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"))
    ground: Mapped[str] = mapped_column(String(40))
    sources_version: Mapped[int] = mapped_column(Integer)
    register_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    rows_erased: Mapped[int] = mapped_column(Integer, default=0)
    rows_kept: Mapped[int] = mapped_column(Integer, default=0)
    files_erased: Mapped[int] = mapped_column(Integer, default=0)
    # Nothing kept anywhere: dataward's own copies of the person are shredded when done.
    shred_when_done: Mapped[bool] = mapped_column(Boolean, default=False)
    shredded: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_source: Mapped[str | None] = mapped_column(String(80), default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    planned_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasureStep(Base):
    """What the plan does to one binding of one dataset: erase its rows (how), or keep them.

    ``how`` maps each column with a strategy to ``delete_row``, ``set_null``,
    ``anonymise:<rule>`` or ``keep``. The digests of the rows that go are its
    ``ErasureStepKey`` rows (written in batches), so a stale plan is seen at execution.
    """

    __tablename__ = "erasure_steps"
    __table_args__ = (
        UniqueConstraint("plan_id", "dataset", "binding", name="uq_erasure_steps_binding"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(36), ForeignKey("erasure_plans.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(80))
    binding: Mapped[int] = mapped_column(Integer)
    connection: Mapped[str] = mapped_column(String(80))
    # Execution order within a source: children (longer relation chains) first.
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))
    how: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    rows_kept: Mapped[int] = mapped_column(Integer, default=0)
    # Why rows are kept: a code (legal_hold, hold_predicate, no_strategy, read_only, by_hand)
    # and the hold refs or ids; never personal data.
    kept_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    kept_detail: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(16))


class ErasureEvidence(Base):
    """The proof of one step (ERA-03): what went or stayed, how many, when, by which worker."""

    __tablename__ = "erasure_evidence"
    __table_args__ = (UniqueConstraint("step_id", name="uq_erasure_evidence_step"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(36), ForeignKey("erasure_plans.id"), index=True)
    step_id: Mapped[str] = mapped_column(String(36), ForeignKey("erasure_steps.id"))
    dataset: Mapped[str] = mapped_column(String(80))
    binding: Mapped[int] = mapped_column(Integer)
    connection: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(8))
    how: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    rows_kept: Mapped[int] = mapped_column(Integer, default=0)
    # sha256 of the sorted digests of the rows that went, one per line (``keys_digest``);
    # the digests themselves stay in ``erasure_step_keys`` (not held).
    keys_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    kept_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    kept_detail: Mapped[str | None] = mapped_column(Text, default=None)
    # The source had already changed when this run began (a resumed run after a crash).
    resumed: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str] = mapped_column(String(100))
    sources_version: Mapped[int] = mapped_column(Integer)
    register_version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasureStepKey(Base):
    """A row a step erases, cited by its digest (``survey.key_digest``); ``held`` when a
    hold placed since approval kept it. "Was this row erased?": a key of a done step, not
    held."""

    __tablename__ = "erasure_step_keys"

    step_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("erasure_steps.id"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(32), primary_key=True)
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ErasureStepFile(Base):
    """A file of a row that goes. Recorded with its path when the source's steps are marked
    ``executing`` (committed before the source changes); deleted after the source commits,
    its path then cleared. A resumed run deletes the files still ``pending``."""

    __tablename__ = "erasure_step_files"
    __table_args__ = (Index("ix_erasure_step_files_step_state", "step_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    step_id: Mapped[str] = mapped_column(String(36), ForeignKey("erasure_steps.id"))
    digest: Mapped[str] = mapped_column(String(32))
    connection: Mapped[str] = mapped_column(String(80))
    path: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(12))
