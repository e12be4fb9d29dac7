"""The end of a retention run (RET-03): the run ``done`` with its totals, each evidence record
audited; and the records read back, with what acting on each table's rows did.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from dataward.audit.service import record
from dataward.erasure.survey import retention_how_of
from dataward.retention import audit_actions as actions
from dataward.retention import batches, run_own
from dataward.retention.evidence_views import Recorded
from dataward.retention.models import (
    DONE,
    RetentionEvidence,
    RetentionRun,
)
from dataward.sources.models import SourcesFile
from dataward.sources.versions import sources_version
from dataward.uow import UnitOfWork


def finish_run(uow: UnitOfWork, run: RetentionRun, worker: str) -> None:
    """Every record final: the run is done, each record audited (ids and counts only)."""
    records = uow.session.scalars(
        select(RetentionEvidence)
        .where(RetentionEvidence.run_id == run.id)
        .order_by(RetentionEvidence.seq)
    ).all()
    for found in records:
        record(
            uow,
            actor=worker,
            action=actions.RULE_RAN,
            entity_type="retention_run",
            entity_id=run.id,
            details={
                "organisation": run.organisation,
                "rule": found.rule,
                "dataset": found.dataset,
                "connection": found.connection,
                "table": found.table,
                "action": found.action,
                "status": found.status,
                "rows": found.rows,
                "files": found.files,
                "keys_digest": found.keys_digest,
            },
        )
    run.state, run.finished_at = DONE, uow.clock.now()
    record(
        uow,
        actor=worker,
        action=actions.RUN_DONE,
        entity_type="retention_run",
        entity_id=run.id,
        details={
            "organisation": run.organisation,
            "as_of": run.as_of.isoformat(),
            "records": len(records),
            "rows": run.rows,
            "files": run.files,
        },
    )


def evidence_of(uow: UnitOfWork, run_id: str) -> list[RetentionEvidence]:
    """A run's evidence records, in the plan's order."""
    return list(
        uow.session.scalars(
            select(RetentionEvidence)
            .where(RetentionEvidence.run_id == run_id)
            .order_by(RetentionEvidence.seq)
        )
    )


def what_each_did(uow: UnitOfWork, run_id: str) -> dict[str, str]:
    """Per evidence record of a binding, what acting on its rows did (deleted, anonymised,
    flagged for review): the rule's action through the binding's strategies, not the
    action's name (a rule that says delete sets columns where the sources file says so)."""
    run = uow.session.get(RetentionRun, run_id)
    if run is None:
        return {}
    records = evidence_of(uow, run_id)
    own = {found.id: "swept" for found in records if run_own.is_own(found)}
    return done_of(uow, [(found, run) for found in records]) | own


def done_of(uow: UnitOfWork, recorded: Iterable[Recorded]) -> dict[str, str]:
    """What acting on each binding's rows did (record id -> "deleted", "anonymised"...), each
    run's sources version read once; dataward's own data records are left out."""
    sources: dict[str, SourcesFile] = {}
    did: dict[str, str] = {}
    for found, run in recorded:
        if run_own.is_own(found) or found.binding is None:
            continue
        if run.id not in sources:
            version = sources_version(uow, run.organisation, run.sources_version)
            sources[run.id] = version.parsed().sources
        bindings = sources[run.id].datasets.get(found.dataset, [])
        if found.binding < len(bindings):
            how = retention_how_of(bindings[found.binding])
            did[found.id] = batches.change_of(found.action, how).done
    return did
