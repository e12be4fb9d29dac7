"""The retention plan (RET-01..03): a dry run of every retention rule of the register on the
organisation's own data. Nothing changes in any source and nothing is stored.

For each rule: the datasets it covers, each covered dataset's bindings in the current sources
file, the trigger events bound to columns, the cutoff day its offset makes due today, and
per binding the rows due, the due rows held (a legal hold on the case or the record, a hold
predicate of the sources file open on the row or on its case) and the next days rows fall
due, with a sample of key digests. A runner consumes ``BindingPlan.due_sql`` and
``held_sql``: the rows to act on are ``due AND NOT (any held)``.

Reported, never guessed: a period the notice leaves vague (needs a decision), data not bound
to any source, a trigger not bound, a trigger column missing or holding non-dates (the rule
is skipped for that binding), a source that cannot be reached (that rule waits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy import exc as sa_exc

from dataward.calendar.working_days import Nation
from dataward.consent.models import Restriction
from dataward.erasure.survey import key_digest
from dataward.holds.models import LegalHold
from dataward.holds.service import register_of, today_of
from dataward.publication.registers import current_version, list_organisations
from dataward.register.lint_rules.retention import covers_dataset
from dataward.register.models import Register, RetentionRule
from dataward.register.models.retention import Offset, RestartAfter, Trigger
from dataward.requests.source_search import subject_identities
from dataward.retention import sql
from dataward.retention.cutoff import countable, cutoff, due_on
from dataward.retention.errors import RetentionInvalid
from dataward.retention.through import entity_trigger
from dataward.sources.connectors import open_connector
from dataward.sources.connectors.base import (
    BATCH_SIZE,
    Connector,
    IdentityValues,
    SourceMisfit,
    SourceUnavailable,
    root_of,
)
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.models import Binding, SourcesFile
from dataward.sources.versions import current_sources
from dataward.subjects.models import Subject
from dataward.subjects.service import survivor
from dataward.uow import UnitOfWork

_ANY_NATION = Nation.ENG
"""Only for offsets that count no working days, where the nation changes nothing."""
SAMPLE = 5
NEXT_DAYS = 14
EVENT_PENDING = "event_pending"
"""Held label: the entity has a later event still to come (the latest of the entity)."""
RESTRICTION = "restriction"
"""Held label: a restriction in force on the row's subject, for a rule where
``restriction_is_hold`` (RES-01)."""


@dataclass
class BindingPlan:
    """One binding of a covered dataset: what the rule makes due there today."""

    connection: str
    table: str
    status: str  # planned | skipped | waits | unsupported
    reason: str = ""
    due: int = 0
    held: dict[str, int] = field(default_factory=dict)
    held_any: int = 0
    next_due: list[tuple[date, int]] = field(default_factory=list)
    sample: list[str] = field(default_factory=list)
    unreadable: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    due_sql: str = ""
    held_sql: dict[str, str] = field(default_factory=dict)

    @property
    def to_act_on(self) -> int:
        return self.due - self.held_any


@dataclass
class DatasetPlan:
    dataset: str
    status: str  # bound | not_bound | searched_by_hand | trigger_not_bound
    bindings: list[BindingPlan] = field(default_factory=list)
    reason: str = ""


@dataclass
class RulePlan:
    rule: str
    name: str
    action: str
    status: str  # planned | needs_decision | no_end | never_stored
    reason: str = ""
    cutoff: date | None = None
    triggers: list[str] = field(default_factory=list)
    latest_of_entity: bool = False
    datasets: list[DatasetPlan] = field(default_factory=list)
    subject_holds: int = 0
    restrictions: int = 0  # restrictions in force, when the rule treats them as holds


@dataclass
class RetentionPlan:
    organisation: str
    as_of: date
    register_version: int
    sources_version: int
    rules: list[RulePlan]


@dataclass(frozen=True)
class _Context:
    uow: UnitOfWork
    organisation: str
    register: Register
    sources: SourcesFile
    today: date
    holds: list[LegalHold]
    connectors: dict[str, Connector | SourceUnavailable]
    restricted: list[str] = field(default_factory=list)  # subject ids, a restriction in force
    # Held subjects' identity values by hold label, and the root keys they resolve to by
    # (label, connection, table, key): looked up once per plan, never per row.
    values: dict[str, IdentityValues] = field(default_factory=dict)
    root_keys: dict[tuple[str, str, str, str], list[Any]] = field(default_factory=dict)


def plan_retention(
    uow: UnitOfWork,
    organisation: str,
    *,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
) -> RetentionPlan:
    """The plan for today (``uow.clock``): every rule of the current register, in order."""
    register = register_of(uow, organisation)
    stored = current_sources(uow, organisation)
    sources = stored.parsed().sources
    today = today_of(uow)
    opened: dict[str, Connector | SourceUnavailable] = dict(connectors or {})
    own = connectors is None
    try:
        if own:
            for name, connection in sources.connections.items():
                try:
                    opened[name] = open_connector(name, connection, env)
                except SourceUnavailable as down:
                    opened[name] = down
        holds = list(
            uow.session.scalars(
                select(LegalHold)
                .where(LegalHold.organisation == organisation, LegalHold.placed_on <= today)
                .order_by(LegalHold.placed_on, LegalHold.ref)
            )
        )
        restricted = sorted(
            set(
                uow.session.scalars(
                    select(Restriction.subject_id).where(
                        Restriction.organisation == organisation,
                        Restriction.lifted_at.is_(None),
                        Restriction.started_at <= uow.clock.now(),
                    )
                )
            )
        )
        context = _Context(uow, organisation, register, sources, today, holds, opened, restricted)
        rules = [_plan_rule(context, rule) for rule in register.retention_rules]
    finally:
        if own:
            for connector in opened.values():
                if not isinstance(connector, SourceUnavailable):
                    connector.close()
    return RetentionPlan(
        organisation=organisation,
        as_of=today,
        register_version=current_version(uow, organisation).version,
        sources_version=stored.version,
        rules=rules,
    )


# One rule ------------------------------------------------------------------------------------


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


def _rule_cutoff(rule: RetentionRule, context: _Context) -> date | None:
    # A rule kept while a state lasts, with no offset, acts on the day the state ends.
    offset = rule.offset if isinstance(rule.offset, Offset) else Offset(days=0)
    # _period_problem refused working days without a nation; other offsets ignore it.
    return cutoff(offset, context.today, context.register.controller.nation or _ANY_NATION)


def _plan_rule(context: _Context, rule: RetentionRule) -> RulePlan:
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
    covered = [d for d in context.register.datasets if covers_dataset(rule, d)]
    plan.subject_holds = sum(
        1
        for hold in context.holds
        if hold.scope == "subject"
        and _holding(hold, rule, context)
        and set(hold.datasets) & {d.id for d in covered}
    )
    if rule.restriction_is_hold:
        plan.restrictions = len(context.restricted)
    for dataset in covered:
        plan.datasets.append(_plan_dataset(context, rule, plan, dataset.id))
    return plan


def _plan_dataset(
    context: _Context, rule: RetentionRule, plan: RulePlan, dataset: str
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
        found.bindings.append(_plan_binding(context, rule, plan, dataset, binding))
    return found


# One binding ---------------------------------------------------------------------------------


def _plan_binding(
    context: _Context, rule: RetentionRule, plan: RulePlan, dataset: str, binding: Binding
) -> BindingPlan:
    where = binding.table or binding.pattern or ""
    result = BindingPlan(binding.connection, where, "planned")
    connector = context.connectors.get(binding.connection)
    if isinstance(connector, SourceUnavailable) or connector is None:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be reached"
        return result
    if not isinstance(connector, SqlConnector) or binding.table is None:
        # CSV/JSON rows and files are read a row at a time (retention/files.py), which
        # reuses this module's holds helpers: imported here, where the cycle cannot bite.
        from dataward.retention import files

        return files.plan_file_binding(context, rule, plan, dataset, binding, connector)
    assert plan.cutoff is not None
    try:
        _fill(context, rule, plan, dataset, binding, connector, result)
    except SourceUnavailable:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be reached"
    except SourceMisfit as misfit:
        result.status, result.reason = "skipped", misfit.message
    except sa_exc.OperationalError:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be reached"
    except sa_exc.DBAPIError:
        result.status = "skipped"
        result.reason = "the source refused the query (a trigger column of the wrong type?)"
    return result


def _fill(
    context: _Context,
    rule: RetentionRule,
    plan: RulePlan,
    dataset: str,
    binding: Binding,
    connector: SqlConnector,
    result: BindingPlan,
) -> None:
    assert binding.table is not None
    assert plan.cutoff is not None
    target = connector.table(binding.table)
    key = sql.column_of(connector, target, binding.key)
    # The trigger is read on the row's own table, or on its entity's (a payment's case).
    through = None
    if not set(plan.triggers) & set(binding.events):
        through = entity_trigger(context.register, context.sources, binding, plan.triggers)
        assert through is not None
    home = binding if through is None else through.home
    home_table = target if through is None else connector.table(str(home.table))
    events = [e for e in plan.triggers if e in home.events]
    triggers = sql.trigger_columns(connector, home_table, home, events)
    for trigger in triggers:
        bad = sql.unreadable(connector, trigger)
        if bad is None:
            result.status = "skipped"
            result.reason = f"trigger {trigger.event}: column {trigger.column.name} is not a date"
            return
        if bad:
            result.unreadable[trigger.event] = bad
    if result.unreadable:
        result.status = "skipped"
        result.reason = "trigger values that are not dates: " + ", ".join(
            f"{event} {count}" for event, count in result.unreadable.items()
        )
        return
    owner = None
    if home.subject is not None and home.subject.via in home_table.c:
        owner = (home_table, home.subject.via)
    home_key = sql.column_of(connector, home_table, home.key)
    due, pending = sql.due_condition(
        triggers, home_key, plan.cutoff, latest=plan.latest_of_entity, owner=owner
    )
    if through is not None:
        reference = sql.entity_reference(connector, target, binding, through.entity)
        assert reference is not None
        refs = sql.column_of(connector, home_table, through.column)
        due = sql.refers_to(reference, key, select(refs).where(due))
        if pending is not None:
            pending = sql.refers_to(reference, key, select(refs).where(pending))
        result.notes.append(f"trigger read on the {through.entity} ({home.table})")
    held = _held_conditions(context, rule, dataset, binding, connector, target, key, result)
    if pending is not None:
        held[EVENT_PENDING] = pending
    result.due, result.held, result.held_any = sql.counts(connector, target, due, held)
    result.due_sql = sql.as_sql(connector, due)
    result.held_sql = {label: sql.as_sql(connector, c) for label, c in held.items()}
    act_on = and_(due, *(~c for c in held.values()))
    keys = sql.sample_keys(connector, target, key, act_on, SAMPLE)
    result.sample = [key_digest(binding.connection, binding.table, k) for k in keys]
    if through is None:
        latest = plan.latest_of_entity
        result.next_due = _next_due(
            context, rule, plan.cutoff, connector, target, key, triggers, latest, owner
        )
    else:
        result.notes.append(f"next dates: counted on the {through.entity}'s own binding")


def _next_due(
    context: _Context,
    rule: RetentionRule,
    cut: date,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    triggers: list[sql.TriggerColumn],
    latest: bool,
    owner: tuple[Any, str] | None,
) -> list[tuple[date, int]]:
    """The days in the next fortnight rows fall due, and how many on each (set-based)."""
    offset = rule.offset if isinstance(rule.offset, Offset) else Offset(days=0)
    nation = context.register.controller.nation or _ANY_NATION
    last = cutoff(offset, context.today + timedelta(days=NEXT_DAYS), nation) or cut
    by_day: dict[date, int] = {}
    found = sql.next_trigger_days(
        connector, target, key, triggers, cut, last, latest=latest, owner=owner
    )
    for day, count in found.items():
        falls = due_on(offset, day, nation) or day
        by_day[falls] = by_day.get(falls, 0) + count
    return sorted(by_day.items())


# Holds ---------------------------------------------------------------------------------------


def _holding(hold: LegalHold, rule: RetentionRule, context: _Context) -> bool:
    """Whether a legal hold still keeps data today (open, or its closure still holds)."""
    if hold.closed_on is None or hold.closed_on > context.today:
        return True
    if hold.on_close == "keep":
        return True
    if hold.on_close == "restart_after":
        return (hold.release_on or hold.closed_on) > context.today
    if hold.on_close == "restart_rule":
        if not isinstance(rule.offset, Offset) or context.register.controller.nation is None:
            return True
        restarted = due_on(rule.offset, hold.closed_on, context.register.controller.nation)
        return restarted is None or restarted > context.today
    return False


def _hold_entities(register: Register, hold_id: str | None) -> list[str] | None:
    for hold in register.holds:
        if hold.id == hold_id:
            return list(hold.on)
    return None


def _held_conditions(
    context: _Context,
    rule: RetentionRule,
    dataset: str,
    binding: Binding,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    result: BindingPlan,
) -> dict[str, ColumnElement[bool]]:
    held: dict[str, ColumnElement[bool]] = {}
    # Legal holds of dataward's own (ERA-02): a record, or a case the row belongs to.
    for hold in context.holds:
        if dataset not in hold.datasets or not _holding(hold, rule, context):
            continue
        label = f"legal_hold:{hold.ref}"
        if hold.scope == "subject" and hold.subject_id:
            values = _subject_values(context, label, [hold.subject_id])
            found = _subject_condition(
                context, label, values, binding, connector, target, key, result
            )
            if found is not None:
                held[label] = found
        elif hold.scope == "record" and hold.record_ref:
            held[label] = key.in_([_typed(key, hold.record_ref)])
        elif hold.scope == "case" and hold.case_ref:
            entities = _hold_entities(context.register, hold.hold_id) or list(binding.entities)
            parts = []
            for entity in entities:
                reference = sql.entity_reference(connector, target, binding, entity)
                if reference is not None:
                    parts.append(sql.refers_to(reference, key, [hold.case_ref]))
            if parts:
                held[label] = or_(*parts)
            else:
                result.notes.append(f"{label}: no case reference bound here to match it")
    # RES-01: a restriction in force keeps the subject's rows, where the rule says so.
    if rule.restriction_is_hold and context.restricted:
        values = _subject_values(context, RESTRICTION, context.restricted)
        found = _subject_condition(
            context, RESTRICTION, values, binding, connector, target, key, result
        )
        if found is not None:
            held[RESTRICTION] = found
    # The rule's holds, read on the source: on the row, or on the entity it belongs to.
    for hold_id in rule.holds:
        register_hold = next((h for h in context.register.holds if h.id == hold_id), None)
        released = None
        if register_hold is not None and isinstance(register_hold.on_close, RestartAfter):
            offset = register_hold.on_close.restart_after
            nation = context.register.controller.nation or _ANY_NATION
            if countable(offset):
                released = cutoff(offset, context.today, nation)
        own = binding.holds.get(hold_id)
        if own is not None:
            held[hold_id] = sql.open_condition(connector, target, key, own, released)
            continue
        via_entity = _held_through_entity(
            context, hold_id, binding, connector, target, key, released
        )
        if via_entity is not None:
            held[hold_id] = via_entity
        else:
            result.notes.append(f"hold {hold_id}: not bound for this table, cannot be checked")
    return held


def _subject_values(context: _Context, label: str, subject_ids: list[str]) -> IdentityValues:
    """The held subjects' identity values from dataward's subject store (the survivor of a
    merge; a shredded subject has none), merged by kind. Kept in memory for this plan only:
    never logged, never in the plan's output."""
    cached = context.values.get(label)
    if cached is not None:
        return cached
    merged: dict[str, list[Any]] = {}
    seen: set[tuple[str, Any]] = set()
    for subject_id in subject_ids:
        subject = context.uow.session.get(Subject, subject_id)
        if subject is None:
            continue
        keep = survivor(context.uow, subject)
        if keep.shredded_at is not None:
            continue
        for kind, found in subject_identities(context.uow, keep).items():
            for value in found:
                if (kind, value) not in seen:
                    seen.add((kind, value))
                    merged.setdefault(kind, []).append(value)
    context.values[label] = merged
    return merged


def _subject_condition(
    context: _Context,
    label: str,
    values: IdentityValues,
    binding: Binding,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    result: BindingPlan,
) -> ColumnElement[bool] | None:
    """Rows of the held subjects: set-based, like the erasure survey's lookup.

    The subjects' identity values find their keys in the root table once per plan (batched
    ``IN`` lists); the binding's rows reach those keys along its ``subject:`` relation, or
    its own identity columns find its keys directly. The condition carries keys (ids of the
    organisation's own systems), never an identity value, so ``held_sql`` is plain SQL a
    runner can run and a reader can read.
    """
    if not values:
        result.notes.append(f"{label}: the held subject has no identities to match rows")
    root = root_of(context.sources, binding)
    own = binding.identities if binding.subject is not None else {}
    if root is None and not own:
        result.notes.append(f"{label}: no identity bound here to match the held subjects")
        return None
    parts: list[ColumnElement[bool]] = []
    if root is not None:
        marker = (label, root.connection, root.table, root.key)
        keys = context.root_keys.get(marker)
        if keys is None:
            finder = context.connectors.get(root.connection)
            if finder is None or isinstance(finder, SourceUnavailable):
                # A hold that cannot be checked must not let its rows look free: the binding waits.
                raise SourceUnavailable(f"connection {root.connection} cannot be reached")
            keys = list(finder.subject_keys(root.table, root.key, root.identities, values))
            context.root_keys[marker] = keys
        value, through = sql.subject_reference(connector, target, binding)
        matched = sql.among(value, keys, BATCH_SIZE)
        if through is not None and keys:
            matched = key.in_(through.where(matched).scalar_subquery())
        parts.append(matched)
    if own:
        assert binding.table is not None
        mine = list(connector.subject_keys(binding.table, binding.key, own, values))
        parts.append(sql.among(key, mine, BATCH_SIZE))
    return or_(*parts)


def _held_through_entity(
    context: _Context,
    hold_id: str,
    binding: Binding,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    released: date | None,
) -> ColumnElement[bool] | None:
    """A hold bound on the entity's own table (a complaint on the case) reaching this row
    through the row's reference to that entity (a recording's case)."""
    entities = _hold_entities(context.register, hold_id) or []
    for entity in entities:
        reference = sql.entity_reference(connector, target, binding, entity)
        if reference is None:
            continue
        for bindings in context.sources.datasets.values():
            for home in bindings:
                spec = home.entities.get(entity)
                rule = home.holds.get(hold_id)
                if (
                    rule is None
                    or not isinstance(spec, str)
                    or home.connection != binding.connection
                    or home.table is None
                ):
                    continue
                table = connector.table(home.table)
                home_key = sql.column_of(connector, table, home.key)
                is_open = sql.open_condition(connector, table, home_key, rule, released)
                refs = select(sql.column_of(connector, table, spec)).where(is_open)
                return sql.refers_to(reference, key, refs)
    return None


def _typed(key: ColumnElement[Any], value: str) -> Any:
    if key.type.python_type is int:
        try:
            return int(value)
        except ValueError:
            return value
    return value


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
