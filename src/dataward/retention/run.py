"""The retention run (RET-01..03): every rule of the register acted on, a step at a time.

``run_step`` does ONE unit of work in the caller's transaction (it never commits) and says
whether more is left; the CLI and the worker call it until the run is finished, committing
between steps, so a run killed at any point resumes from its last commit:

1. The day's first step creates the run (one per organisation and day) and plans it: one
   evidence record per rule, dataset and binding. A record with nothing to act on gets its
   final status at once (skipped, waits, needs a decision, not bound...): the run says why,
   never a silent partial delete.
2. Each later step takes the first open record. With a ``pending`` batch, it acts on the
   batch's keys still ``due AND NOT any held`` (holds re-read now) in one source
   transaction, then deletes their files, then marks the batch done. Else it chooses the
   next batch (committed before the source is touched); with none left the record is final.
3. With every record final, the run is ``done``: totals, and one audit entry per record.

Steps lock the run's row, so two workers take turns: each row is acted on once and each
record is written once. A clock moved backwards (a day before the latest run) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from dataward.config import Settings, get_settings
from dataward.erasure.survey import retention_how_of
from dataward.holds.service import today_of
from dataward.retention import batches, run_files, run_own, tally
from dataward.retention.context import close_connectors, open_connectors
from dataward.retention.errors import RetentionClockBehind
from dataward.retention.files import FileBindingPlan
from dataward.retention.models import (
    BATCH_DONE,
    BATCH_PENDING,
    DONE,
    FLAGGED,
    OPEN,
    RUNNING,
    SKIPPED,
    WAITS,
    RetentionBatch,
    RetentionEvidence,
    RetentionRun,
)
from dataward.retention.plan import binding_conditions
from dataward.retention.plan_types import BindingPlan
from dataward.retention.run_finish import evidence_of as evidence_of
from dataward.retention.run_finish import finish_run
from dataward.retention.run_finish import what_each_did as what_each_did
from dataward.retention.run_start import start_run
from dataward.sources.connectors.base import Connector, SourceMisfit, SourceUnavailable
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.models import Binding, SourcesFile
from dataward.sources.versions import sources_version
from dataward.uow import UnitOfWork

BATCH = 20_000
"""Rows acted on per step by default: one source transaction each. The fastest measured
(docs/performance.md, "Retention run"): smaller batches pay each step's own work (a
commit, the holds read again) more often; larger ones gain nothing more."""


@dataclass(frozen=True)
class RunStep:
    """What one step did, and where the run stands."""

    run_id: str
    state: str  # running | done
    finished: bool
    rows: int  # rows acted on by the run so far
    files: int  # files deleted by the run so far
    to_act_on: int  # rows to act on known so far: grows as database records finish
    as_of: date
    did: str  # planned | chosen | acted | record_done | finished | already_done
    record: str | None = None  # rule/dataset/connection.table of the record worked on


def run_step(
    uow: UnitOfWork,
    organisation: str,
    *,
    worker: str,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
    batch_size: int = BATCH,
    settings: Settings | None = None,
) -> RunStep:
    """One unit of the organisation's retention run for today (``uow.clock``); dataward's
    own data is swept under ``settings`` (the process's settings unless given)."""
    settings = settings or get_settings()
    today = today_of(uow)
    latest = uow.session.scalar(
        select(func.max(RetentionRun.as_of)).where(RetentionRun.organisation == organisation)
    )
    if latest is not None and latest > today:
        raise RetentionClockBehind(
            f"retention ran for {latest.isoformat()}, after {today.isoformat()}: a clock "
            "moved backwards deletes nothing early"
        )
    run = _locked(uow, organisation, today)
    if run is None:
        run = start_run(
            uow,
            organisation,
            today,
            worker=worker,
            connectors=connectors,
            env=env,
            settings=settings,
        )
        return _step(run, "planned")
    if run.state == DONE:
        return _step(run, "already_done")
    found = uow.session.scalars(
        select(RetentionEvidence)
        .where(RetentionEvidence.run_id == run.id, RetentionEvidence.status == OPEN)
        .order_by(RetentionEvidence.seq)
        .limit(1)
    ).first()
    if found is None:
        finish_run(uow, run, worker)
        return _step(run, "finished")
    if run_own.is_own(found):
        return _step(run, run_own.work_own(uow, run, found, settings, worker, batch_size), found)
    sources = sources_version(uow, organisation, run.sources_version).parsed().sources
    opened, own = open_connectors(sources, connectors, env)
    try:
        did = _work(uow, run, found, sources, opened, worker, batch_size)
    finally:
        if own:
            close_connectors(opened)
    return _step(run, did, found)


def _locked(uow: UnitOfWork, organisation: str, today: date) -> RetentionRun | None:
    """A run left running (an earlier day's, resumed with its own day's cutoffs), else
    today's; row-locked, so a second worker waits for this step to commit."""
    running = uow.session.scalars(
        select(RetentionRun)
        .where(RetentionRun.organisation == organisation, RetentionRun.state == RUNNING)
        .order_by(RetentionRun.as_of)
        .limit(1)
        .with_for_update()
    ).first()
    if running is not None:
        return running
    return uow.session.scalars(
        select(RetentionRun)
        .where(RetentionRun.organisation == organisation, RetentionRun.as_of == today)
        .with_for_update()
    ).first()


def _step(run: RetentionRun, did: str, found: RetentionEvidence | None = None) -> RunStep:
    where = None
    if found is not None:
        where = f"{found.rule}/{found.dataset}/{found.connection}.{found.table}"
    return RunStep(
        run_id=run.id,
        state=run.state,
        finished=run.state == DONE,
        rows=run.rows,
        files=run.files,
        to_act_on=run.to_act_on,
        as_of=run.as_of,
        did=did,
        record=where,
    )


def _work(
    uow: UnitOfWork,
    run: RetentionRun,
    found: RetentionEvidence,
    sources: SourcesFile,
    opened: Mapping[str, Connector | SourceUnavailable],
    worker: str,
    batch_size: int,
) -> str:
    assert found.binding is not None
    binding = sources.datasets[found.dataset][found.binding]
    pending = uow.session.scalars(
        select(RetentionBatch).where(
            RetentionBatch.evidence_id == found.id, RetentionBatch.state == BATCH_PENDING
        )
    ).first()
    planned = binding_conditions(
        uow,
        run.organisation,
        sources,
        found.rule,
        found.dataset,
        binding,
        opened,
        as_of=run.as_of,
    )
    connector = opened.get(binding.connection)
    change = batches.change_of(found.action, retention_how_of(binding))
    source = _source(planned, connector, opened, change)

    def close(batch: RetentionBatch | None, status: str, reason: str) -> str:
        if found.due == 0:
            # A database binding's record: its rows were not counted before acting (an open
            # record planned with counts has rows to act on); they are counted now.
            on = connector if isinstance(connector, SqlConnector) else None
            tally.finish_counts(run, found, on, planned.conditions, change)
        return _close(uow, found, batch, worker, status, reason)

    if source is None:
        status = planned.status if planned.status in (WAITS, SKIPPED) else SKIPPED
        return close(pending, status, planned.reason)
    try:
        if pending is not None:
            _act(uow, run, found, pending, binding, source.act(list(pending.keys or [])), opened)
            return "acted"
        chosen = source.choose(found.last_key, batch_size)
    except SourceUnavailable:
        return close(pending, WAITS, f"source {binding.connection} cannot be reached")
    except SourceMisfit as misfit:
        return close(pending, SKIPPED, misfit.message)
    if not chosen.keys:
        reason = found.reason or ("" if found.rows else "nothing to act on")
        return close(None, FLAGGED if change.review else DONE, reason)
    seq = uow.session.scalar(select(func.count()).where(RetentionBatch.evidence_id == found.id))
    uow.session.add(
        RetentionBatch(
            evidence_id=found.id,
            seq=int(seq or 0) + 1,
            state=BATCH_PENDING,
            keys=chosen.keys,
            paths=chosen.paths,
            rows=0,
            files=0,
        )
    )
    found.last_key = chosen.keys[-1]
    return "chosen"


@dataclass(frozen=True)
class _Source:
    """Where a record's rows are chosen and acted on: a database's SQL (``batches``) or a
    folder read a row at a time (``run_files``)."""

    choose: Callable[[Any, int], batches.Chosen]
    act: Callable[[list[Any]], batches.Acted]


def _source(
    planned: BindingPlan,
    connector: Connector | SourceUnavailable | None,
    opened: Mapping[str, Connector | SourceUnavailable],
    change: batches.Change,
) -> _Source | None:
    """The binding's rows to act on as planned now, or None (it waits, or was skipped)."""
    if planned.status != "planned":
        return None
    conditions = planned.conditions
    if conditions is not None and isinstance(connector, SqlConnector):
        sql_source = connector
        return _Source(
            lambda after, limit: batches.choose(
                sql_source,
                conditions,
                opened,
                after=after,
                limit=limit,
                with_files=batches.files_go(conditions.binding, change),
                change=change,
            ),
            lambda keys: batches.act(sql_source, conditions, keys, change),
        )
    if isinstance(planned, FileBindingPlan) and isinstance(connector, run_files.FolderConnector):
        folder = connector
        return _Source(
            lambda after, limit: run_files.choose(
                planned, folder, opened, after=after, limit=limit, change=change
            ),
            lambda keys: run_files.act(planned, folder, keys, change),
        )
    return None


def _act(
    uow: UnitOfWork,
    run: RetentionRun,
    found: RetentionEvidence,
    pending: RetentionBatch,
    binding: Binding,
    acted: batches.Acted,
    opened: Mapping[str, Connector | SourceUnavailable],
) -> None:
    """The source has acted on the batch (and committed): its rows' files go, then the
    batch is done and counted."""
    keys = list(pending.keys or [])
    # The files of its rows go now (again, harmlessly, in a batch resumed after a crash).
    files = after_source_commit(opened, pending, acted)
    if found.action != batches.REVIEW and isinstance(opened.get(binding.connection), BlobConnector):
        files += acted.rows  # a files binding's rows are its files, deleted with them
    # One set, not one per key: a batch of n keys was O(n^2) (half a 5,000-row step's time).
    done = {*acted.acted, *acted.gone}
    ordered = [k for k in keys if k in done]
    pending.state, pending.rows, pending.files = BATCH_DONE, acted.rows, files
    pending.digest = batches.batch_digest(binding, ordered) if ordered else None
    pending.keys = pending.paths = None
    found.rows += acted.rows
    found.files += files
    found.resumed = found.resumed or bool(acted.gone)
    if pending.digest is not None:
        found.keys_digest = batches.chained(found.keys_digest, pending.digest)
    run.rows += acted.rows
    run.files += files


def after_source_commit(
    opened: Mapping[str, Connector | SourceUnavailable],
    pending: RetentionBatch,
    acted: batches.Acted,
) -> int:
    """The files of the rows that went (only ever after their rows committed)."""
    if not pending.paths:
        return 0
    return batches.delete_batch_files(opened, pending.paths, {*acted.acted, *acted.gone})


def _close(
    uow: UnitOfWork,
    found: RetentionEvidence,
    pending: RetentionBatch | None,
    worker: str,
    status: str,
    reason: str,
) -> str:
    """The record's final status. A pending batch not acted on is forgotten (its source
    rolled back, or was never touched)."""
    if pending is not None:
        uow.session.delete(pending)
    found.status, found.reason = status, reason
    found.worker, found.at = worker[:100], uow.clock.now()
    found.last_key = None
    return "record_done"
