"""The first step of a day's retention run: the run, and its evidence records from the plan.

A record with rows to act on is ``open``; every other gets its final status now, with the
plan's reason (skipped with the unreadable counts, waits, needs a decision, not bound...),
so the run says what it did not do. A read-only source, or a binding whose sources file
gives no way to erase its rows, is skipped here rather than half-done later.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from dataward.audit.service import record
from dataward.config import Settings
from dataward.erasure.survey import retention_how_of
from dataward.retention import audit_actions as actions
from dataward.retention.batches import change_of
from dataward.retention.context import close_connectors, open_connectors
from dataward.retention.models import (
    DONE,
    OPEN,
    RUNNING,
    SKIPPED,
    RetentionEvidence,
    RetentionRun,
)
from dataward.retention.plan import plan_retention
from dataward.retention.plan_types import BindingPlan, RetentionPlan, RulePlan
from dataward.retention.run_own import own_records
from dataward.retention.tally import count_left
from dataward.sources.connectors.base import (
    Connector,
    SourceMisfit,
    SourceUnavailable,
    relation_chain,
)
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.models import Binding, EntityRelation, Related, Relation, SourcesFile
from dataward.sources.versions import current_sources, sources_version
from dataward.uow import UnitOfWork


def start_run(
    uow: UnitOfWork,
    organisation: str,
    today: date,
    *,
    worker: str,
    connectors: Mapping[str, Connector] | None,
    env: Mapping[str, str] | None,
    settings: Settings,
) -> RetentionRun:
    """Today's run, planned; or the run another worker started a moment before."""
    opened, own = open_connectors(
        current_sources(uow, organisation).parsed().sources, connectors, env
    )
    try:
        return _start(uow, organisation, today, worker, opened, settings)
    finally:
        if own:
            close_connectors(opened)


def _start(
    uow: UnitOfWork,
    organisation: str,
    today: date,
    worker: str,
    opened: Mapping[str, Connector | SourceUnavailable],
    settings: Settings,
) -> RetentionRun:
    # The run's plan: statuses, not what only a reader reads; a binding with rows to act on
    # is counted when its record finishes (retention.tally), not in a pass before acting.
    plan = plan_retention(uow, organisation, connectors=opened, for_reader=False, counts=False)
    now = uow.clock.now()
    run = RetentionRun(
        id=str(uuid.uuid4()),
        organisation=organisation,
        as_of=today,
        state=RUNNING,
        started_at=now,
        worker=worker[:100],
        register_version=plan.register_version,
        sources_version=plan.sources_version,
        rows=0,
        files=0,
        to_act_on=0,
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(run)
            uow.session.flush()
    except sa_exc.IntegrityError:
        # Another worker's run for today committed first: that one is worked on.
        return uow.session.scalars(
            select(RetentionRun)
            .where(RetentionRun.organisation == organisation, RetentionRun.as_of == today)
            .with_for_update()
        ).one()
    sources = sources_version(uow, organisation, plan.sources_version).parsed().sources
    records = _records(run, plan, sources, worker, opened)
    children_first(records, sources)
    records += own_records(uow, run, settings, worker, len(records) + 1)
    uow.session.add_all(records)
    run.to_act_on = sum(r.due for r in records if r.status == OPEN)
    record(
        uow,
        actor=worker,
        action=actions.RUN_STARTED,
        entity_type="retention_run",
        entity_id=run.id,
        details={
            "organisation": organisation,
            "as_of": today.isoformat(),
            "records": len(records),
            "to_act_on": run.to_act_on,
            "register_version": run.register_version,
            "sources_version": run.sources_version,
        },
    )
    return run


def _records(
    run: RetentionRun,
    plan: RetentionPlan,
    sources: SourcesFile,
    worker: str,
    opened: Mapping[str, Connector | SourceUnavailable],
) -> list[RetentionEvidence]:
    made: list[RetentionEvidence] = []

    def add(
        rule: RulePlan,
        dataset: str,
        status: str,
        reason: str,
        found: BindingPlan | None = None,
        index: int | None = None,
    ) -> None:
        final = status != OPEN
        due, held = _counts(found, final, opened)
        made.append(
            RetentionEvidence(
                id=str(uuid.uuid4()),
                run_id=run.id,
                seq=len(made) + 1,
                rule=rule.rule,
                dataset=dataset,
                connection=found.connection if found is not None else "",
                table=found.table if found is not None else "",
                binding=index,
                action=rule.action,
                status=status,
                reason=reason,
                due=due,
                rows=0,
                files=0,
                held=held,
                resumed=False,
                worker=worker[:100] if final else None,
                at=run.started_at if final else None,
                register_version=run.register_version,
                sources_version=run.sources_version,
            )
        )

    for rule in plan.rules:
        if rule.status != "planned":
            add(rule, "", rule.status, rule.reason)
            continue
        if not rule.datasets:
            add(rule, "", "not_covered", "the rule covers no dataset of the register")
        for dataset in rule.datasets:
            if not dataset.bindings:
                add(rule, dataset.dataset, dataset.status, dataset.reason)
            for index, found in enumerate(dataset.bindings):
                status, reason = _status(rule, dataset.dataset, found, index, sources)
                add(rule, dataset.dataset, status, reason, found, index)
    return made


def _counts(
    found: BindingPlan | None, final: bool, opened: Mapping[str, Connector | SourceUnavailable]
) -> tuple[int, dict[str, int]]:
    """A record's rows to act on and held rows by hold, as planned. A database binding
    with rows to act on was not counted: open, its record counts them when it finishes
    (``retention.tally``); final already (skipped), they are counted now."""
    if found is None:
        return 0, {}
    if found.counted:
        return found.to_act_on, dict(found.held)
    connector = opened.get(found.connection)
    if not final or not isinstance(connector, SqlConnector) or found.conditions is None:
        return 0, {}
    left = count_left(connector, found.conditions)
    return (0, {}) if left is None else (left[0] - left[2], left[1])


def _status(
    rule: RulePlan, dataset: str, found: BindingPlan, index: int, sources: SourcesFile
) -> tuple[str, str]:
    """The record's status as planned: open (rows to act on), or final, with why."""
    if found.status != "planned":
        return found.status, found.reason
    if found.counted and found.to_act_on == 0:
        return DONE, "nothing to act on"
    binding = sources.datasets[dataset][index]
    change = change_of(rule.action, retention_how_of(binding))
    if change.nothing:
        return SKIPPED, (
            "the sources file gives no column of this binding a way to erase or anonymise it "
            "(retention or erasure: delete_row, set_null or anonymise)"
        )
    if change.review:
        return OPEN, ""
    if sources.connections[binding.connection].kind == "files" and not change.delete:
        return SKIPPED, "a file is deleted whole or kept: its columns cannot be set"
    writes = [binding.connection]
    if change.delete and binding.files is not None:
        writes.append(binding.files.connection or binding.connection)
    for name in writes:
        if sources.connections[name].mode == "read_only":
            return SKIPPED, f"connection {name} is read_only: dataward may not change it"
    return OPEN, ""


def children_first(records: list[RetentionEvidence], sources: SourcesFile) -> None:
    """Number the open records so the run acts on children before their parents, across
    the whole run (the run takes the open record with the lowest ``seq``).

    A payment's due date is read through its case, and a case's row cannot go on a source
    enforcing foreign keys while payments point at it: a parent acted on first would leave
    its children never due, kept for good. So the deepest table goes first (depth: the
    tables a binding's ``subject:`` chain and ``entities:`` references point at). A parent
    whose own trigger is read on its children's table (``events:`` a related column: a
    debtor's cases' return dates) is not pointed at by that table here: the children must
    still be there when its due date is read. Ties keep the plan's order; final records
    keep their places.
    """
    points_at = _points_at(sources)
    depths: dict[str, int] = {}

    def depth(table: str, seen: frozenset[str] = frozenset()) -> int:
        if table not in depths:
            above = [
                depth(other, seen | {table})
                for other in points_at.get(table, ())
                if other not in seen and other != table
            ]
            depths[table] = 1 + max(above, default=-1)
        return depths[table]

    def key(found: RetentionEvidence) -> tuple[int, int]:
        return (-depth(f"{found.connection}.{found.table}"), found.seq)

    open_ = [r for r in records if r.status == OPEN and r.binding is not None]
    places = sorted(r.seq for r in open_)
    for seq, found in zip(places, sorted(open_, key=key), strict=True):
        found.seq = seq


def _points_at(sources: SourcesFile) -> dict[str, set[str]]:
    """Table (``connection.table``) -> the tables its rows point at, less the tables whose
    own trigger is read on it."""
    bindings = [b for found in sources.datasets.values() for b in found if b.table is not None]
    homes: dict[str, set[str]] = {}  # entity -> the tables holding the entity's own rows
    read_on: dict[str, set[str]] = {}  # table -> the tables whose trigger is read on it
    for binding in bindings:
        for entity, spec in binding.entities.items():
            if spec == binding.key:
                homes.setdefault(entity, set()).add(_name(binding, binding.table))
        for event in binding.events.values():
            if isinstance(event, Related):
                child = _name(binding, event.table)
                read_on.setdefault(child, set()).add(_name(binding, binding.table))
    found: dict[str, set[str]] = {}
    for binding in bindings:
        table = _name(binding, binding.table)
        parents = {_name(binding, hop.table) for hop in _chain(binding.subject)}
        for entity, spec in binding.entities.items():
            if isinstance(spec, EntityRelation):
                parents |= {_name(binding, hop.table) for hop in _chain(spec)}
            elif spec != binding.key:
                parents |= homes.get(entity, set())
        parents -= read_on.get(table, set())
        found.setdefault(table, set()).update(parents - {table})
    return found


def _chain(relation: Relation | None) -> list[Relation]:
    try:
        return relation_chain(relation)
    except SourceMisfit:
        return []  # a loop: the plan has already said the binding cannot be read


def _name(binding: Binding, table: str | None) -> str:
    return f"{binding.connection}.{table}"
