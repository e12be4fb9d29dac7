"""Staff console: legal holds (RET-02, ERA-02). The list, one hold, placing, review, close.

The pages only translate: ``holds.service`` places, reviews and closes (and audits), and
``holds.views`` reads. Closing is confirmed first, with what the register says happens
to the held data next and on which day.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.errors import DatawardError
from dataward.holds.service import (
    REASONS,
    SCOPES,
    NewHold,
    close_hold,
    get_hold,
    place_hold,
    register_of,
    review_hold,
    today_of,
)
from dataward.holds.views import (
    STATES,
    hold_view,
    holds_on_subject,
    list_holds,
    what_closing_does,
)
from dataward.publication.registers import list_organisations
from dataward.subjects.service import get_subject
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
from dataward.web.flash import error_text, flash_later, flash_now
from dataward.web.staff import run_form
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.HOLDS_READ)
WRITE = console(Permission.HOLDS_WRITE)
PAGE = 50
Text = Annotated[str, Query(max_length=80)]


@router.get("/console/holds", name="holds_page", dependencies=[READ])
def holds_page(
    request: Request,
    uow: Uow,
    org: Text = "",
    state: Text = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    organisations = [row.organisation for row in list_organisations(uow)]
    shown = {
        "org": org if org in organisations else "",
        "state": state if state in STATES else "open",
    }
    today = today_of(uow)
    page = list_holds(
        uow,
        today,
        organisation=shown["org"] or None,
        state=shown["state"],
        offset=offset,
        limit=PAGE,
    )
    context = {
        "page": page,
        "shown": shown,
        "organisations": organisations,
        "states": STATES,
        "today": today,
        "query": urlencode(
            [(k, v) for k, v in shown.items() if v and not (k == "state" and v == "open")]
        ),
    }
    return render(request, "console/holds.html", context)


def _new_context(uow: UnitOfWork, request: Request, typed: dict[str, object]) -> dict[str, object]:
    organisations = [row.organisation for row in list_organisations(uow)]
    org = str(typed.get("org") or "")
    if org not in organisations:
        org = organisations[0] if len(organisations) == 1 else ""
    typed["org"] = org
    register = None
    if org:
        try:
            register = register_of(uow, org)
        except DatawardError:
            register = None
    today = today_of(uow)
    return {
        "organisations": organisations,
        "register_holds": register.holds if register else [],
        "datasets": register.datasets if register else [],
        "reasons": REASONS,
        "scopes": SCOPES,
        "typed": typed,
        "tomorrow": (today + timedelta(days=1)).isoformat(),
    }


def _owner_of(request: Request) -> str:
    user = principal_of(request).user
    return user.username if user is not None else ""


@router.get("/console/holds/new", name="hold_new", dependencies=[WRITE])
def hold_new(request: Request, uow: Uow, org: Text = "", subject: Text = "") -> Response:
    """Place a hold not tied to a complaint: litigation, an investigation, evidence."""
    typed: dict[str, object] = {
        "org": org,
        "scope": "subject" if subject else "case",
        "subject_ref": subject[:32],
        "owner": _owner_of(request),
        "datasets": [],
    }
    return render(request, "console/hold_new.html", _new_context(uow, request, typed))


@router.post("/console/holds/new", name="hold_place", dependencies=[WRITE])
def hold_place(request: Request, uow: Uow) -> Response:
    form = posted_form(request)
    typed: dict[str, object] = {k: v for k, v in form.items() if k != "csrf_token"}
    typed["datasets"] = [d for d in form.getlist("datasets") if isinstance(d, str)]
    try:
        new = _new_hold(form)
        with app_uow(request) as writer:
            row = place_hold(writer, new, actor=principal_of(request).actor)
            flash_later(writer, request, "success", f"Hold {row.ref} placed.")
            writer.commit()
            target = f"/console/holds/{row.organisation}/{row.ref}"
    except DatawardError as error:
        audit_refusal(request, "web.input_refused", code=error.code)
        flash_now(request, "error", error_text(error))
        context = _new_context(uow, request, typed)
        return render(request, "console/hold_new.html", context, status_code=422)
    return RedirectResponse(target, status_code=303)


def _new_hold(form: FormData) -> NewHold:
    scope = form_text(form, "scope", 16)
    hold_id = form_text(form, "hold_id", 80, required=False).strip() or None
    reason = form_text(form, "reason", 24, required=False).strip() or None
    return NewHold(
        organisation=form_text(form, "org", 80),
        scope=scope,
        owner=form_text(form, "owner", 200),
        review_on=parse_day(form_text(form, "review_on", 10), "review on"),
        hold_id=hold_id,
        reason=None if hold_id else (reason or "other"),
        # Only the reference of the scope chosen counts: the others may hold stale typing.
        subject_ref=form_text(form, "subject_ref", 32, required=False).strip() or None
        if scope == "subject"
        else None,
        case_ref=form_text(form, "case_ref", 120, required=False) if scope == "case" else None,
        record_ref=form_text(form, "record_ref", 120, required=False)
        if scope == "record"
        else None,
        datasets=tuple(d for d in form.getlist("datasets") if isinstance(d, str))[:200],
    )


@router.get("/console/holds/{org}/{ref}", name="hold_page", dependencies=[READ])
def hold_page(request: Request, org: str, ref: str, uow: Uow) -> Response:
    hold = get_hold(uow, org[:80], ref[:32])
    today = today_of(uow)
    context = {
        "view": hold_view(uow, hold, today),
        "row": hold,
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "closing": what_closing_does(uow, hold, today) if hold.closed_on is None else [],
    }
    return render(request, "console/hold.html", context)


@router.post("/console/holds/{org}/{ref}/review", name="hold_review", dependencies=[WRITE])
def hold_review(request: Request, org: str, ref: str) -> Response:
    back = f"/console/holds/{org[:80]}/{ref[:32]}"
    form = posted_form(request)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        day = parse_day(form_text(form, "review_on", 10), "next review")
        row = review_hold(uow, org[:80], ref[:32], day, actor=actor)
        return f"Reviewed: next review on {row.review_on.day} {row.review_on:%B %Y}."

    return run_form(request, back, act)


@router.post("/console/holds/{org}/{ref}/close", name="hold_close", dependencies=[WRITE])
def hold_close(request: Request, org: str, ref: str) -> Response:
    back = f"/console/holds/{org[:80]}/{ref[:32]}"

    def confirm(form: FormData) -> Confirmation:
        with app_uow(request, read_only=True) as reader:
            hold = get_hold(reader, org[:80], ref[:32])
            lines = what_closing_does(reader, hold, today_of(reader))
        return Confirmation(f"Close hold {ref[:32]}", lines, "Close the hold", back, True)

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        row = close_hold(uow, org[:80], ref[:32], actor=actor)
        if row.release_on is not None:
            return (
                f"Hold {row.ref} closed: the held data may be deleted from "
                f"{row.release_on.day} {row.release_on:%B %Y}."
            )
        return f"Hold {row.ref} closed."

    return confirm_then_run(request, back, confirm, act)


def subject_holds_panel(
    request: Request, uow: UnitOfWork, organisation: str, ref: str
) -> dict[str, object]:
    """For the subject's console page: its legal holds, to those who may read holds."""
    if not principal_of(request).can(Permission.HOLDS_READ):
        return {}
    subject = get_subject(uow, organisation, ref)
    return {"holds": holds_on_subject(uow, subject, today_of(uow))}
