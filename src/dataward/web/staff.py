"""Staff console: dashboard, subjects (list, search, one subject) and preference links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dataward.accounts.permissions import Permission
from dataward.consent.objections import LI_OUTCOMES, RESTRICTION_GROUNDS
from dataward.consent.policy import METHODS
from dataward.consent.standing import standing_of
from dataward.errors import DatawardError, ValidationFailed
from dataward.publication.registers import list_organisations
from dataward.subjects.identities import IdentityKind
from dataward.subjects.listing import SubjectPage, list_subjects, subject_timeline
from dataward.subjects.preference_links import issue_preferences_link
from dataward.subjects.search import busiest_organisation, search_subjects
from dataward.subjects.service import SHRED_REASONS
from dataward.subjects.tombstones import tombstone_of
from dataward.subjects.viewing import view_subject
from dataward.uow import UnitOfWork
from dataward.web.auth import app_uow, audit_refusal, console, form_text, posted_form, principal_of
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_later, flash_now
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PAGE = 50
# Remembers which organisation was searched last; it names an organisation, nothing personal.
ORG_COOKIE = "dataward_org"
SUBJECTS_READ = console(Permission.SUBJECTS_READ)


@router.get("/console", name="console_home", dependencies=[console()])
def dashboard(request: Request, uow: Uow) -> Response:
    """Counts at a glance (issue 15, item 4), each only to a role that may open its page.

    Counts only, never a name. ``dataward audit verify`` records no result in the chain, so
    the page shows the chain's newest row, the last signed head (a fact the chain records)
    and how to verify it, never a verdict it does not have.
    """
    from dataward.accounts.service import list_users
    from dataward.audit.listing import AuditFilter, list_events
    from dataward.outbox.service import outbox_counts

    principal = principal_of(request)
    organisations = [row.organisation for row in list_organisations(uow)]
    context: dict[str, object] = {"organisations": organisations}
    if principal.can(Permission.SUBJECTS_READ):
        # A count per organisation: a page of no rows still counts them all.
        context["subjects"] = [
            (org, list_subjects(uow, org, limit=0).total) for org in organisations
        ]
    if principal.can(Permission.OUTBOX_READ):
        context["outbox"] = outbox_counts(uow)
    if principal.can(Permission.USERS_ADMIN):
        users = list_users(uow)
        context["users"] = {
            "active": sum(1 for u in users if u.disabled_at is None),
            "disabled": sum(1 for u in users if u.disabled_at is not None),
        }
    if principal.can(Permission.AUDIT_READ):
        from dataward.audit.audit_actions import AUDIT_HEAD_SIGNED

        newest = list_events(uow, AuditFilter(), limit=1).events
        context["audit_head"] = newest[0] if newest else None
        signed = list_events(uow, AuditFilter(action=AUDIT_HEAD_SIGNED), limit=1).events
        context["audit_signed"] = signed[0] if signed else None
        context["audit_read"] = True
    return render(request, "console/dashboard.html", context)


@router.get("/console/subjects", name="subjects_page", dependencies=[SUBJECTS_READ])
def subjects_page(
    request: Request,
    uow: Uow,
    org: Annotated[str, Query(max_length=80)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    organisations = [row.organisation for row in list_organisations(uow)]
    chosen = org if org in organisations else ""
    page = list_subjects(uow, chosen or None, offset=offset, limit=PAGE)
    context = _list_context(request, uow, organisations, chosen, page)
    return render(request, "console/subjects.html", context)


def _search_org(request: Request, uow: UnitOfWork, organisations: list[str]) -> str:
    """The organisation the search form starts on: the one searched last (a cookie naming
    an organisation, nothing personal), else the one with the most subjects."""
    remembered = request.cookies.get(ORG_COOKIE, "")
    if remembered in organisations:
        return remembered
    return busiest_organisation(uow, organisations)


def _list_context(
    request: Request,
    uow: UnitOfWork,
    organisations: list[str],
    chosen: str,
    page: SubjectPage,
) -> dict[str, object]:
    return {
        "organisations": organisations,
        "org": chosen,
        "search": {"org": _search_org(request, uow, organisations), "kind": "email"},
        "page": page,
        "kinds": [k.value for k in IdentityKind],
        "found": None,
    }


@router.post("/console/subjects/search", name="subjects_search", dependencies=[SUBJECTS_READ])
def subjects_search(request: Request, uow: Uow) -> Response:
    """Search by one identity through the blind index, optionally ranked by a name.

    POST keeps the values out of URLs and logs; on an error the form keeps what was typed.
    """
    organisations = [row.organisation for row in list_organisations(uow)]
    form = posted_form(request)
    typed = {
        "org": str(form.get("org") or "")[:80],
        "kind": str(form.get("kind") or "email")[:32],
        "value": str(form.get("value") or "")[:500],
        "name": str(form.get("name") or "")[:200],
    }
    page = list_subjects(uow, None, limit=PAGE)
    try:
        org = form_text(form, "org", 80)
        if org not in organisations:
            raise ValidationFailed("choose one of the organisations listed")
        offset = _offset(form_text(form, "offset", 12, required=False))
        found = search_subjects(
            uow,
            org,
            form_text(form, "kind", 32),
            form_text(form, "value", 500),
            name=form_text(form, "name", 200, required=False),
        )
    except DatawardError as error:
        audit_refusal(request, "web.input_refused", code=error.code)
        flash_now(request, "error", error_text(error))
        context = {**_list_context(request, uow, organisations, "", page), "search": typed}
        return render(request, "console/subjects.html", context, status_code=error.http_status)
    context = {
        **_list_context(request, uow, organisations, "", page),
        "search": typed,
        "found": found[offset : offset + PAGE],
        "found_total": len(found),
        "found_offset": offset,
        "found_page": PAGE,
    }
    response = render(request, "console/subjects.html", context)
    response.set_cookie(
        ORG_COOKIE,
        org,
        httponly=True,
        samesite="lax",
        path="/console",
        secure=request.app.state.settings.cookie_secure,
    )
    return response


def _offset(value: str) -> int:
    if not value:
        return 0
    if not value.isdigit() or int(value) > 1_000_000:
        raise ValidationFailed("offset must be a whole number")
    return int(value)


@router.get("/console/subjects/{org}/{ref}", name="subject_page", dependencies=[SUBJECTS_READ])
def subject_page(request: Request, org: str, ref: str, uow: Uow) -> Response:
    # A shredded or merged-away subject shows what happened to it, not a bare 404.
    tomb = tombstone_of(uow, org[:80], ref[:32])
    if tomb is not None:
        status = 410 if tomb.fate == "shredded" else 200
        return render(request, "console/tombstone.html", {"tomb": tomb}, status_code=status)
    from dataward.web.disclosure_pages import subject_disclosures_panel
    from dataward.web.hold_pages import subject_holds_panel

    view = view_subject(uow, org[:80], ref[:32], actor=principal_of(request).actor)
    uow.commit()  # the view is audited
    context = {
        **subject_holds_panel(request, uow, view.organisation, view.ref),
        **subject_disclosures_panel(request, uow, view.organisation, view.ref),
        "view": view,
        "timeline": subject_timeline(uow, view.ref),
        "standing": standing_of(uow, view.organisation, view.ref),
        "methods": [m for m in METHODS if m not in ("portal", "request")],
        "grounds": RESTRICTION_GROUNDS,
        "outcomes": LI_OUTCOMES,
        "shred_reasons": SHRED_REASONS,
    }
    return render(request, "console/subject.html", context)


@router.post(
    "/console/subjects/{org}/{ref}/preferences-link",
    name="preferences_link",
    dependencies=[console(Permission.SUBJECTS_WRITE)],
)
def preferences_link(request: Request, org: str, ref: str) -> Response:
    """Make a signed, expiring link to the subject's preferences page, to send to them."""
    state = request.app.state
    actor = principal_of(request).actor

    def issue(uow: UnitOfWork) -> str:
        days = state.settings.preferences_link_days
        token, expires = issue_preferences_link(
            uow, state.secret_key, org[:80], ref[:32], days, actor=actor
        )
        url = str(request.url_for("preferences_page", token=token))
        return f"Preferences link for this subject, valid until {expires:%d %B %Y}: {url}"

    return run_form(request, f"/console/subjects/{org[:80]}/{ref[:32]}", issue)


def run_form(
    request: Request,
    back: str,
    action: Callable[[UnitOfWork], str],
    *,
    done: str | None = None,
) -> Response:
    """Post/redirect/get: run ``action`` in a unit of work, flash its result or its error.

    On success the browser goes to ``done`` (``back`` by default); on an error, back.
    """
    target = back
    with app_uow(request) as uow:
        try:
            message = action(uow)
        except DatawardError as error:
            uow.rollback()
            audit_refusal(request, "web.input_refused", code=error.code)
            flash_later(uow, request, "error", error_text(error))
        else:
            flash_later(uow, request, "success", message)
            target = done or back
        uow.commit()
    return RedirectResponse(target, status_code=303)
