"""Carry out an approved erasure plan, one source per run (the worker's ``EXECUTE_JOB``).

Each run takes the plan's first source (connection) with steps left, and does one of two
things in the job's transaction:

1. Its steps are ``pending``: survey the source again. Rows that appeared or vanished since
   the plan make it ``stale`` (re-plan, never execute it blindly) and nothing changes. Else
   the steps become ``executing`` and the next run is queued: that mark commits BEFORE the
   source is touched, so a run that finds it knows the source may have changed already.
2. Its steps are ``executing``: one transaction in the source with a set-based statement
   per step, children before parents, on the planned keys still there (a resumed run after
   a crash finds fewer, or none: the source's transaction was all or nothing); files after
   their rows commit; then each step is ``done`` with its evidence, once (ERA-03). A folder
   of CSV or JSON files is rewritten through temporaries swapped in together; a ``files``
   binding's rows are its files, deleted (``connectors.apply_changes``).

Sources go in the plan's order (``seq``): file sources first, since a file's rows may find
their person through a database's table that a later source changes.

Rows a hold placed since approval now covers (on the subject, a record, or a case: the
survey reads all three) are skipped, and the evidence says so. A source
that cannot be reached rolls back alone, the others' evidence stands, and a retry is queued
with a backoff. With no source left the plan is ``done``; when nothing of the person is kept
anywhere, dataward's own copies are crypto-shredded. Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from dataward.disclosures.notices import tell_recipients
from dataward.erasure import audit_actions as actions
from dataward.erasure.errors import ErasurePlanNotFound
from dataward.erasure.models import (
    APPROVED,
    DONE,
    ERASE,
    RUNNING,
    STALE,
    STEP_DONE,
    STEP_EXECUTING,
    STEP_KEPT,
    STEP_PENDING,
    ErasureEvidence,
    ErasurePlan,
    ErasureStep,
)
from dataward.erasure.service import (
    EXECUTE_JOB,
    audit_plan,
    finish_execute_task,
    request_of,
    subject_of,
)
from dataward.erasure.survey import Survey, changes_of, survey_subject
from dataward.holds.service import today_of
from dataward.jobs.service import backoff, enqueue
from dataward.requests.source_search import subject_identities
from dataward.sources.connectors import apply_changes, open_all
from dataward.sources.connectors.base import Connector, RowChange, SourceUnavailable
from dataward.sources.connectors.blobs import BlobConnector, delete_files
from dataward.sources.models import SourcesFile
from dataward.sources.versions import sources_version
from dataward.subjects.service import shred_subject
from dataward.uow import UnitOfWork


@dataclass(frozen=True)
class ExecutionStep:
    """What one run did: the source ``marked`` or ``erased``, or the one that failed."""

    plan: str
    state: str
    source: str | None = None
    marked: bool = False
    erased: int = 0
    failed: bool = False


def execute_plan(
    uow: UnitOfWork,
    plan_id: str,
    *,
    worker: str,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
    attempt: int = 0,
) -> ExecutionStep:
    """One run: mark a source, erase it, or finish. A plan not approved or running (done,
    stale) is left alone: a second run, or a second worker, does nothing."""
    plan = uow.session.get(ErasurePlan, plan_id, with_for_update=True)
    if plan is None:
        raise ErasurePlanNotFound(f"no erasure plan {plan_id[:40]!r}")
    if plan.state not in (APPROVED, RUNNING):
        return ExecutionStep(plan.id, plan.state)
    plan.state, plan.updated_at = RUNNING, uow.clock.now()
    steps = _steps_left(uow, plan)
    if not steps:
        _finish(uow, plan, worker)
        return ExecutionStep(plan.id, plan.state)
    source = steps[0].connection
    steps = [s for s in steps if s.connection == source]
    sources = sources_version(uow, plan.organisation, plan.sources_version).parsed().sources
    opened = dict(connectors) if connectors is not None else _open(sources, env)
    try:
        surveys = _survey(uow, plan, sources, opened, steps)
        if all(s.state == STEP_PENDING for s in steps):
            return _mark(uow, plan, source, steps, surveys, worker)
        erased = _erase(uow, plan, sources, opened, steps, surveys, worker)
    except SourceUnavailable as error:
        return _source_failed(uow, plan, source, error, attempt)
    finally:
        if connectors is None:
            for connector in opened.values():
                connector.close()
    plan.failed_source = plan.last_error = None
    enqueue(uow, EXECUTE_JOB, {"plan": plan.id})
    return ExecutionStep(plan.id, plan.state, source=source, erased=erased)


def _steps_left(uow: UnitOfWork, plan: ErasurePlan) -> list[ErasureStep]:
    return list(
        uow.session.scalars(
            select(ErasureStep)
            .where(
                ErasureStep.plan_id == plan.id,
                ErasureStep.action == ERASE,
                ErasureStep.state.in_((STEP_PENDING, STEP_EXECUTING)),
            )
            .order_by(ErasureStep.seq)
        )
    )


def _open(sources: SourcesFile, env: Mapping[str, str] | None) -> dict[str, Connector]:
    return open_all(sources, env)


def _survey(
    uow: UnitOfWork,
    plan: ErasurePlan,
    sources: SourcesFile,
    connectors: Mapping[str, Connector],
    steps: Sequence[ErasureStep],
) -> dict[str, Survey]:
    """The source's bindings now, by step id (holds as of today)."""
    row = request_of(uow, plan)
    subject = subject_of(uow, row)
    by_binding = {(s.dataset, s.binding): s for s in steps}
    found: dict[str, Survey] = {}
    for survey in survey_subject(
        uow,
        plan.organisation,
        sources,
        connectors,
        subject_identities(uow, subject),
        subject_id=subject.id,
        datasets={s.dataset for s in steps},
        on=today_of(uow),
        connection=steps[0].connection,
    ):
        step = by_binding.get((survey.dataset, survey.index))
        if step is not None:
            found[step.id] = survey
    return found


def _mark(
    uow: UnitOfWork,
    plan: ErasurePlan,
    source: str,
    steps: Sequence[ErasureStep],
    surveys: Mapping[str, Survey],
    worker: str,
) -> ExecutionStep:
    """First run on a source: stale, or every step ``executing`` (committed before any
    change to the source)."""
    for step in steps:
        survey = surveys.get(step.id)
        planned = set(step.keys)
        now = set(survey.erase) if survey is not None else set()
        held = survey.held if survey is not None else set()
        if now - planned or planned - now - held:
            plan.state, plan.updated_at = STALE, uow.clock.now()
            audit_plan(
                uow,
                plan,
                actions.PLAN_STALE,
                actor=worker,
                dataset=step.dataset,
                binding=step.binding,
                planned=len(planned),
                found=len(now),
            )
            return ExecutionStep(plan.id, plan.state, source=source)
    for step in steps:
        step.state = STEP_EXECUTING
    enqueue(uow, EXECUTE_JOB, {"plan": plan.id})
    return ExecutionStep(plan.id, plan.state, source=source, marked=True)


def _erase(
    uow: UnitOfWork,
    plan: ErasurePlan,
    sources: SourcesFile,
    connectors: Mapping[str, Connector],
    steps: Sequence[ErasureStep],
    surveys: Mapping[str, Survey],
    worker: str,
) -> int:
    """The source's statements in one transaction, then its files, then the evidence."""
    changes: list[RowChange] = []
    files: dict[str, list[str]] = {}
    for step in steps:
        survey = surveys.get(step.id)
        planned = set(step.keys)
        keys = [] if survey is None else [k for d, k in survey.erase.items() if d in planned]
        binding = sources.datasets[step.dataset][step.binding]
        delete, values = changes_of(step.how)
        table = binding.table or binding.pattern or ""  # a file binding's pattern
        changes.append(RowChange(table, binding.key, keys, delete, values))
        for connection, path in survey.files if survey is not None else ():
            files.setdefault(connection, []).append(path)
    connector = connectors[steps[0].connection]
    touched = apply_changes(connector, changes) if any(c.keys for c in changes) else []
    deleted = 0
    for connection, paths in files.items():  # after their rows committed
        blobs = connectors[connection]
        if isinstance(blobs, BlobConnector):
            deleted += delete_files(blobs, paths)
    plan.updated_at = uow.clock.now()
    for step, change in zip(steps, changes, strict=True):
        survey = surveys.get(step.id)
        held_now = set(step.keys) & (survey.held if survey is not None else set())
        gone = sorted(set(step.keys) - held_now)
        step.state = STEP_DONE
        uow.session.add(
            _evidence(
                plan,
                step,
                worker,
                rows=len(gone),
                keys=gone,
                files=len(survey.files) if survey is not None else 0,
                rows_kept=step.rows_kept + len(held_now),
                resumed=len(change.keys) < len(gone),
                reason=step.kept_reason or (survey.kept_reason if survey is not None else None),
                detail=_detail(step, survey, held_now),
            )
        )
        plan.rows_kept += len(held_now)
    audit_plan(
        uow,
        plan,
        actions.SOURCE_ERASED,
        actor=worker,
        source=steps[0].connection,
        steps=len(steps),
        rows=sum(touched),
        files=deleted,
    )
    return sum(touched)


def _detail(step: ErasureStep, survey: Survey | None, held_now: set[str]) -> str | None:
    if not held_now or survey is None:
        return step.kept_detail
    return ", ".join(
        [
            *([step.kept_detail] if step.kept_detail else []),
            "held since approval",
            *survey.kept_detail,
        ]
    )


def _evidence(
    plan: ErasurePlan,
    step: ErasureStep,
    worker: str,
    *,
    rows: int,
    keys: list[str],
    files: int,
    rows_kept: int,
    resumed: bool,
    reason: str | None,
    detail: str | None,
) -> ErasureEvidence:
    return ErasureEvidence(
        id=str(uuid.uuid4()),
        plan_id=plan.id,
        step_id=step.id,
        dataset=step.dataset,
        binding=step.binding,
        connection=step.connection,
        action=step.action,
        how=step.how,
        rows=rows,
        files=files,
        rows_kept=rows_kept,
        keys=keys,
        kept_reason=reason if rows_kept else None,
        kept_detail=detail,
        resumed=resumed,
        worker=worker[:100],
        sources_version=plan.sources_version,
        register_version=plan.register_version,
        at=plan.updated_at,
    )


def _finish(uow: UnitOfWork, plan: ErasurePlan, worker: str) -> None:
    """Every source done: kept steps get their evidence, the plan is ``done``, and dataward's
    own copies are shredded when nothing of the person is kept anywhere."""
    now = uow.clock.now()
    plan.updated_at = now
    kept = uow.session.scalars(
        select(ErasureStep).where(ErasureStep.plan_id == plan.id, ErasureStep.state == STEP_KEPT)
    ).all()
    for step in kept:
        uow.session.add(
            _evidence(
                plan,
                step,
                worker,
                rows=0,
                keys=[],
                files=0,
                rows_kept=step.rows_kept,
                resumed=False,
                reason=step.kept_reason,
                detail=step.kept_detail,
            )
        )
        step.state = STEP_DONE
    plan.state, plan.finished_at = DONE, now
    uow.session.flush()
    plan.rows_erased = sum(
        uow.session.scalars(
            select(ErasureEvidence.rows).where(ErasureEvidence.plan_id == plan.id)
        ).all()
    )
    row = request_of(uow, plan)
    # NOT-01: every recipient the disclosure log says received the erased datasets is told
    # (or the reason it cannot be is recorded), before dataward's own copies may go.
    erased = sorted(
        set(
            uow.session.scalars(
                select(ErasureEvidence.dataset).where(
                    ErasureEvidence.plan_id == plan.id, ErasureEvidence.rows > 0
                )
            )
        )
    )
    if erased:
        tell_recipients(uow, row, "erasure", datasets=erased, actor=worker)
    if plan.shred_when_done and plan.rows_kept == 0:
        subject = subject_of(uow, row)
        shred_subject(uow, plan.organisation, subject.ref, actor=worker, reason="erasure_request")
        plan.shredded = True
    uow.session.flush()
    audit_plan(
        uow,
        plan,
        actions.PLAN_DONE,
        actor=worker,
        row=row,
        rows=plan.rows_erased,
        kept=plan.rows_kept,
        shredded=plan.shredded,
    )
    finish_execute_task(uow, row, actor=worker)


def _source_failed(
    uow: UnitOfWork, plan: ErasurePlan, source: str, error: SourceUnavailable, attempt: int
) -> ExecutionStep:
    """The source rolled back on its own; the plan names it and a retry is queued. Audited
    once per episode."""
    code = error.code
    repeated = plan.failed_source == source and plan.last_error == code
    plan.failed_source, plan.last_error = source, code
    plan.updated_at = uow.clock.now()
    if not repeated:
        audit_plan(uow, plan, actions.SOURCE_FAILED, actor="worker", source=source, error=code)
    enqueue(
        uow,
        EXECUTE_JOB,
        {"plan": plan.id, "attempt": attempt + 1},
        due_at=uow.clock.now() + backoff(attempt + 1),
    )
    return ExecutionStep(plan.id, plan.state, source=source, failed=True)
