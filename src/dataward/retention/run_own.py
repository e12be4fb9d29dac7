"""dataward's own data in the retention run (issue 20): one evidence record per kind.

The run plans every kind of ``own_kinds`` beside the register's rules: rule ``own:<kind>``,
dataset the kind, connection ``dataward``, its rows due as counted by ``own_plan``. Each step
on such a record does one thing in the run's transaction, which the caller commits:

- with a ``pending`` batch (the package folders a committed sweep named): remove them, and
  the batch is done. Files go only after the rows that stop claiming them have committed; a
  process killed before the removal leaves the batch pending, and the next step removes the
  folders then (again, harmlessly).
- else: sweep one batch of the kind (``sweep_own(only=kind)``); the folders it names are
  kept in a pending batch for the next step. With nothing swept and no folder named, the
  record is done.

Periods come from the settings (``DATAWARD_OWN_*``); a bad one makes every own record
``skipped`` with the configuration error, and the register's rules run regardless.

Each organisation's run plans and sweeps that organisation's own data (its requests,
packages, ID documents, messages, cookie choices, codes) and the kinds that belong to no
organisation (the users' sessions and API tokens), which the day's first run finds due and
the others find already swept.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import func, select

from dataward.config import Settings
from dataward.errors import ConfigurationError
from dataward.retention.models import (
    BATCH_DONE,
    BATCH_PENDING,
    DONE,
    OPEN,
    SKIPPED,
    RetentionBatch,
    RetentionEvidence,
    RetentionRun,
)
from dataward.retention.own import OwnSwept, own_plan, remove_swept_files, sweep_own
from dataward.uow import UnitOfWork

CONNECTION = "dataward"
RULE_PREFIX = "own:"
ACTION = "sweep"


def is_own(found: RetentionEvidence) -> bool:
    return found.connection == CONNECTION and found.rule.startswith(RULE_PREFIX)


def own_records(
    uow: UnitOfWork, run: RetentionRun, settings: Settings, worker: str, first_seq: int
) -> list[RetentionEvidence]:
    """One record per kind of dataward's own data: open with its rows due, done when none
    is due and no folder waits, or skipped when a period setting is refused."""
    try:
        plan = own_plan(uow, settings, organisation=run.organisation)
    except ConfigurationError as refused:
        return [
            _record(run, first_seq, "settings", SKIPPED, refused.message, 0, worker),
        ]
    made = []
    for index, due in enumerate(plan):
        todo = due.rows_due + due.files_due
        status, reason = (OPEN, "") if todo else (DONE, "nothing to act on")
        made.append(_record(run, first_seq + index, due.kind, status, reason, due.rows_due, worker))
    return made


def _record(
    run: RetentionRun, seq: int, kind: str, status: str, reason: str, due: int, worker: str
) -> RetentionEvidence:
    final = status != OPEN
    return RetentionEvidence(
        id=str(uuid.uuid4()),
        run_id=run.id,
        seq=seq,
        rule=f"{RULE_PREFIX}{kind}",
        dataset=kind,
        connection=CONNECTION,
        table=kind,
        binding=None,
        action=ACTION,
        status=status,
        reason=reason,
        due=due,
        rows=0,
        files=0,
        held={},
        resumed=False,
        worker=worker[:100] if final else None,
        at=run.started_at if final else None,
        register_version=run.register_version,
        sources_version=run.sources_version,
    )


def work_own(
    uow: UnitOfWork,
    run: RetentionRun,
    found: RetentionEvidence,
    settings: Settings,
    worker: str,
    batch_size: int,
) -> str:
    """One step of an own-data record: remove the folders a committed sweep named, or sweep
    one more batch, or close the record."""
    pending = uow.session.scalars(
        select(RetentionBatch).where(
            RetentionBatch.evidence_id == found.id, RetentionBatch.state == BATCH_PENDING
        )
    ).first()
    if pending is not None:
        paths = tuple(Path(str(p[2])) for p in pending.paths or [])
        removed = remove_swept_files([OwnSwept(found.dataset, 0, 0, False, paths)])
        pending.state, pending.files, pending.paths = BATCH_DONE, removed, None
        found.files += removed
        run.files += removed
        return "acted"
    try:
        swept = sweep_own(
            uow,
            settings,
            worker=worker,
            batch_size=batch_size,
            only=found.dataset,
            organisation=run.organisation,
        )
    except ConfigurationError as refused:
        found.status, found.reason = SKIPPED, refused.message
        found.worker, found.at = worker[:100], uow.clock.now()
        return "record_done"
    done = swept[0] if swept else OwnSwept(found.dataset, 0, 0, False)
    found.rows += done.rows
    run.rows += done.rows
    if done.paths and not done.rows and _emptied_before(uow, found):
        # Folders a removal left behind (not ours to force): said, never looped on.
        found.status = DONE
        found.reason = f"{len(done.paths)} folder(s) of deleted packages could not be removed"
        found.worker, found.at = worker[:100], uow.clock.now()
        return "record_done"
    if done.paths:
        seq = uow.session.scalar(select(func.count()).where(RetentionBatch.evidence_id == found.id))
        uow.session.add(
            RetentionBatch(
                evidence_id=found.id,
                seq=int(seq or 0) + 1,
                state=BATCH_PENDING,
                keys=None,
                # Folders of dataward's own packages, never a value of a person's data.
                paths=[[None, CONNECTION, str(path)] for path in done.paths],
                rows=done.rows,
                files=0,
            )
        )
        return "chosen"
    if done.rows:
        return "acted"
    found.status, found.reason = DONE, found.reason
    found.worker, found.at = worker[:100], uow.clock.now()
    return "record_done"


def _emptied_before(uow: UnitOfWork, found: RetentionEvidence) -> bool:
    """A batch of this record already removed folders without sweeping a row."""
    return (
        uow.session.scalar(
            select(func.count()).where(
                RetentionBatch.evidence_id == found.id, RetentionBatch.rows == 0
            )
        )
        or 0
    ) > 0
