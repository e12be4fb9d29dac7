"""The retention plan (RET-01..03): a dry run of every retention rule of the register on the
organisation's own data. Nothing changes in any source and nothing is stored.

For each rule: the datasets it covers, each covered dataset's bindings in the current sources
file, the trigger events bound to columns, the cutoff day its offset makes due today, and
per binding the rows due, the due rows held (a legal hold on the case or the record, a hold
predicate of the sources file open on the row or on its case) and the next days rows fall
due, with a sample of key digests. A runner acts on ``BindingPlan.conditions`` (the same
SQL as ``due_sql`` and ``held_sql``): the rows to act on are ``due AND NOT (any held)``.

Reported, never guessed: a period the notice leaves vague (needs a decision), data not bound
to any source, a trigger not bound, a trigger column missing or holding non-dates (the rule
is skipped for that binding), a source that cannot be reached (that rule waits).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dataward.holds.service import register_of, today_of
from dataward.publication.registers import current_version, list_organisations
from dataward.register.lint_rules.retention import covers_dataset
from dataward.register.models import Register, RetentionRule
from dataward.register.models.retention import Offset, Trigger
from dataward.retention.context import (
    ANY_NATION,
    EVENT_PENDING,
    PlanContext,
    close_connectors,
    open_connectors,
    plan_context,
)
from dataward.retention.context import RESTRICTION as RESTRICTION
from dataward.retention.cutoff import countable, cutoff
from dataward.retention.errors import RetentionInvalid
from dataward.retention.holds_sql import holding
from dataward.retention.plan_binding import plan_binding
from dataward.retention.plan_types import (
    BindingPlan,
    Conditions,
    DatasetPlan,
    RetentionPlan,
    RulePlan,
)
from dataward.retention.through import entity_trigger
from dataward.sources.connectors.base import (
    Connector,
    SourceUnavailable,
)
from dataward.sources.models import Binding, SourcesFile
from dataward.sources.versions import current_sources
from dataward.uow import UnitOfWork

__all__ = [
    "EVENT_PENDING",
    "RESTRICTION",
    "BindingPlan",
    "Conditions",
    "DatasetPlan",
    "RetentionPlan",
    "RulePlan",
    "plan_retention",
]


def plan_retention(
    uow: UnitOfWork,
    organisation: str,
    *,
    connectors: Mapping[str, Connector | SourceUnavailable] | None = None,
    env: Mapping[str, str] | None = None,
    for_reader: bool = True,
    counts: bool = True,
) -> RetentionPlan:
    """The plan for today (``uow.clock``): every rule of the current register, in order.

    ``for_reader=False`` leaves out what only a reader reads: the sample of keys, the next
    days rows fall due and the SQL text. The statuses, the non-date check of the trigger
    columns and the counts (due, held by each hold) are the same. ``counts=False`` (a run's
    plan) counts a database binding only when it has no row to act on; one with rows is
    ``counted=False``, its counts left to its record (``retention.tally``)."""
    register = register_of(uow, organisation)
    stored = current_sources(uow, organisation)
    sources = stored.parsed().sources
    today = today_of(uow)
    opened, own = open_connectors(sources, connectors, env)
    try:
        context = plan_context(
            uow,
            organisation,
            register,
            sources,
            opened,
            today=today,
            holds_on=today,
            for_reader=for_reader,
            counts=counts,
        )
        rules = [_plan_rule(context, rule) for rule in register.retention_rules]
    finally:
        if own:
            close_connectors(opened)
    return RetentionPlan(
        organisation=organisation,
        as_of=today,
        register_version=current_version(uow, organisation).version,
        sources_version=stored.version,
        rules=rules,
    )


def binding_conditions(
    uow: UnitOfWork,
    organisation: str,
    sources: SourcesFile,
    rule_id: str,
    dataset: str,
    binding: Binding,
    connectors: Mapping[str, Connector | SourceUnavailable],
    *,
    as_of: date,
) -> BindingPlan:
    """One binding of one rule planned again without counting: ``conditions`` are the rows
    to act on as of ``as_of``, with the holds in force now. For a run, at the moment it acts
    (nothing is counted; the trigger columns were checked when the run was planned). A
    ``status`` other than ``planned`` says why there is nothing to act on."""
    register = register_of(uow, organisation)
    rule = next((r for r in register.retention_rules if r.id == rule_id), None)
    where = binding.table or binding.pattern or ""
    if rule is None:
        return BindingPlan(binding.connection, where, "skipped", "the rule left the register")
    context = plan_context(
        uow,
        organisation,
        register,
        sources,
        dict(connectors),
        today=as_of,
        holds_on=max(as_of, today_of(uow)),
    )
    plan = _rule_head(context, rule)
    if plan.status != "planned":
        return BindingPlan(binding.connection, where, "skipped", plan.reason)
    return plan_binding(context, rule, plan, dataset, binding, count=False)


# One rule --------------------------------------------------------------------------------------


def _period_problem(rule: RetentionRule, register: Register) -> str | None:
    """Why the rule's period cannot be counted, or None."""
    if not isinstance(rule.trigger, Trigger):
        return "the notice gives no event that starts the period"
    if not isinstance(rule.offset, Offset):
        if rule.kept_while is not None and rule.offset is None:
            return None  # the action runs when the state ends: the trigger's own day
        return "the notice gives no period (unspecified)"
    if not countable(rule.offset):
        return "the period is 'as soon as reasonably necessary': set a fixed period"
    if rule.offset.working_days is not None and register.controller.nation is None:
        return "working days need the controller's nation (controller.nation)"
    if rule.action is None:
        return "the notice does not say what happens at the end"
    return None


def _rule_cutoff(rule: RetentionRule, context: PlanContext) -> date | None:
    # A rule kept while a state lasts, with no offset, acts on the day the state ends.
    offset = rule.offset if isinstance(rule.offset, Offset) else Offset(days=0)
    # _period_problem refused working days without a nation; other offsets ignore it.
    return cutoff(offset, context.today, context.register.controller.nation or ANY_NATION)


def _rule_head(context: PlanContext, rule: RetentionRule) -> RulePlan:
    """The rule's status and, where it can be counted, its triggers and cutoff."""
    plan = RulePlan(rule=rule.id, name=rule.name, action=rule.action or "", status="planned")
    if rule.action == "no_end_date":
        plan.status, plan.reason = "no_end", "kept with no end date: nothing falls due"
        return plan
    if rule.action == "never_stored":
        plan.status, plan.reason = "never_stored", "the data is never stored"
        return plan
    problem = _period_problem(rule, context.register)
    if problem is not None:
        plan.status, plan.reason = "needs_decision", problem
        return plan
    assert isinstance(rule.trigger, Trigger)
    plan.triggers = list(rule.trigger.any_of)
    plan.latest_of_entity = bool(rule.trigger.latest_of_entity)
    plan.cutoff = _rule_cutoff(rule, context)
    return plan


def _plan_rule(context: PlanContext, rule: RetentionRule) -> RulePlan:
    plan = _rule_head(context, rule)
    if plan.status != "planned":
        return plan
    covered = [d for d in context.register.datasets if covers_dataset(rule, d)]
    plan.subject_holds = sum(
        1
        for hold in context.holds
        if hold.scope == "subject"
        and holding(hold, rule, context)
        and set(hold.datasets) & {d.id for d in covered}
    )
    if rule.restriction_is_hold:
        plan.restrictions = len(context.restricted)
    for dataset in covered:
        plan.datasets.append(_plan_dataset(context, rule, plan, dataset.id))
    return plan


def _plan_dataset(
    context: PlanContext, rule: RetentionRule, plan: RulePlan, dataset: str
) -> DatasetPlan:
    bindings = context.sources.datasets.get(dataset)
    if not bindings:
        if dataset in context.sources.searched_by_hand:
            return DatasetPlan(dataset, "searched_by_hand", reason="not bound to any source")
        return DatasetPlan(dataset, "not_bound", reason="not bound to any source")
    bound = [
        b
        for b in bindings
        if set(plan.triggers) & set(b.events)
        or entity_trigger(context.register, context.sources, b, plan.triggers) is not None
    ]
    if not bound:
        return DatasetPlan(
            dataset, "trigger_not_bound", reason=f"trigger not bound ({', '.join(plan.triggers)})"
        )
    found = DatasetPlan(dataset, "bound")
    for binding in bindings:
        if binding not in bound:
            found.bindings.append(
                BindingPlan(
                    binding.connection,
                    binding.table or binding.pattern or "",
                    "skipped",
                    "trigger not bound",
                )
            )
            continue
        found.bindings.append(plan_binding(context, rule, plan, dataset, binding))
    return found


def organisation_of(uow: UnitOfWork, organisation: str | None) -> str:
    """The organisation named, or the only one with a register stored."""
    stored = sorted({row.organisation for row in list_organisations(uow)})
    if organisation is not None:
        if organisation not in stored:
            raise RetentionInvalid(f"no register stored for organisation {organisation[:80]!r}")
        return organisation
    if len(stored) != 1:
        raise RetentionInvalid(
            "name the organisation with --org"
            + (f" (one of {', '.join(stored)})" if stored else ": no register is stored")
        )
    return stored[0]
