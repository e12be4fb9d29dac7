"""Staff console: a request's access package (ACC-01..03, SAR-07).

Building it is asked from the request page's panel (confirmed first); the package's page
lists its parts, the search record and the items withheld, and approves it (confirmed);
the redactions page shows each redaction in its cell's context, a page at a time, with
undo, reapply and withholding a row. Every post runs an ``access.review`` (or
``access.service``) function and redirects back with its result or its error.

A ready package is downloaded here by staff (a requester answered by post): the ZIP is
personal data, so it needs ``requests:write`` like any step that hands data out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import FormData

from dataward.access import review
from dataward.access.controller_transfer import MAX_NAME, record_destination
from dataward.access.delivery import filename, open_package
from dataward.access.errors import PackageRefused
from dataward.access.models import ACCESS, PORTABILITY
from dataward.access.service import get_package, kind_of, queue_package, request_of
from dataward.access.views import package_view, redaction_page
from dataward.accounts.permissions import Permission
from dataward.errors import ValidationFailed
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import WEB_INPUT_REFUSED
from dataward.web.auth import (
    app_uow,
    audit_refusal,
    console,
    form_text,
    posted_form,
    principal_of,
)
from dataward.web.confirm import Confirmation, confirm_then_run
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_later
from dataward.web.portal_forms import NO_STORE
from dataward.web.staff import run_form
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.REQUESTS_READ)
WRITE = console(Permission.REQUESTS_WRITE)
MAX_PAGE = 1_000_000
# Which of the request's packages a page or post is about: access unless it says
# portability (a query parameter on pages, a hidden ``kind`` field in forms, so that it
# survives the confirmation page).
Kind = Annotated[str, Query(max_length=16)]
NAMES = {ACCESS: "access package", PORTABILITY: "portability package"}


def _request_url(org: str, ref: str) -> str:
    return f"/console/requests/{org[:80]}/{ref[:32]}"


def _package_url(org: str, ref: str, kind: str = ACCESS) -> str:
    query = "" if kind == ACCESS else f"?kind={kind}"
    return _request_url(org, ref) + "/package" + query


def _posted_kind(form: FormData) -> str:
    typed = form.get("kind")
    return kind_of(typed[:16] if isinstance(typed, str) and typed else ACCESS)


@router.get("/console/requests/{org}/{ref}/package", name="request_package", dependencies=[READ])
def package_page(request: Request, org: str, ref: str, uow: Uow, kind: Kind = ACCESS) -> Response:
    view = package_view(uow, org[:80], ref[:32], kind_of(kind))
    return render(request, "console/access_package.html", {"view": view})


@router.get(
    "/console/requests/{org}/{ref}/package/download",
    name="request_package_download",
    dependencies=[WRITE],
)
def package_download(request: Request, org: str, ref: str, kind: Kind = ACCESS) -> Response:
    """A ready package's ZIP, streamed a sealed chunk at a time, audited as a staff download.

    Another organisation's package (or none) is a 404; one not ready, deleted, past its
    date or unreadable goes back to the package's page with the reason, nothing counted.
    """
    kind = kind_of(kind)
    back = _package_url(org, ref, kind)
    with app_uow(request) as uow:
        package = get_package(uow, org[:80], ref[:32], kind)
        row = request_of(uow, package)
        try:
            stream = open_package(uow, package, actor=principal_of(request).actor)
        except PackageRefused as error:
            uow.rollback()
            audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
            flash_later(uow, request, "error", error_text(error))
            uow.commit()
            return RedirectResponse(back, status_code=303)
        uow.commit()
        name = filename(row, package)
    # The stream holds its own sealed file open; the unit of work is done with.
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE}
    if stream.size is not None:
        headers["Content-Length"] = str(stream.size)
    return StreamingResponse(iter(stream), media_type="application/zip", headers=headers)


@router.get(
    "/console/requests/{org}/{ref}/package/redactions",
    name="request_package_redactions",
    dependencies=[READ],
)
def redactions_page(
    request: Request,
    org: str,
    ref: str,
    uow: Uow,
    part: Annotated[str, Query(max_length=36)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    kind: Kind = ACCESS,
) -> Response:
    shown = redaction_page(uow, org[:80], ref[:32], part, page, kind_of(kind))
    return render(request, "console/access_redactions.html", {"shown": shown})


@router.post(
    "/console/requests/{org}/{ref}/package/build",
    name="request_package_build",
    dependencies=[WRITE],
)
def package_build(request: Request, org: str, ref: str) -> Response:
    """Queue the build; the worker searches every bound source and stages the rows."""
    back = _request_url(org, ref)

    def confirm(form: FormData) -> Confirmation:
        name = NAMES[_posted_kind(form)]
        found = (
            "The worker searches every dataset the stored sources file binds for the "
            "subject's identities and stages what it finds, sealed under their key."
        )
        if _posted_kind(form) == PORTABILITY:
            found = (
                "The worker stages, sealed under the subject's key, only the columns the "
                "sources file marks as provided by them, of the datasets used under consent "
                "or contract (POR-01)."
            )
        return Confirmation(
            f"Build the {name}",
            [
                found,
                "Other people's details in free text are redacted automatically; you review "
                "each redaction before anything is sent (ACC-02).",
            ],
            f"Build the {name}",
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        kind = _posted_kind(form)
        queue_package(uow, org[:80], ref[:32], actor=actor, kind=kind)
        return f"{NAMES[kind].capitalize()} queued: the worker builds it."

    return confirm_then_run(request, back, confirm, act)


@router.post(
    "/console/requests/{org}/{ref}/package/approve",
    name="request_package_approve",
    dependencies=[WRITE],
)
def package_approve(request: Request, org: str, ref: str) -> Response:
    back = _package_url(org, ref, _posted_kind(posted_form(request)))

    def confirm(form: FormData) -> Confirmation:
        return Confirmation(
            f"Approve the {NAMES[_posted_kind(form)]}",
            [
                "The package is assembled with every applied redaction blacked out and every "
                "withheld item left out; nothing in it can be changed afterwards.",
                "The subject is then sent a link to download it.",
            ],
            f"Approve the {NAMES[_posted_kind(form)]}",
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        review.approve_package(uow, org[:80], ref[:32], actor=actor, kind=_posted_kind(form))
        return "Package approved: the worker assembles it."

    return confirm_then_run(request, back, confirm, act)


def _back_to(form: FormData, org: str, ref: str) -> str:
    """Where a post returns: the page it came from, if it is this package's."""
    fallback = _package_url(org, ref, _posted_kind(form))
    wanted = form.get("back")
    if isinstance(wanted, str) and wanted.startswith(_package_url(org, ref)) and "//" not in wanted:
        return wanted[:300]
    return fallback


@router.post(
    "/console/requests/{org}/{ref}/package/redactions/{redaction_id}/{step}",
    name="request_redaction_step",
    dependencies=[WRITE],
)
def redaction_step(request: Request, org: str, ref: str, redaction_id: str, step: str) -> Response:
    """Undo a false redaction, or apply it again (no confirmation: either undoes the other)."""
    if step not in ("undo", "reapply"):
        raise ValidationFailed(f"unknown redaction step {step[:20]!r}")
    form = posted_form(request)
    back = _back_to(form, org, ref)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        kind = _posted_kind(form)
        if step == "undo":
            review.undo_redaction(uow, org[:80], ref[:32], redaction_id, actor=actor, kind=kind)
            return "Redaction undone: the words show in the copy."
        review.reapply_redaction(uow, org[:80], ref[:32], redaction_id, actor=actor, kind=kind)
        return "Redaction applied again."

    return run_form(request, back, act)


@router.post(
    "/console/requests/{org}/{ref}/package/withhold",
    name="request_package_withhold",
    dependencies=[WRITE],
)
def package_withhold(request: Request, org: str, ref: str) -> Response:
    """Withhold a row (``row`` given) or a whole part under an exemption, with the reason."""
    form = posted_form(request)
    back = _back_to(form, org, ref)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        typed = form_text(form, "row", 12, required=False).strip()
        if typed and not typed.isdigit():
            raise review.WithholdingInvalid("the row is a number (the first row is 0)")
        row_no = int(typed) if typed else None
        review.withhold(
            uow,
            org[:80],
            ref[:32],
            form_text(form, "part", 36),
            row_no,
            form_text(form, "exemption", 200),
            form_text(form, "reason", review.REASON_MAX + 1),
            actor=actor,
            kind=_posted_kind(form),
        )
        what = f"Row {row_no}" if row_no is not None else "The whole part"
        return f"{what} withheld from the copy (ACC-03)."

    return run_form(request, back, act)


@router.post(
    "/console/requests/{org}/{ref}/package/withholdings/{withholding_id}/release",
    name="request_withholding_release",
    dependencies=[WRITE],
)
def withholding_release(request: Request, org: str, ref: str, withholding_id: str) -> Response:
    form = posted_form(request)
    back = _back_to(form, org, ref)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        review.release_withholding(
            uow, org[:80], ref[:32], withholding_id, actor=actor, kind=_posted_kind(form)
        )
        return "Released: the item goes back into the copy."

    return run_form(request, back, act)


@router.post(
    "/console/requests/{org}/{ref}/portability_destination",
    name="request_portability_destination",
    dependencies=[WRITE],
)
def portability_destination(request: Request, org: str, ref: str) -> Response:
    """POR-01, Art 20(2): record the controller the subject wants their portability
    package sent to (confirmed first); a ready package is sent at once."""
    back = _request_url(org, ref)

    def confirm(form: FormData) -> Confirmation:
        name = form_text(form, "controller_name", MAX_NAME)
        return Confirmation(
            "Send the portability package to another organisation",
            [
                f"When the package is ready (now, if it is ready already), its download link "
                f"is emailed to {name} at the address the subject gave.",
                "The subject is told where it went. The one-time code the download needs "
                "still goes to the subject only, who passes it on.",
            ],
            "Record and send",
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        name = form_text(form, "controller_name", MAX_NAME)
        email = form_text(form, "controller_email", 254)
        found = record_destination(uow, org[:80], ref[:32], name, email, actor=actor)
        sent = " and the package sent" if found.sent_at is not None else ""
        return f"Receiving organisation recorded{sent}."

    return confirm_then_run(request, back, confirm, act)
