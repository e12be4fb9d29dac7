"""JSON API for the retention runs' evidence (RET-03, issue 20), for engineers and auditors.

Scope ``audit:read``, as the evidence pages: what each run did, rule by rule and table by
table, with the digest of the keys acted on and the register and sources versions. Codes,
counts and digests only, never a value of a row. ``404 register_not_found`` for an unknown
organisation, ``404 retention_run_not_found`` for an unknown run, ``422`` for bad
parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.errors import RegisterNotFound
from dataward.publication.registers import list_organisations
from dataward.retention.evidence import is_own_data, run_of, runs_of
from dataward.retention.models import RetentionEvidence, RetentionRun
from dataward.retention.run import evidence_of
from dataward.uow import UnitOfWork
from dataward.web.auth import api
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["retention"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = api(Permission.AUDIT_READ)


class RunOut(BaseModel):
    id: str
    organisation: str
    as_of: date = Field(description="The run's day: its cutoffs are worked out from it.")
    state: str = Field(description="running or done.")
    started_at: datetime
    finished_at: datetime | None
    worker: str
    register_version: int
    sources_version: int
    rows: int = Field(description="Rows acted on (deleted, anonymised or flagged).")
    files: int = Field(description="Files deleted, after their rows.")
    to_act_on: int = Field(
        description="Rows to act on known so far: a table's are counted when its record "
        "finishes, so the total grows while the run is running."
    )


class EvidenceOut(BaseModel):
    seq: int = Field(description="The record's place in the run's plan.")
    rule: str
    dataset: str = Field(description="Empty for a rule-level record (a vague period).")
    connection: str = Field(description="Empty for a rule- or dataset-level record.")
    table: str
    binding: int | None = Field(description="The binding's index in the dataset's list.")
    own_data: bool = Field(description="dataward's own data (rule own:<kind>).")
    action: str
    status: str = Field(
        description="open, done, flagged, or why nothing was done: skipped, waits, "
        "needs_decision, not_bound, trigger_not_bound, unsupported..."
    )
    reason: str
    due: int = Field(
        description="Rows due and not held: for a database table counted when the record "
        "finished (rows acted on and any left unheld; 0 while open), else as planned."
    )
    rows: int
    files: int
    held: dict[str, int] = Field(description="Hold label -> due rows it kept (counted as for due).")
    keys_digest: str | None = Field(
        description="sha256 chained batch by batch over the key digests of the rows acted on."
    )
    resumed: bool = Field(description="A batch was resumed after a crash.")
    worker: str | None
    at: datetime | None = Field(description="When the record was final.")
    register_version: int
    sources_version: int


class RunList(BaseModel):
    runs: list[RunOut]


class RunDetail(RunOut):
    evidence: list[EvidenceOut]


def _run_out(run: RetentionRun) -> RunOut:
    return RunOut(
        id=run.id,
        organisation=run.organisation,
        as_of=run.as_of,
        state=run.state,
        started_at=run.started_at,
        finished_at=run.finished_at,
        worker=run.worker,
        register_version=run.register_version,
        sources_version=run.sources_version,
        rows=run.rows,
        files=run.files,
        to_act_on=run.to_act_on,
    )


def _evidence_out(r: RetentionEvidence) -> EvidenceOut:
    return EvidenceOut(
        seq=r.seq,
        rule=r.rule,
        dataset=r.dataset,
        connection=r.connection,
        table=r.table,
        binding=r.binding,
        own_data=is_own_data(r),
        action=r.action,
        status=r.status,
        reason=r.reason,
        due=r.due,
        rows=r.rows,
        files=r.files,
        held=dict(r.held),
        keys_digest=r.keys_digest,
        resumed=r.resumed,
        worker=r.worker,
        at=r.at,
        register_version=r.register_version,
        sources_version=r.sources_version,
    )


@router.get(
    "/retention/runs",
    response_model=RunList,
    name="api_retention_runs",
    dependencies=[READ],
    responses=problems(401, 403, 404, 422, 429),
)
def retention_runs(
    uow: Uow,
    organisation: Annotated[str, Query(min_length=1, max_length=80, pattern=NO_NUL)],
    before: Annotated[
        date | None, Query(description="Runs of days before this one (the next page).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RunList:
    """The organisation's retention runs, newest first (RET-03)."""
    if organisation not in {row.organisation for row in list_organisations(uow)}:
        raise RegisterNotFound(f"no register is stored for {organisation!r}")
    return RunList(
        runs=[_run_out(r) for r in runs_of(uow, organisation, before=before, limit=limit)]
    )


@router.get(
    "/retention/runs/{run_id}",
    response_model=RunDetail,
    name="api_retention_run",
    dependencies=[READ],
    responses=problems(401, 403, 404, 429),
)
def retention_run(
    run_id: Annotated[str, Path(max_length=36, pattern=NO_NUL)], uow: Uow
) -> RunDetail:
    """One run and every evidence record it wrote, in the plan's order (RET-03)."""
    run = run_of(uow, run_id)
    return RunDetail(
        **_run_out(run).model_dump(),
        evidence=[_evidence_out(r) for r in evidence_of(uow, run.id)],
    )
