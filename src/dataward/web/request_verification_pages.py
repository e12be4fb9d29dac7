"""Staff console: proving a requester's identity on the request's page.

The panel (``console/_request_verification.html``) shows the proof the register asks for,
the checks made (method, outcome, who, when: never an answer) and the documents waiting.
Each step that can verify identity is confirmed first (``web.confirm``). An upload is not:
a file cannot travel through a confirmation page, and storing it changes nothing until a
caseworker records its check, which is confirmed. Every step runs the service the API uses.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from dataward.accounts.permissions import Permission
from dataward.requests.errors import VerificationInvalid
from dataward.requests.identity_strength import achieved_by, needed_for
from dataward.requests.models import RightsRequest
from dataward.requests.service import register_of
from dataward.requests.verification import (
    QUESTIONS,
    check_email_code,
    checks_of,
    record_knowledge_check,
    send_email_code,
)
from dataward.requests.verification_documents import (
    DOCUMENT_KINDS,
    EXTENSIONS,
    document_checked,
    documents_of,
    read_document,
    upload_document,
)
from dataward.uow import UnitOfWork
from dataward.web.auth import app_uow, console, form_text, posted_form, principal_of
from dataward.web.confirm import Confirmation, confirm_then_run
from dataward.web.staff import run_form

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
WRITE = console(Permission.REQUESTS_WRITE)
# Routes whose form carries a file (``web.auth`` lets one through; ``web.bodies`` caps it).
UPLOAD_ROUTE = "request_document_upload"


def verification_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, Any]:
    """What the request page's verification panel shows (added to its context)."""
    asked = [r for r in row.rights if r not in row.not_offered]
    return {
        "verification": {
            "needed": needed_for(register_of(uow, row.organisation), asked),
            "achieved": achieved_by(row),
            "checks": checks_of(uow, row),
            "documents": documents_of(uow, row),
            "questions": tuple(QUESTIONS),
            "document_kinds": DOCUMENT_KINDS,
        }
    }


def _back(org: str, ref: str) -> str:
    return f"/console/requests/{org[:80]}/{ref[:32]}#verification"


@router.post(
    "/console/requests/{org}/{ref}/verification/code",
    name="request_code_send",
    dependencies=[WRITE],
)
def request_code_send(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        return Confirmation(
            "Email the requester a one-time code",
            [
                "A six-digit code goes to the address the requester gave; it works once.",
                "It verifies identity only if that address is on the linked subject's record.",
            ],
            "Send the code",
            _back(org, ref),
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        send_email_code(uow, org[:80], ref[:32], actor=actor)
        return "Code sent to the requester."

    return confirm_then_run(request, _back(org, ref), confirm, act)


@router.post(
    "/console/requests/{org}/{ref}/verification/code-check",
    name="request_code_check",
    dependencies=[WRITE],
)
def request_code_check(request: Request, org: str, ref: str) -> Response:
    """A code the requester read out (on the phone, in person), typed by the caseworker."""

    def confirm(form: FormData) -> Confirmation:
        form_text(form, "code", 12)
        return Confirmation(
            "Check the code the requester gave",
            ["A wrong code counts as one of its five tries."],
            "Check the code",
            _back(org, ref),
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        result = check_email_code(uow, org[:80], ref[:32], form_text(form, "code", 12), actor=actor)
        if result.refusal is not None:
            uow.commit()  # the wrong try is counted even though the answer is no
            raise result.refusal
        if result.outcome == "verified":
            return "Code accepted: identity verified (email code)."
        return "Code accepted: the email is confirmed, but it is not on the subject's record."

    return confirm_then_run(request, _back(org, ref), confirm, act)


def _answers(form: FormData) -> dict[str, str]:
    return {q: form_text(form, q, 500, required=False) for q in QUESTIONS}


@router.post(
    "/console/requests/{org}/{ref}/verification/knowledge",
    name="request_knowledge_check",
    dependencies=[WRITE],
)
def request_knowledge_check(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        asked = [q.replace("_", " ") for q, a in _answers(form).items() if a.strip()]
        return Confirmation(
            "Record a knowledge check",
            [
                f"Compares {', '.join(asked) or 'nothing'} with the linked subject's record.",
                "Only matched / not matched is kept, never the answers. Every answer matched "
                "(two at least): identity verified.",
            ],
            "Record the check",
            _back(org, ref),
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        check = record_knowledge_check(uow, org[:80], ref[:32], _answers(form), actor=actor)
        if check.outcome == "verified":
            return "Every answer matched: identity verified (knowledge check)."
        return "Not every answer matched: identity is not verified."

    return confirm_then_run(request, _back(org, ref), confirm, act)


def _upload(form: FormData) -> UploadFile:
    upload = form.get("document")
    if not isinstance(upload, UploadFile):
        raise VerificationInvalid("choose the file to upload")
    return upload


@router.post(
    "/console/requests/{org}/{ref}/verification/documents",
    name=UPLOAD_ROUTE,
    dependencies=[WRITE],
)
def request_document_upload(request: Request, org: str, ref: str) -> Response:
    form = posted_form(request)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        kind = form_text(form, "kind", 32)
        content = _upload(form).file.read()
        upload_document(uow, org[:80], ref[:32], kind, content, actor=actor)
        return "Document sealed: open it, then record its check."

    return run_form(request, _back(org, ref), act)


@router.get(
    "/console/requests/{org}/{ref}/verification/documents/{document}",
    name="request_document_view",
    dependencies=[WRITE],
)
def request_document_view(request: Request, org: str, ref: str, document: str) -> Response:
    """The document itself, for the caseworker checking it; each opening is audited."""
    with app_uow(request) as uow:
        row, content = read_document(
            uow, org[:80], ref[:32], document[:36], actor=principal_of(request).actor
        )
        uow.commit()
        name = f"{row.document_kind}-{row.id[:8]}.{EXTENSIONS[row.content_type]}"
        content_type = row.content_type
    return Response(
        content,
        media_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/console/requests/{org}/{ref}/verification/documents/{document}/check",
    name="request_document_check",
    dependencies=[WRITE],
)
def request_document_check(request: Request, org: str, ref: str, document: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        accepted = form_text(form, "outcome", 12) == "accepted"
        return Confirmation(
            "Record the document check",
            [
                "Accepted: identity verified (document)."
                if accepted
                else "Not accepted: identity stays unverified.",
                "The document itself is then deleted; the check is kept.",
            ],
            "Record the check",
            _back(org, ref),
            destructive=True,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        outcome = form_text(form, "outcome", 12)
        if outcome not in ("accepted", "rejected"):
            raise VerificationInvalid("say whether the document was accepted")
        document_checked(
            uow,
            org[:80],
            ref[:32],
            document[:36],
            accepted=outcome == "accepted",
            note=form_text(form, "note", 4000, required=False) or None,
            actor=actor,
        )
        return "Check recorded; the document was deleted."

    return confirm_then_run(request, _back(org, ref), confirm, act)
