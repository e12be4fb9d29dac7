"""Staff console: a request's tasks (the search record, SAR-07; human review, ADM-01) and
splitting a request that asks for several rights.

The panel sits on the request's page (``console/_request_tasks.html``); each form posts here,
is confirmed first (``web.confirm``), runs the same service the API uses, then redirects
back to the request. Setting a search aside as not reasonable and proportionate has a route
of its own, open only to ``requests:approve`` (the DPO, an administrator); the service
checks it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.errors import ValidationFailed
from dataward.requests import tasks as work
from dataward.requests.models import RightsRequest
from dataward.requests.rights_applied import (
    APPLIED_RIGHTS,
    APPLY_TASK,
    apply_right,
    lift_from_request,
    restrictions_of_request,
    warn_before_lifting,
)
from dataward.requests.source_search import SEARCH_KIND, search_sources
from dataward.requests.split import parent_of, split_into, split_request
from dataward.requests.task_models import TASK_KINDS, UNFINISHED, RequestTask
from dataward.requests.transitions import OPEN, Step
from dataward.sources.versions import newest_sources
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text, parse_day
from dataward.web.confirm import Confirmation, confirm_then_run

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
WRITE = console(Permission.REQUESTS_WRITE)
APPROVE = console(Permission.REQUESTS_APPROVE)
NOTE = 4000


@dataclass(frozen=True)
class TaskView:
    """One row of the tasks table, with its sealed words opened for staff."""

    task: RequestTask
    what: str
    result: str | None
    reason: str | None
    review: work.Review | None
    # The forms this task offers, by action name.
    actions: tuple[str, ...]


def _actions(task: RequestTask) -> tuple[str, ...]:
    if task.state not in UNFINISHED:
        return ()
    start = ("start",) if task.state == "open" else ()
    if task.kind in work.SEARCH_KINDS:
        return (*start, "search", "not_reasonable")
    if task.kind == "human_review":
        return (*start, "review")
    if task.kind == APPLY_TASK and task.right in APPLIED_RIGHTS:
        return (*start, "apply", "not_needed")  # RES-01, OBJ-01: through the consent services
    return (*start, "finish", "not_needed")


def task_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, object]:
    """What ``_request_tasks.html`` shows: the tasks, and the requests split from or into."""
    views = [
        TaskView(
            task,
            TASK_KINDS.get(task.kind, task.kind),
            None if task.kind == "human_review" else work.result_of(uow, row, task),
            work.reason_of(uow, row, task),
            work.review_of(uow, row, task),
            _actions(task) if row.outcome is None else (),
        )
        for task in work.tasks_of(uow, row)
    ]
    return {
        "tasks": views,
        "tasks_open": sum(1 for v in views if v.task.state in UNFINISHED),
        "split_parent": parent_of(uow, row),
        "split_children": split_into(uow, row),
        "can_split": row.state in OPEN and len(row.rights) > 1,
        "can_search_sources": _can_search_sources(uow, row, views),
        "restrictions": restrictions_of_request(uow, row),
    }


def _can_search_sources(uow: UnitOfWork, row: RightsRequest, views: list[TaskView]) -> bool:
    """The button shows once a search could run: a subject linked, identity proven, and an
    open search of a dataset the stored sources file binds (the service checks each again)."""
    if row.outcome is not None or row.subject_id is None or row.identity_verified_on is None:
        return False
    open_datasets = {
        v.task.dataset
        for v in views
        if v.task.kind == SEARCH_KIND and v.task.state in UNFINISHED and v.task.dataset
    }
    stored = newest_sources(uow, row.organisation) if open_datasets else None
    return stored is not None and bool(open_datasets & set(stored.parsed().sources.datasets))


# Each action on a task: its button, what happens (for the confirmation page).
ACTIONS: dict[str, tuple[str, str]] = {
    "start": ("Take this task on", "It shows as yours, in progress."),
    "search": (
        "Record the search",
        "The dataset is recorded as searched, by you, today, with what was found (SAR-07).",
    ),
    "not_reasonable": (
        "Record the search as not reasonable and proportionate",
        "The dataset is not searched; your reason is the controller's record (SAR-07).",
    ),
    "review": (
        "Record the human review",
        "The subject's view and your decision are recorded and the outcome is sent to the "
        "requester (ADM-01).",
    ),
    "apply": (
        "Apply the restriction or objection",
        "It is recorded for the request's subject: the decision API answers no for the "
        "purposes it covers from now on (RES-01, OBJ-01), and the task is done.",
    ),
    "finish": ("Mark the task done", "The task is recorded as done, by you, today."),
    "not_needed": ("Mark the task not needed", "The task is set aside, with your reason."),
}


def _back(org: str, ref: str) -> str:
    return f"/console/requests/{org[:80]}/{ref[:32]}"


def _run(
    uow: UnitOfWork, org: str, ref: str, task_id: str, name: str, form: FormData, actor: str
) -> str:
    org, ref = org[:80], ref[:32]
    if name == "start":
        work.start_task(uow, org, ref, task_id, actor=actor)
    elif name == "search":
        found = form_text(form, "found", 3)
        if found not in ("yes", "no"):
            raise ValidationFailed("say whether anything was found (yes or no)")
        note = form_text(form, "note", NOTE, required=False)
        work.record_search(uow, org, ref, task_id, found == "yes", note, actor=actor)
    elif name == "not_reasonable":
        reason = form_text(form, "reason", NOTE)
        work.not_reasonable(uow, org, ref, task_id, reason, actor=actor)
    elif name == "review":
        view, outcome = form_text(form, "subject_view", NOTE), form_text(form, "outcome", NOTE)
        work.record_review(uow, org, ref, task_id, view, outcome, actor=actor)
    elif name == "apply":
        typed = form_text(form, "purposes", 2000, required=False)
        purposes = [p.strip() for p in typed.split(",") if p.strip()]
        ground = form_text(form, "ground", 40, required=False) or None
        apply_right(uow, org, ref, task_id, purposes=purposes, ground=ground, actor=actor)
    elif name == "finish":
        note = form_text(form, "note", NOTE, required=False)
        work.finish_task(uow, org, ref, task_id, note, actor=actor)
    else:
        work.not_needed(uow, org, ref, task_id, form_text(form, "reason", NOTE), actor=actor)
    return f"{ACTIONS[name][0]}: done."


def _task_route(request: Request, org: str, ref: str, task_id: str, name: str) -> Response:
    back = _back(org, ref)
    title, effect = ACTIONS[name]

    def confirm(form: FormData) -> Confirmation:
        return Confirmation(title, [effect], title, back)

    def action(uow: UnitOfWork, form: FormData, actor: str) -> str:
        return _run(uow, org, ref, task_id[:24], name, form, actor)

    return confirm_then_run(request, back, confirm, action)


@router.post(
    "/console/requests/{org}/{ref}/tasks/{task_id}/not_reasonable",
    name="request_task_not_reasonable",
    dependencies=[APPROVE],
)
def task_not_reasonable(request: Request, org: str, ref: str, task_id: str) -> Response:
    """SAR-07: the DPO's decision, with the reason, that a search is not reasonable."""
    return _task_route(request, org, ref, task_id, "not_reasonable")


@router.post(
    "/console/requests/{org}/{ref}/tasks/{task_id}/{name}",
    name="request_task_step",
    dependencies=[WRITE],
)
def task_step(request: Request, org: str, ref: str, task_id: str, name: str) -> Response:
    if name not in ACTIONS or name == "not_reasonable":
        raise ValidationFailed(f"unknown task action {name[:40]!r}")
    return _task_route(request, org, ref, task_id, name)


# RES-01, Art 18(3): a restriction on the request's subject is lifted only after the
# requester is told; both steps confirmed first.
RESTRICTION_STEPS: dict[str, tuple[str, str]] = {
    "warn": (
        "Tell the requester it will be lifted",
        "The requester is sent the message that the restriction will be lifted (by post "
        "when they have no email address: send the letter), and that they were told is "
        "recorded (Art 18(3)).",
    ),
    "lift": (
        "Lift the restriction",
        "The restriction ends now: the decision API stops answering no because of it "
        "(RES-01). Refused unless the requester was told first.",
    ),
}


@router.post(
    "/console/requests/{org}/{ref}/restrictions/{restriction}/{name}",
    name="request_restriction_step",
    dependencies=[WRITE],
)
def restriction_step(request: Request, org: str, ref: str, restriction: str, name: str) -> Response:
    """Tell the requester a restriction will be lifted, then lift it (RES-01)."""
    if name not in RESTRICTION_STEPS:
        raise ValidationFailed(f"unknown restriction step {name[:40]!r}")
    back = _back(org, ref)
    title, effect = RESTRICTION_STEPS[name]

    def confirm(form: FormData) -> Confirmation:
        return Confirmation(title, [effect], title, back, destructive=name == "lift")

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        step = warn_before_lifting if name == "warn" else lift_from_request
        done = step(uow, org[:80], ref[:32], restriction[:32], actor=actor)
        return f"{title}: done ({done.ref})."

    return confirm_then_run(request, back, confirm, act)


@router.post(
    "/console/requests/{org}/{ref}/search_sources",
    name="request_search_sources",
    dependencies=[WRITE],
)
def request_search_sources(request: Request, org: str, ref: str) -> Response:
    """Issue 18: search the subject in every bound source; each bound dataset's search is
    recorded with its counts, the others stay open (SAR-07)."""
    back = _back(org, ref)

    def confirm(form: FormData) -> Confirmation:
        return Confirmation(
            "Search the organisation's sources",
            [
                "The subject's identities are looked for in every dataset the stored sources "
                "file binds; each one's search is recorded as done by you, with its row and "
                "file counts.",
                "Datasets no source binds stay open, to search by hand.",
            ],
            "Search the organisation's sources",
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        result = search_sources(uow, org[:80], ref[:32], actor=actor)
        rows = sum(c.rows for c in result.searched.values())
        files = sum(c.files for c in result.searched.values())
        left = f"; {len(result.not_bound)} left to search by hand" if result.not_bound else ""
        return (
            f"Searched {len(result.searched)} datasets in sources v{result.version}: "
            f"{rows} rows, {files} files{left}."
        )

    return confirm_then_run(request, back, confirm, act)


@router.post("/console/requests/{org}/{ref}/split", name="request_split", dependencies=[WRITE])
def request_split(request: Request, org: str, ref: str) -> Response:
    """Move the chosen rights (and their tasks) to a new request; the page links to it."""
    back = _back(org, ref)

    def chosen(form: FormData) -> list[str]:
        return [r[:40] for r in form.getlist("rights") if isinstance(r, str)][:12]

    def confirm(form: FormData) -> Confirmation:
        rights = chosen(form)
        if not rights:
            raise ValidationFailed("choose the rights to move to the new request")
        return Confirmation(
            "Split this request",
            [
                f"A new request takes {', '.join(rights).replace('_', ' ')} and their tasks.",
                "It keeps the day this one arrived, its clock and its due date; this request "
                "keeps the other rights.",
            ],
            "Split this request",
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        note = form_text(form, "note", NOTE, required=False) or None
        step = Step(actor, parse_day(form_text(form, "on", 10), "the day"), note)
        new = split_request(uow, org[:80], ref[:32], chosen(form), step)
        return f"Split: {', '.join(new.rights).replace('_', ' ')} moved to {new.ref}."

    return confirm_then_run(request, back, confirm, act)
