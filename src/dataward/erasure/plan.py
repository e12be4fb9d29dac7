"""The ground (ERA-01) and the plan: a dry run a DPO can read before anything changes.

``plan_erasure`` reads the subject's rows in every bound dataset the register declares
(the access build's lookup: ``stream_subject`` with ``subject_identities``) and stores, per
binding, what goes and how (the sources file's strategy per column), what stays and why
(ERA-02: a legal hold in force, a hold predicate of the sources file open on the row, a
source dataward may not write), with counts and key digests only (the digests in
``erasure_step_keys``, written ``SURVEY_BATCH`` at a time as the rows stream). It cites the
sources and register versions it read. Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from dataward.erasure import audit_actions as actions
from dataward.erasure.errors import ErasureInvalid, ErasureRefused, NoGround
from dataward.erasure.keys import add_keys
from dataward.erasure.models import (
    ERASE,
    KEEP,
    LIVE,
    PLANNED,
    REJECTED,
    STALE,
    STEP_KEPT,
    STEP_PENDING,
    SUPERSEDED,
    ErasureGround,
    ErasurePlan,
    ErasureStep,
)
from dataward.erasure.service import (
    ERASURE,
    audit_plan,
    erasure_request,
    ground_of,
    plans_of,
    subject_of,
)
from dataward.erasure.survey import (
    ANONYMISE_RULES,
    Survey,
    depth,
    strategy_of,
    survey_subject,
)
from dataward.holds.service import today_of
from dataward.publication.registers import current_version
from dataward.requests.service import audit_request, register_of
from dataward.requests.source_search import subject_identities
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import Connector
from dataward.sources.models import SourcesFile
from dataward.sources.versions import current_sources
from dataward.uow import UnitOfWork

# The grounds of Art 17(1) (ERA-01), in the caseworker's words.
GROUNDS: dict[str, str] = {
    "no_longer_necessary": "no longer necessary for the purpose it was collected for",
    "consent_withdrawn": "consent withdrawn and no other lawful basis",
    "objection_upheld": "an objection upheld (no overriding legitimate grounds)",
    "unlawful_processing": "processed unlawfully",
    "legal_obligation_to_erase": "a legal obligation to erase",
    "child_online_service": "collected from a child for an online service",
}


def record_ground(
    uow: UnitOfWork, organisation: str, ref: str, ground: str, *, actor: str
) -> ErasureGround:
    """Record (or change, before approval) the ground the subject relies on."""
    if ground not in GROUNDS:
        raise ErasureInvalid(f"the ground must be one of {', '.join(GROUNDS)}")
    row = erasure_request(uow, organisation, ref)
    if any(plan.state in (*LIVE, "done") for plan in plans_of(uow, row)):
        raise ErasureRefused(f"request {row.ref}: the erasure is approved; its ground stays")
    found = ground_of(uow, row)
    if found is None:
        found = ErasureGround(id=str(uuid.uuid4()), request_id=row.id, ground=ground)
        uow.session.add(found)
    found.ground, found.recorded_by, found.recorded_at = ground, actor, uow.clock.now()
    uow.session.flush()
    audit_request(uow, row, actions.GROUND_RECORDED, actor=actor, ground=ground)
    return found


def plan_erasure(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    *,
    actor: str,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
) -> ErasurePlan:
    """A new plan for the request; an earlier plan not yet approved (stale, rejected) is
    superseded.

    Refused, changing nothing: without a ground (ERA-01), while a plan is approved or
    running, once one is done, or when the sources file names an anonymisation rule
    dataward does not know.
    """
    row = erasure_request(uow, organisation, ref)
    ground = ground_of(uow, row)
    if ground is None:
        raise NoGround(f"request {row.ref}: record the ground the subject relies on (ERA-01) first")
    earlier = plans_of(uow, row)
    if any(plan.state in (*LIVE, "done") for plan in earlier):
        raise ErasureRefused(f"request {row.ref}: an erasure plan is approved already")
    stored = current_sources(uow, organisation)
    sources = stored.parsed().sources
    _check_rules(sources)
    subject = subject_of(uow, row)
    subject_id = subject.id
    declared = {d.id for d in register_of(uow, organisation).datasets}
    now = uow.clock.now()
    plan = ErasurePlan(
        id=str(uuid.uuid4()),
        organisation=organisation,
        request_id=row.id,
        subject_id=subject_id,
        ground=ground.ground,
        sources_version=stored.version,
        register_version=current_version(uow, organisation).version,
        state=PLANNED,
        planned_by=actor,
        created_at=now,
        updated_at=now,
    )
    for old in earlier:
        if old.state in (PLANNED, STALE, REJECTED):
            old.state, old.updated_at = SUPERSEDED, now
    uow.session.add(plan)
    uow.session.flush()
    values = subject_identities(uow, subject)
    opened = dict(connectors) if connectors is not None else open_all(sources, env)
    try:
        steps = [
            _step(uow, plan, survey)
            for survey in survey_subject(
                uow,
                organisation,
                sources,
                opened,
                values,
                subject_id=subject_id,
                datasets=[d for d in sources.datasets if d in declared],
                on=today_of(uow),
            )
        ]
    finally:
        if connectors is None:
            for connector in opened.values():
                connector.close()
    _order(steps, sources)
    plan.rows_erased = sum(s.rows for _, s in steps)
    plan.rows_kept = sum(s.rows_kept for _, s in steps)
    plan.files_erased = sum(s.files for _, s in steps)
    # dataward's own copies go too only when nothing of the person is kept anywhere.
    plan.shred_when_done = plan.rows_kept == 0 and not sources.searched_by_hand
    uow.session.flush()
    audit_plan(
        uow,
        plan,
        actions.PLAN_MADE,
        actor=actor,
        row=row,
        rows=plan.rows_erased,
        kept=plan.rows_kept,
        files=plan.files_erased,
        sources_version=plan.sources_version,
    )
    return plan


def _step(uow: UnitOfWork, plan: ErasurePlan, survey: Survey) -> tuple[Survey, ErasureStep]:
    """The binding's step, its key digests written a batch at a time as the survey streams."""
    step = ErasureStep(
        id=str(uuid.uuid4()),
        plan_id=plan.id,
        dataset=survey.dataset,
        binding=survey.index,
        connection=survey.binding.connection,
        seq=0,
        action=ERASE,
        how=survey.how,
        state=STEP_PENDING,
    )
    uow.session.add(step)
    flushed = False
    for batch in survey.batches():
        if batch.erase:
            if not flushed:
                # Its keys point at it. A step without keys (most of a typical subject's)
                # is written with the others, its counts known: one INSERT, no UPDATE.
                uow.session.flush()
                flushed = True
            add_keys(uow, step, batch.erase)
    # A binding with no rows of the person is erased too: its evidence says "none".
    erasing = survey.kept_reason is None or survey.erased > 0
    step.action = ERASE if erasing else KEEP
    step.state = STEP_PENDING if erasing else STEP_KEPT
    step.rows, step.files, step.rows_kept = survey.erased, survey.files, survey.held
    step.kept_reason = survey.kept_reason
    step.kept_detail = ", ".join(survey.kept_detail) or None
    return survey, step


def _order(steps: list[tuple[Survey, ErasureStep]], sources: SourcesFile) -> None:
    """Execution order per source, children (longer relation chains) first.

    File sources come before databases: a CSV row may find its person through a database's
    table (``subject``), so that table must still hold the person when the file is erased.
    """

    def order(pair: tuple[Survey, ErasureStep]) -> tuple[bool, str, int, str, int]:
        survey = pair[0]
        database = sources.connections[survey.binding.connection].kind == "sql"
        return (
            database,
            survey.binding.connection,
            -depth(survey.binding),
            survey.dataset,
            survey.index,
        )

    ordered = sorted(steps, key=order)
    for seq, (_, step) in enumerate(ordered, start=1):
        step.seq = seq


def _check_rules(sources: SourcesFile) -> None:
    unknown = sorted(
        {
            strategy.partition(":")[2]
            for bindings in sources.datasets.values()
            for binding in bindings
            for info in binding.columns.values()
            if (strategy := _strategy(info.erasure)).startswith("anonymise:")
            and strategy.partition(":")[2] not in ANONYMISE_RULES
        }
    )
    if unknown:
        raise ErasureInvalid(
            f"the sources file names anonymisation rules dataward does not know: "
            f"{', '.join(unknown)} (known: {', '.join(ANONYMISE_RULES)})"
        )


def _strategy(erasure: object) -> str:
    return strategy_of(erasure) if erasure is not None else ""


__all__ = ["ERASURE", "GROUNDS", "plan_erasure", "record_ground"]
