"""Carry out an approved erasure plan, one source per run (the worker's ``EXECUTE_JOB``).

Each run takes the plan's first source (connection) with steps left, and does one of two
things in the job's transaction:

1. Its steps are ``pending``: survey the source again, a batch (``SURVEY_BATCH``) at a
   time, each compared with the plan's ``erasure_step_keys``. Rows that appeared or
   vanished since the plan make it ``stale`` (re-plan, never execute it blindly) and
   nothing changes. Else the files of the rows that go are recorded (``erasure_step_files``,
   ``pending``), the steps become ``executing`` and the next run is queued: that commits
   BEFORE the source is touched, so a run that finds it knows the source may have changed
   already, and which files are still to delete.
2. Its steps are ``executing``: one transaction in the source with set-based statements per
   step, children before parents, on the planned keys still there, streamed a batch at a
   time (a resumed run after a crash finds fewer, or none: the source's transaction was all
   or nothing); then the files still ``pending`` are deleted (their paths forgotten); then
   each step is ``done`` with its evidence, once (ERA-03): counts and the digest of its
   key digests.
   A folder of CSV or JSON files is rewritten through temporaries swapped in together
   (its keys gathered first: such a source is read whole anyway); a ``files`` binding's
   rows are its files, deleted (``connectors.apply_changes``).

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from dataward.disclosures.notices import tell_recipients
from dataward.erasure import audit_actions as actions
from dataward.erasure.errors import ErasurePlanNotFound
from dataward.erasure.keys import keys_digests, mark_held, planned_among, planned_count
from dataward.erasure.models import (
    APPROVED,
    DONE,
    ERASE,
    FILE_DELETED,
    FILE_KEPT,
    FILE_PENDING,
    RUNNING,
    STALE,
    STEP_DONE,
    STEP_EXECUTING,
    STEP_KEPT,
    STEP_PENDING,
    ErasureEvidence,
    ErasurePlan,
    ErasureStep,
    ErasureStepFile,
    ErasureStepKey,
)
from dataward.erasure.service import (
    EXECUTE_JOB,
    audit_plan,
    finish_execute_task,
    request_of,
    subject_of,
)
from dataward.erasure.survey import (
    SURVEY_BATCH,
    Survey,
    changes_of,
    survey_context,
    survey_subject,
)
from dataward.holds.service import today_of
from dataward.jobs.service import backoff, enqueue
from dataward.requests.source_search import subject_identities
from dataward.sources.connectors import apply_changes, open_all
from dataward.sources.connectors.base import (
    BATCH_SIZE,
    Connector,
    RowChange,
    SourceUnavailable,
)
from dataward.sources.connectors.blobs import BlobConnector, delete_files
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.connectors.sql_changes import apply_change_batches
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
        surveyor = _Surveyor(uow, plan, sources, opened)
        if all(s.state == STEP_PENDING for s in steps):
            return _mark(uow, plan, source, steps, surveyor, worker)
        erased = _erase(uow, plan, sources, opened, steps, surveyor, worker)
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


class _Surveyor:
    """A step's binding now (holds as of today), streamed: the subject's identities are
    decrypted once per run."""

    def __init__(
        self,
        uow: UnitOfWork,
        plan: ErasurePlan,
        sources: SourcesFile,
        connectors: Mapping[str, Connector],
    ) -> None:
        self.uow, self.plan, self.sources, self.connectors = uow, plan, sources, connectors
        self.subject = subject_of(uow, request_of(uow, plan))
        self.values = subject_identities(uow, self.subject)
        self.roots: dict[tuple[str, str, str], set[Any]] = {}
        self.today = today_of(uow)
        # Holds and the register, read once per run for all the source's steps.
        self.context = survey_context(
            uow, plan.organisation, subject_id=self.subject.id, on=self.today
        )

    def __call__(self, step: ErasureStep) -> Survey | None:
        found = survey_subject(
            self.uow,
            self.plan.organisation,
            self.sources,
            self.connectors,
            self.values,
            subject_id=self.subject.id,
            datasets={step.dataset},
            on=self.today,
            connection=step.connection,
            binding=step.binding,
            roots=self.roots,
            context=self.context,
        )
        return next(iter(found), None)


def _mark(
    uow: UnitOfWork,
    plan: ErasurePlan,
    source: str,
    steps: Sequence[ErasureStep],
    survey_of: Callable[[ErasureStep], Survey | None],
    worker: str,
) -> ExecutionStep:
    """First run on a source: stale, or every step ``executing`` with the files of its rows
    recorded (committed before any change to the source, so a run killed after the source
    commits still knows which files to delete). Compared a batch at a time."""
    for step in steps:
        survey = survey_of(step)
        appeared = covered = 0
        for batch in survey.batches() if survey is not None else ():
            # Counts only: a batch with no digest appeared is planned whole, files and all.
            planned = planned_count(uow, step, batch.erase)
            appeared += len(batch.erase) - planned
            covered += planned + planned_count(uow, step, batch.held)
            files = batch.files
            if files and not appeared:
                uow.session.execute(
                    insert(ErasureStepFile),
                    [
                        {
                            "step_id": step.id,
                            "digest": digest,
                            "connection": connection,
                            "path": path,
                            "state": FILE_PENDING,
                        }
                        for digest, connection, path in files
                    ],
                )
        # Rows that appeared, or planned rows gone that no hold now explains.
        if appeared or covered < step.rows:
            plan.state, plan.updated_at = STALE, uow.clock.now()
            # A stale plan never runs: the paths recorded so far are forgotten.
            uow.session.execute(
                delete(ErasureStepFile).where(ErasureStepFile.step_id.in_([s.id for s in steps]))
            )
            audit_plan(
                uow,
                plan,
                actions.PLAN_STALE,
                actor=worker,
                dataset=step.dataset,
                binding=step.binding,
                planned=step.rows,
                found=survey.erased if survey is not None else 0,
            )
            return ExecutionStep(plan.id, plan.state, source=source)
    for step in steps:
        step.state = STEP_EXECUTING
    enqueue(uow, EXECUTE_JOB, {"plan": plan.id})
    return ExecutionStep(plan.id, plan.state, source=source, marked=True)


@dataclass
class _Tally:
    """What the erase run found of one step: planned keys still there, planned keys held."""

    found: int = 0
    held: int = 0
    survey: Survey | None = None


def _key_batches(
    uow: UnitOfWork,
    step: ErasureStep,
    survey_of: Callable[[ErasureStep], Survey | None],
    tally: _Tally,
) -> Iterator[list[Any]]:
    """The planned keys still in the source, a batch at a time; planned rows a hold placed
    since approval covers are marked held (and their files kept) instead. A step that
    planned no rows has none to change or to find held: its binding is not read again."""
    if not step.rows:
        return
    tally.survey = survey = survey_of(step)
    for batch in survey.batches() if survey is not None else ():
        held = planned_among(uow, step, batch.held) if batch.held else set()
        held_now = [digest for digest in batch.held if digest in held]
        if held_now:
            _mark_held(uow, step, held_now)
        # Usually every row found was planned: a count says so, without the digests back.
        if planned_count(uow, step, batch.erase) == len(batch.erase):
            keys = list(batch.erase.values())
        else:
            found = planned_among(uow, step, batch.erase)
            keys = [key for digest, key in batch.erase.items() if digest in found]
        tally.found += len(keys)
        tally.held += len(held_now)
        if keys:
            yield keys


def _mark_held(uow: UnitOfWork, step: ErasureStep, digests: Sequence[str]) -> None:
    """Planned rows a hold now keeps: their keys ``held``, their files ``kept`` (paths
    forgotten once the source commits; reset by ``_unmark_held`` if it does not)."""
    mark_held(uow, step, digests)
    for start in range(0, len(digests), BATCH_SIZE):
        part = list(digests[start : start + BATCH_SIZE])
        uow.session.execute(
            update(ErasureStepFile)
            .where(ErasureStepFile.step_id == step.id, ErasureStepFile.digest.in_(part))
            .values(state=FILE_KEPT)
        )


def _unmark_held(uow: UnitOfWork, steps: Sequence[ErasureStep]) -> None:
    """The source rolled back: this run's held marks go with it (the retry reads again)."""
    ids = [step.id for step in steps]
    uow.session.execute(
        update(ErasureStepKey).where(ErasureStepKey.step_id.in_(ids)).values(held=False)
    )
    uow.session.execute(
        update(ErasureStepFile)
        .where(ErasureStepFile.step_id.in_(ids), ErasureStepFile.state == FILE_KEPT)
        .values(state=FILE_PENDING)
    )


def _erase(
    uow: UnitOfWork,
    plan: ErasurePlan,
    sources: SourcesFile,
    connectors: Mapping[str, Connector],
    steps: Sequence[ErasureStep],
    survey_of: Callable[[ErasureStep], Survey | None],
    worker: str,
) -> int:
    """The source's statements in one transaction (keys streamed a batch at a time), then
    the files recorded for its rows, then the evidence."""
    tallies = {step.id: _Tally() for step in steps}
    changes: list[tuple[RowChange, Iterator[list[Any]]]] = []
    for step in steps:
        binding = sources.datasets[step.dataset][step.binding]
        delete_rows, values = changes_of(step.how)
        table = binding.table or binding.pattern or ""  # a file binding's pattern
        changes.append(
            (
                RowChange(table, binding.key, (), delete_rows, values),
                _key_batches(uow, step, survey_of, tallies[step.id]),
            )
        )
    connector = connectors[steps[0].connection]
    try:
        if isinstance(connector, SqlConnector):
            touched = apply_change_batches(connector, changes)
        else:
            # A folder of files is rewritten whole: its keys are gathered first.
            gathered = [
                RowChange(c.table, c.key, [k for batch in keys for k in batch], c.delete, c.values)
                for c, keys in changes
            ]
            touched = apply_changes(connector, gathered) if any(c.keys for c in gathered) else []
    except SourceUnavailable:
        _unmark_held(uow, steps)
        raise
    uow.session.execute(
        update(ErasureStepFile)
        .where(
            ErasureStepFile.step_id.in_([step.id for step in steps]),
            ErasureStepFile.state == FILE_KEPT,
        )
        .values(path=None)
    )
    # The source has committed: the files recorded for its rows go now (again, harmlessly,
    # in a run resumed after a crash: every file still pending).
    deleted = _delete_pending_files(uow, steps, connectors)
    plan.updated_at = uow.clock.now()
    # Read for every step at once, before any evidence is added (an evidence row added
    # first would be flushed by the next read: a statement per step).
    digests = keys_digests(uow, steps)
    files = _files_gone(uow, steps)
    for step in steps:
        tally = tallies[step.id]
        survey = tally.survey
        gone = step.rows - tally.held
        step.state = STEP_DONE
        uow.session.add(
            _evidence(
                plan,
                step,
                worker,
                rows=gone,
                keys_digest=digests[step.id],
                files=files.get(step.id, 0),
                rows_kept=step.rows_kept + tally.held,
                resumed=tally.found < gone,
                reason=step.kept_reason or (survey.kept_reason if survey is not None else None),
                detail=_detail(step, survey, tally.held),
            )
        )
        plan.rows_kept += tally.held
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


def _delete_pending_files(
    uow: UnitOfWork, steps: Sequence[ErasureStep], connectors: Mapping[str, Connector]
) -> int:
    """Delete the files still recorded ``pending`` for these steps, a page at a time, and
    forget their paths; how many were on disk."""
    deleted, last = 0, 0
    ids = [step.id for step in steps]
    while True:
        page = uow.session.execute(
            select(ErasureStepFile.id, ErasureStepFile.connection, ErasureStepFile.path)
            .where(
                ErasureStepFile.step_id.in_(ids),
                ErasureStepFile.state == FILE_PENDING,
                ErasureStepFile.id > last,
            )
            .order_by(ErasureStepFile.id)
            .limit(SURVEY_BATCH)
        ).all()
        if not page:
            return deleted
        by_connection: dict[str, list[str]] = {}
        for _, connection, path in page:
            if path is not None:
                by_connection.setdefault(connection, []).append(path)
        for connection, paths in by_connection.items():
            blobs = connectors.get(connection)
            if isinstance(blobs, BlobConnector):
                deleted += delete_files(blobs, paths)
        uow.session.execute(
            update(ErasureStepFile)
            .where(ErasureStepFile.id.in_([row[0] for row in page]))
            .values(state=FILE_DELETED, path=None)
        )
        last = page[-1][0]


def _files_gone(uow: UnitOfWork, steps: Sequence[ErasureStep]) -> dict[str, int]:
    """Step id -> its files deleted (a step with none is absent), one statement."""
    rows = uow.session.execute(
        select(ErasureStepFile.step_id, func.count())
        .where(
            ErasureStepFile.step_id.in_([step.id for step in steps]),
            ErasureStepFile.state == FILE_DELETED,
        )
        .group_by(ErasureStepFile.step_id)
    ).all()
    return {step_id: int(count) for step_id, count in rows}


def _detail(step: ErasureStep, survey: Survey | None, held_now: int) -> str | None:
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
    keys_digest: str | None,
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
        keys_digest=keys_digest,
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
                keys_digest=None,
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
