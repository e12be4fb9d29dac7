"""The proof of an erasure (ERA-03), read back: per dataset what went or stayed and why.

Evidence rows are written once per step by ``erasure.executor``; this module only reads
them and the plan's steps, for the CLI, the console and the request's export. Counts, key
digests, codes and versions only: nothing of the person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from dataward.erasure.models import (
    STEP_DONE,
    ErasureEvidence,
    ErasurePlan,
    ErasureStep,
    ErasureStepKey,
)
from dataward.erasure.survey import KEPT_REASONS
from dataward.uow import UnitOfWork


def row_erased(uow: UnitOfWork, plan: ErasurePlan, digest: str) -> bool:
    """Was this row (``survey.key_digest``) erased by the plan? A key of a done step that
    no hold kept."""
    found = uow.session.scalar(
        select(ErasureStepKey.digest)
        .join(ErasureStep, ErasureStep.id == ErasureStepKey.step_id)
        .where(
            ErasureStep.plan_id == plan.id,
            ErasureStep.state == STEP_DONE,
            ErasureStep.action == "erase",
            ErasureStepKey.digest == digest,
            ErasureStepKey.held.is_(False),
        )
    )
    return found is not None


def step_digests(uow: UnitOfWork, step: ErasureStep) -> list[str]:
    """The key digests a step erases (or erased), sorted: for a small step or a test; a
    large one is read a page at a time (``keys.keys_digests``)."""
    return list(
        uow.session.scalars(
            select(ErasureStepKey.digest)
            .where(ErasureStepKey.step_id == step.id, ErasureStepKey.held.is_(False))
            .order_by(ErasureStepKey.digest)
        )
    )


def _gone_digests(uow: UnitOfWork, row: ErasureEvidence) -> list[str]:
    step = uow.session.get(ErasureStep, row.step_id)
    return step_digests(uow, step) if step is not None else []


def steps_of(uow: UnitOfWork, plan: ErasurePlan) -> Sequence[ErasureStep]:
    return uow.session.scalars(
        select(ErasureStep).where(ErasureStep.plan_id == plan.id).order_by(ErasureStep.seq)
    ).all()


def evidence_of(uow: UnitOfWork, plan: ErasurePlan) -> Sequence[ErasureEvidence]:
    return uow.session.scalars(
        select(ErasureEvidence)
        .where(ErasureEvidence.plan_id == plan.id)
        .order_by(ErasureEvidence.connection, ErasureEvidence.dataset, ErasureEvidence.binding)
    ).all()


@dataclass(frozen=True)
class Line:
    """One binding of the plan or the evidence, in a DPO's words."""

    dataset: str
    binding: int
    connection: str
    what: str
    why: str | None


def describe_how(how: dict[str, str], action: str) -> str:
    if action != "erase":
        return "kept"
    if "delete_row" in how.values():
        return "rows deleted"
    changed = [f"{column} {strategy.replace('_', ' ')}" for column, strategy in how.items()]
    return "columns changed: " + ", ".join(changed)


def why_kept(reason: str | None, detail: str | None) -> str | None:
    if reason is None:
        return None
    words = KEPT_REASONS.get(reason, reason)
    return f"{words} ({detail})" if detail else words


def plan_lines(uow: UnitOfWork, plan: ErasurePlan) -> list[Line]:
    return [
        Line(
            step.dataset,
            step.binding,
            step.connection,
            f"{step.rows} rows, {step.files} files: {describe_how(step.how, step.action)}"
            + (f"; {step.rows_kept} kept" if step.rows_kept else ""),
            why_kept(step.kept_reason, step.kept_detail),
        )
        for step in steps_of(uow, plan)
    ]


def evidence_lines(uow: UnitOfWork, plan: ErasurePlan) -> list[Line]:
    return [
        Line(
            row.dataset,
            row.binding,
            row.connection,
            f"{row.rows} rows, {row.files} files: {describe_how(row.how, row.action)}"
            + (f"; {row.rows_kept} kept" if row.rows_kept else "")
            + f"; {row.at.isoformat(timespec='seconds')} by {row.worker}"
            + (" (resumed)" if row.resumed else ""),
            why_kept(row.kept_reason, row.kept_detail),
        )
        for row in evidence_of(uow, plan)
    ]


def evidence_export(uow: UnitOfWork, plan: ErasurePlan) -> list[dict[str, object]]:
    """The evidence as plain data, for a request's export (digests, counts, versions)."""
    return [
        {
            "dataset": row.dataset,
            "binding": row.binding,
            "connection": row.connection,
            "action": row.action,
            "how": row.how,
            "rows": row.rows,
            "files": row.files,
            "rows_kept": row.rows_kept,
            "kept_reason": row.kept_reason,
            # The digests of the rows that went (from ``erasure_step_keys``), and the sha256
            # of them sorted, one a line, that the evidence cites.
            "key_digests": _gone_digests(uow, row) if row.rows else [],
            "keys_digest": row.keys_digest,
            "at": row.at.isoformat(),
            "worker": row.worker,
            "plan": plan.id,
            "sources_version": row.sources_version,
            "register_version": row.register_version,
        }
        for row in evidence_of(uow, plan)
    ]
