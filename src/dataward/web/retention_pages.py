"""Staff console: the organisation's retention today (RET-01..03, RES-01, issue 20).

Read-only. ``retention.plan`` makes the dry run and ``retention.plan_views`` regroups it: due
this week, held and by what, overdue and why (against each table's last run, from the runs'
evidence), what needs a decision or is bound to no source, and a rule's own page (the
register view, with its last runs). ``?as_of=YYYY-MM-DD`` looks ahead: the plan is made with
a clock fixed on that day. Counts only: never a value of a row. The runs' own pages and
"Run now" are ``retention_run_pages``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.clock import Clock, FixedClock
from dataward.errors import DatawardError
from dataward.holds.service import register_of, today_of
from dataward.publication.registers import list_organisations
from dataward.retention.errors import RetentionInvalid, RetentionRuleNotFound
from dataward.retention.evidence import rule_records, run_history, runs_of
from dataward.retention.evidence_views import last_run_of
from dataward.retention.plan import RetentionPlan, plan_retention
from dataward.retention.plan_views import due_words, held_words, retention_view, rule_words
from dataward.retention.run_finish import done_of
from dataward.sources.errors import SourcesNotFound
from dataward.sources.versions import newest_sources
from dataward.uow import UnitOfWork
from dataward.web.auth import console, parse_day, principal_of
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_now
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
# Who sees what holds keep sees what retention deletes: the same readers as legal holds.
READ = console(Permission.HOLDS_READ)
Text = Annotated[str, Query(max_length=80)]
AHEAD_YEARS = 10


def chosen_organisation(uow: UnitOfWork, org: str) -> tuple[str, list[str]]:
    """The organisation asked for, else the first with a sources file stored, else the first."""
    organisations = sorted({row.organisation for row in list_organisations(uow)})
    if org in organisations:
        return org, organisations
    with_sources = [o for o in organisations if newest_sources(uow, o) is not None]
    return (with_sources or organisations or [""])[0], organisations


def _furthest(today: date) -> date:
    """The furthest day a look ahead may ask for (29 February looks to 28 February)."""
    try:
        return today.replace(year=today.year + AHEAD_YEARS)
    except ValueError:
        return today.replace(year=today.year + AHEAD_YEARS, day=28)


def _as_of(today: date, typed: str) -> date:
    """The day to plan as of: today, or a day ahead typed in the filter (validated)."""
    if not typed.strip():
        return today
    day = parse_day(typed, "as of")
    if not today <= day <= _furthest(today):
        raise RetentionInvalid(f"as of must be a day from today to {AHEAD_YEARS} years ahead")
    return day


def _plan(request: Request, uow: UnitOfWork, organisation: str, day: date) -> RetentionPlan:
    """The plan for ``day``: with the app's clock today, else a clock fixed on that day."""
    if day == today_of(uow):
        return plan_retention(uow, organisation)
    state = request.app.state
    # Noon UTC is the same day in UK time, winter and summer (as the CLI's --as-of).
    clock: Clock = FixedClock(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    vault = getattr(state, "vault", None)
    with UnitOfWork(state.session_factory, clock, vault, read_only=True) as ahead:
        return plan_retention(ahead, organisation)


def _context(
    request: Request, uow: UnitOfWork, org: str, as_of: str
) -> tuple[dict[str, object], int]:
    organisation, organisations = chosen_organisation(uow, org)
    today = today_of(uow)
    status = 200
    try:
        day = _as_of(today, as_of)
    except DatawardError as error:
        flash_now(request, "error", error_text(error))
        day, status = today, 422
    context: dict[str, object] = {
        "organisations": organisations,
        "org": organisation,
        "today": today,
        "as_of": day,
        "typed_as_of": as_of[:80] if status != 200 else ("" if day == today else day.isoformat()),
        "max_as_of": _furthest(today),
        "plan": None,
        "view": None,
        "problem": "",
        "query": query_of(organisation, day, today),
        # Evidence is the auditors' (audit:read); "Run now" the DPO's or an administrator's.
        "may_read_runs": principal_of(request).can(Permission.AUDIT_READ),
        "may_run": principal_of(request).can(Permission.RETENTION_RUN),
        "latest_run": None,
    }
    if not organisation:
        return context, status
    try:
        plan = _plan(request, uow, organisation, day)
        register = register_of(uow, organisation)
    except SourcesNotFound:
        context["problem"] = (
            f"No sources file is stored for {organisation} yet, so the plan has no data to "
            "read: load one with the command dataward sources load. (code sources_not_found)"
        )
        return context, status
    except DatawardError as error:
        context["problem"] = error_text(error)
        return context, status
    context["plan"] = plan
    context["register"] = register
    context["view"] = retention_view(plan, register, run_history(uow, organisation))
    context["latest_run"] = next(iter(runs_of(uow, organisation, limit=1)), None)
    return context, status


def query_of(org: str, as_of: date, today: date) -> str:
    """The query string that keeps the organisation and the day on links between pages."""
    parts = [f"org={org}"] if org else []
    if as_of != today:
        parts.append(f"as_of={as_of.isoformat()}")
    return "?" + "&".join(parts) if parts else ""


@router.get("/console/retention", name="retention_page", dependencies=[READ])
def retention_page(request: Request, uow: Uow, org: Text = "", as_of: Text = "") -> Response:
    context, status = _context(request, uow, org, as_of)
    return render(request, "console/retention.html", context, status_code=status)


@router.get("/console/retention/rules/{rule}", name="retention_rule_page", dependencies=[READ])
def retention_rule_page(
    request: Request, rule: str, uow: Uow, org: Text = "", as_of: Text = ""
) -> Response:
    """The register view: one rule in words, what it covers, and its plan per table."""
    organisation, _ = chosen_organisation(uow, org)
    if not organisation:
        raise RetentionRuleNotFound("no register is stored")
    register = register_of(uow, organisation)
    found = next((r for r in register.retention_rules if r.id == rule[:80]), None)
    if found is None:
        raise RetentionRuleNotFound(f"{organisation} has no retention rule {rule[:80]!r}")
    context, status = _context(request, uow, organisation, as_of)
    context["rule"] = rule_words(found, register)
    plan = context["plan"]
    if isinstance(plan, RetentionPlan):
        rule_plan = next((r for r in plan.rules if r.rule == found.id), None)
        context["rule_plan"] = rule_plan
        context["due_words"] = due_words(rule_plan, register) if rule_plan else ""
    # The register view's "Runs": this rule's last records, holds in words.
    records = rule_records(uow, organisation, found.id)
    words = {
        label: held_words(label, register, found).words for r, _ in records for label in r.held
    }
    done = done_of(uow, records)
    context["rule_runs"] = [
        (
            last_run_of(record, run, lambda label: words.get(label, label), done.get(record.id)),
            record,
        )
        for record, run in records
    ]
    return render(request, "console/retention_rule.html", context, status_code=status)
