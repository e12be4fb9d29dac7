"""Staff console: the rights request queue, entering a request, and one request's page.

The queue's filters live in the address (bookmarkable, paged); a new request posts, then
redirects to its page; each step on a request is confirmed first (``web.confirm``) and runs
the same service the API and the CLI use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import FormData

from dataward.access.controller_transfer import destination_of
from dataward.access.models import PORTABILITY
from dataward.access.views import package_panel
from dataward.accounts.permissions import Permission
from dataward.clock import in_uk_time
from dataward.erasure.views import erasure_panel
from dataward.errors import DatawardError, ValidationFailed
from dataward.publication.registers import list_organisations
from dataward.request_logs import full_request_log
from dataward.requests import transitions as steps
from dataward.requests.dashboard import parse_month
from dataward.requests.messages import reply_addresses, request_messages
from dataward.requests.models import RightsRequest
from dataward.requests.queue import (
    URGENCIES,
    QueueFilter,
    earlier_requests,
    history,
    queue,
    urgency,
)
from dataward.requests.refusal_reasons import BY_CODE, reasons_for
from dataward.requests.reminders import reminder_panel
from dataward.requests.service import (
    CHANNELS,
    REQUESTABLE,
    REQUESTER_KINDS,
    NewRequest,
    Requester,
    get_request,
    open_request,
    requester_of,
)
from dataward.requests.tasks import open_counts
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork
from dataward.web.auth import (
    app_uow,
    audit_refusal,
    console,
    form_text,
    parse_day,
    posted_form,
    principal_of,
)
from dataward.web.confirm import Confirmation, confirm_then_run
from dataward.web.deps import get_uow
from dataward.web.disclosure_pages import rectification_panel
from dataward.web.flash import error_text, flash_later, flash_now
from dataward.web.portal_requests import acknowledge_opened
from dataward.web.request_authority_pages import authority_panel
from dataward.web.request_letter_pages import letters_panel
from dataward.web.request_subject_pages import candidates_panel
from dataward.web.request_task_pages import task_panel
from dataward.web.request_verification_pages import verification_panel
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.REQUESTS_READ)
WRITE = console(Permission.REQUESTS_WRITE)
PAGE = 50
Text = Annotated[str, Query(max_length=80)]
STATES = (*steps.OPEN, *steps.FINAL)


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


@router.get("/console/requests", name="requests_page", dependencies=[READ])
def requests_page(
    request: Request,
    uow: Uow,
    org: Text = "",
    due: Text = "",
    right: Text = "",
    channel: Text = "",
    state: Text = "",
    assignee: Text = "",
    closed: Text = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    organisations = [row.organisation for row in list_organisations(uow)]
    filters = QueueFilter(
        organisation=org if org in organisations else None,
        urgency=_choice(due, URGENCIES),
        right=_choice(right, tuple(r.value for r in REQUESTABLE)),
        channel=_choice(channel, CHANNELS),
        state=_choice(state, STATES),
        assignee=assignee.strip() or None,
        include_closed=closed == "yes",
    )
    page = queue(uow, filters, offset=offset, limit=PAGE)
    today = uow.clock.today()
    context = {
        "page": page,
        "urgency": {row.id: urgency(row, today) for row in page.rows},
        "tasks_open": open_counts(uow, [row.id for row in page.rows]),
        "shown": {
            "org": org,
            "due": due,
            "right": right,
            "channel": channel,
            "state": state,
            "assignee": assignee,
            "closed": closed,
        },
        "organisations": organisations,
        "rights": [r.value for r in REQUESTABLE],
        "channels": CHANNELS,
        "states": STATES,
        "urgencies": URGENCIES,
        "query": urlencode(
            [(k, v) for k, v in request.query_params.multi_items() if k != "offset" and v]
        ),
    }
    return render(request, "console/requests.html", context)


def _new_context(uow: UnitOfWork, typed: dict[str, object]) -> dict[str, object]:
    return {
        "organisations": [row.organisation for row in list_organisations(uow)],
        "rights": [r.value for r in REQUESTABLE],
        "channels": CHANNELS,
        "kinds": REQUESTER_KINDS,
        "typed": typed,
        "today": uow.clock.today().isoformat(),
    }


@router.get("/console/requests/export.csv", name="requests_export", dependencies=[READ])
def requests_export(request: Request, org: Text = "", month: Text = "") -> Response:
    """The request log an ICO audit asks for: every request, oldest first, with its dates
    and outcome, and nothing about the requester but whether they acted for someone.
    ``month`` (YYYY-MM) keeps the requests received in that month (the DPO's dashboard)."""
    uk_day = in_uk_time(request.app.state.clock.now()).date()
    within = parse_month(month.strip(), uk_day) if month.strip() else None

    def rows() -> Iterator[str]:
        with app_uow(request, read_only=True) as uow:
            yield from full_request_log(uow, org or None, within)

    name = within.label if within else request.app.state.clock.today().isoformat()
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="request-log-{name}.csv"'},
    )


@router.get("/console/requests/new", name="request_new", dependencies=[WRITE])
def request_new(request: Request, uow: Uow) -> Response:
    typed: dict[str, object] = {
        "channel": "post",
        "requester_kind": "self",
        "rights": [],
        "acknowledge": "yes",  # ticked by default: it goes only where an email is typed
    }
    return render(request, "console/request_new.html", _new_context(uow, typed))


@router.post("/console/requests/new", name="request_create", dependencies=[WRITE])
def request_create(request: Request, uow: Uow) -> Response:
    """Open a request entered by a caseworker (post, phone, email, in person...)."""
    form = posted_form(request)
    typed: dict[str, object] = {k: v for k, v in form.items() if k != "csrf_token"}
    typed["rights"] = [r for r in form.getlist("rights") if isinstance(r, str)]
    try:
        new = NewRequest(
            organisation=form_text(form, "org", 80),
            rights=[r for r in form.getlist("rights") if isinstance(r, str)][:12],
            channel=form_text(form, "channel", 16),
            received_on=parse_day(form_text(form, "received_on", 10), "received on"),
            requester=Requester(
                **{
                    name: form_text(form, name, 4000, required=False)
                    for name in (
                        "name",
                        "email",
                        "phone",
                        "address",
                        "words",
                        "on_behalf_of",
                        "authority",
                        "reply_by",
                    )
                }
            ),
            requester_kind=form_text(form, "requester_kind", 24),
            subject_ref=form_text(form, "subject_ref", 32, required=False).strip() or None,
        )
        with app_uow(request) as writer:
            actor = principal_of(request).actor
            row = open_request(writer, new, actor=actor)
            said = f"Request {row.ref} opened."
            if form.get("acknowledge") == "yes":
                sent = acknowledge_opened(request, writer, row, actor=actor)
                said += " Acknowledgement emailed." if sent else " Not emailed: answer by post."
            flash_later(writer, request, "success", said)
            writer.commit()
            target = f"/console/requests/{row.organisation}/{row.ref}"
    except DatawardError as error:
        audit_refusal(request, "web.input_refused", code=error.code)
        flash_now(request, "error", error_text(error))
        context = _new_context(uow, typed)
        return render(request, "console/request_new.html", context, status_code=error.http_status)
    return RedirectResponse(target, status_code=303)


@router.get("/console/requests/{org}/{ref}", name="request_page", dependencies=[READ])
def request_page(request: Request, org: str, ref: str, uow: Uow) -> Response:
    row = get_request(uow, org[:80], ref[:32])
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    context = {
        "row": row,
        "requester": requester_of(uow, row),
        "subject_ref": subject.ref if subject is not None else None,
        "history": history(uow, row),
        "earlier": earlier_requests(uow, row),
        "urgency": urgency(row, uow.clock.today()),
        "today": uow.clock.today().isoformat(),
        "methods": steps.IDENTITY_METHODS,
        "available": _available(row.state, row),
        "refusal_reasons": reasons_for(row.rights),
        "refused_for": BY_CODE.get(row.refusal_reason or ""),
        "messages": request_messages(uow, row),
        **reminder_panel(uow, row),
        **candidates_panel(uow, row),
        **task_panel(uow, row),
        **package_panel(uow, row),
        "portability_panel": package_panel(uow, row, PORTABILITY),
        "portability_destination": destination_of(uow, row) if PORTABILITY in row.rights else None,
        # The one-time code goes to the requester, who passes it on: no email, no sending.
        "portability_can_send": PORTABILITY in row.rights and bool(reply_addresses(uow, row)),
        **verification_panel(uow, row),
        **authority_panel(uow, row),
        **letters_panel(uow, row),
        **rectification_panel(uow, row),
        **erasure_panel(uow, row),
    }
    return render(request, "console/request.html", context)


# Each step the console offers: its title, what happens, whether a note is asked for. The
# service behind each name is ``requests.transitions.take_step``, which the API uses too.
STEPS: dict[str, tuple[str, str, bool]] = {
    "ask_identity": (
        "Ask for identity evidence",
        "The clock stops until the evidence arrives, then runs from that day (SAR-05).",
        False,
    ),
    "verify_identity": (
        "Record the requester's identity as verified",
        "Data may be disclosed or changed from now on; a waiting clock starts this day.",
        False,
    ),
    "ask_fee": (
        "Ask for a fee",
        "The clock stops until the fee arrives (SAR-05, SAR-08).",
        True,
    ),
    "fee_received": (
        "Record the fee as received",
        "The clock starts this day.",
        False,
    ),
    "ask_clarification": (
        "Ask for clarification",
        "The clock stops on this day until the answer arrives (SAR-06, access only).",
        True,
    ),
    "clarification_received": (
        "Record the clarification as received",
        "The clock runs again; the days it stood still move the due date.",
        False,
    ),
    "extend": (
        "Extend by two months",
        "Once only, with reasons the subject must be told within the first month (SAR-04).",
        True,
    ),
    "ready_for_review": (
        "Send for review",
        "The response is ready for a second pair of eyes.",
        False,
    ),
    "respond": (
        "Record the response as sent",
        "The request is answered; it can then be closed. The note, if any, goes in the "
        'response letter under "What we did".',
        False,
    ),
    "refuse": (
        "Refuse the request",
        "For the legal reason chosen (SAR-08, ERA-02), with your words: the subject is told "
        "both, and their right to complain to us, the ICO and a court.",
        True,
    ),
    "withdraw": (
        "Record the request as withdrawn",
        "The requester no longer wants it answered.",
        False,
    ),
    "close": (
        "Close the request",
        "It leaves the queue; its history and audit trail stay.",
        False,
    ),
    "assign": (
        "Assign",
        "The request goes to the named person (a user reference, user:u_...); empty: nobody.",
        False,
    ),
    "deceased": (
        "Close: the person has died",
        "Data protection law does not cover a deceased person's data; the letter says so (SAR-10).",
        True,
    ),
}
# Which steps a state offers (the services still check every rule).
OFFERED: dict[str, tuple[str, ...]] = {
    "received": ("verify_identity", "ask_identity", "ask_fee", "ask_clarification", "extend"),
    "awaiting_identity": ("verify_identity",),
    "awaiting_fee": ("fee_received",),
    "awaiting_clarification": ("clarification_received",),
    "in_progress": ("ask_identity", "ask_clarification", "extend", "ready_for_review"),
    "extended": ("verify_identity", "ask_clarification", "ready_for_review"),
    "ready_for_review": ("respond",),
    "responded": ("close",),
    "refused": ("close",),
    "withdrawn": ("close",),
}


def _available(state: str, row: RightsRequest) -> list[tuple[str, str, bool]]:
    names = list(OFFERED.get(state, ()))
    if row.identity_verified_on is not None:
        # Proven already: asking again, or recording it again, is refused by the service.
        names = [n for n in names if n not in ("ask_identity", "verify_identity")]
    if state in ("received", "in_progress", "extended"):
        names.append("respond")
    if state in steps.OPEN:
        names += ["assign", "refuse", "withdraw", "deceased"]
    return [(name, STEPS[name][0], STEPS[name][2]) for name in dict.fromkeys(names)]


@router.post(
    "/console/requests/{org}/{ref}/steps/{name}", name="request_step", dependencies=[WRITE]
)
def request_step(request: Request, org: str, ref: str, name: str) -> Response:
    back = f"/console/requests/{org[:80]}/{ref[:32]}"
    if name not in STEPS:
        raise ValidationFailed(f"unknown step {name[:40]!r}")
    title, effect, _ = STEPS[name]

    def confirm(form: FormData) -> Confirmation:
        on = form_text(form, "on", 10)
        lines = [f"Takes effect on {on}.", effect]
        reason = BY_CODE.get(form_text(form, "reason", 48, required=False).strip())
        if name == "refuse" and reason is not None:
            lines.append(
                f"The letter says: we will not act on it because {reason.because} ({reason.law})."
            )
        return Confirmation(title, lines, title, back)

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        note = form_text(form, "note", 4000, required=False) or None
        step = steps.Step(actor, parse_day(form_text(form, "on", 10), "the day"), note)
        details_field = {"assign": "assignee", "refuse": "reason"}.get(name, "method")
        details = form_text(form, details_field, 200, required=False).strip() or None
        steps.take_step(uow, org[:80], ref[:32], name, step, details)
        return f"{title}: done."

    return confirm_then_run(request, back, confirm, act)
