"""Public portal: a rights request form per organisation, its thank-you and status pages.

Anyone may make a request here without an account (SAR-10: the subject, or someone acting
for them). The form has no session, so its CSRF check is the signed double-submit cookie the
sign-in and preferences forms use, scoped to the form's path. A submission opens the request
with the same service the console and the API use, then acknowledges it by email (or, with
no email, says replies come by post). The status page is reached only by the signed link in
that email (``requests.status_links``): it shows where the request is and when it is due,
and nothing about the requester beyond their name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.clock import in_uk_time
from dataward.outbox.models import OutboxMessage
from dataward.register.models import Register
from dataward.requests.acknowledgement import acknowledge, status_address
from dataward.requests.errors import RequestInvalid
from dataward.requests.messages import request_messages
from dataward.requests.models import RightsRequest
from dataward.requests.service import (
    MAX_TEXT,
    REQUESTABLE,
    REQUESTER_KINDS,
    NewRequest,
    Requester,
    not_offered,
    open_request,
    register_of,
    requester_of,
)
from dataward.requests.status_links import status_link_token
from dataward.requests.status_view import NOT_OFFERED_NOTE, status_of
from dataward.requests.waits import waits_for_authority
from dataward.requests.wording import RIGHT_WORDS
from dataward.subjects.errors import InvalidIdentity
from dataward.subjects.identities import normalise_email
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser
from dataward.web.auth import PUBLIC, posted_form
from dataward.web.deps import analyse_organisation, get_analyser, get_uow
from dataward.web.portal_forms import NO_STORE, PortalForm, public_status_url
from dataward.web.request_letter_pages import status_letters_panel
from dataward.web.status_link import linked_request
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Analyser = Annotated[RegisterAnalyser, Depends(get_analyser)]

ACTOR = "public:portal"
# Who may ask for someone else, in the words the form offers (SAR-10).
REPRESENTATIVES: dict[str, str] = {
    "solicitor": "a solicitor",
    "claims_firm": "a claims management firm",
    "attorney": "an attorney (lasting or enduring power of attorney)",
    "deputy": "a deputy appointed by the Court of Protection",
    "parent": "a parent or guardian of a child",
    "third_party_portal": "a service that makes requests for people",
    "other_representative": "someone else the person has authorised",
}
assert set(REPRESENTATIVES) == set(REQUESTER_KINDS) - {"self"}
# Each field's cap, well under the 64 KiB the body gate allows a whole form.
LIMITS: dict[str, int] = {
    "name": 200,
    "email": 254,
    "phone": 40,
    "address": 1000,
    "words": MAX_TEXT,
    "on_behalf_of": 200,
    "authority": 1000,
}
# How the form names each field, for a message about it.
LABELS: dict[str, str] = {
    "name": "your name",
    "email": "the email address",
    "phone": "the phone number",
    "address": "the postal address",
    "words": "your request in your own words",
    "on_behalf_of": "the name of the person you are asking for",
    "authority": "your authority",
}
FORM = PortalForm(
    kind="request",
    path="/orgs/{org}/request",
    template="portal/request_form.html",
    limits=LIMITS,
    labels=LABELS,
    invalid=RequestInvalid,
)


def _rights_offered(register: Register) -> list[dict[str, Any]]:
    """Every right a person can ask for: one the register says does not apply is still
    offered, with a note that the answer will explain why (never dropped)."""
    values = [r.value for r in REQUESTABLE]
    explained = set(not_offered(register, values))
    return [
        {"value": value, "words": RIGHT_WORDS[value], "explained": value in explained}
        for value in values
    ]


def _form_page(
    request: Request,
    organisation: str,
    register: Register,
    typed: dict[str, Any],
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "organisation": organisation,
        "register": register,
        "rights": _rights_offered(register),
        "representatives": REPRESENTATIVES,
        "limits": LIMITS,
        "typed": typed,
        "error": error,
        "not_offered_note": NOT_OFFERED_NOTE,
    }
    return FORM.page(request, organisation, context, status=status)


@router.get("/orgs/{org}/request", name="portal_request_form", dependencies=[PUBLIC])
def request_form(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    typed: dict[str, Any] = {"rights": [], "for_whom": "self"}
    return _form_page(request, analysis.organisation, analysis.register, typed)


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed, to show again on a refused form (bounded; never stored)."""
    typed = FORM.typed_text(form)
    typed["rights"] = [r for r in form.getlist("rights") if isinstance(r, str)][:12]
    typed["for_whom"] = "other" if form.get("for_whom") == "other" else "self"
    kind = form.get("requester_kind")
    typed["requester_kind"] = kind if kind in REPRESENTATIVES else ""
    return typed


def _new_request(organisation: str, form: FormData, received_on: date) -> NewRequest:
    """The request the form describes, or a DatawardError saying what to put right."""
    fields = FORM.fields(form)
    if not fields["name"]:
        raise RequestInvalid("give your name, so we can find your information")
    if fields["email"]:
        try:
            fields["email"] = normalise_email(fields["email"])
        except InvalidIdentity:
            raise RequestInvalid(
                "the email address does not look right: check it, or leave it out and give "
                "a postal address"
            ) from None
    elif not fields["address"]:
        raise RequestInvalid(
            "give an email address, or a postal address so that we can reply to you by post"
        )
    kind = "self"
    if form.get("for_whom") == "other":
        given = form.get("requester_kind")
        if not isinstance(given, str) or given not in REPRESENTATIVES:
            raise RequestInvalid("say in what role you are asking for someone else")
        kind = given
        if not fields["on_behalf_of"]:
            raise RequestInvalid("give the name of the person you are asking for")
        if not fields["authority"]:
            # RULES: SAR-10: a representative shows their authority to act.
            raise RequestInvalid(
                "say what authority you hold to act for them (for example a signed letter "
                "of authority, or a lasting power of attorney)"
            )
    else:
        fields["on_behalf_of"] = fields["authority"] = ""
    rights = [r for r in form.getlist("rights") if isinstance(r, str)]
    if not rights:
        raise RequestInvalid("tick at least one thing you are asking for")
    if len(rights) > len(REQUESTABLE) or not set(rights) <= {r.value for r in REQUESTABLE}:
        raise RequestInvalid("tick only the things listed on the form, each once")
    return NewRequest(
        organisation=organisation,
        rights=rights,
        channel="portal",
        received_on=received_on,
        requester=Requester(**fields),
        requester_kind=kind,
    )


def status_url(request: Request, token: str) -> str:
    """The status page's absolute address, as the email gives it (``MailSettings.public_url``)."""
    return public_status_url(request, status_address, token)


def acknowledge_opened(
    request: Request, uow: UnitOfWork, row: RightsRequest, *, actor: str
) -> OutboxMessage | None:
    """Sign the request's status link and queue its acknowledgement (the portal, the console
    and the API all do it this way); None when the requester is answered by post."""
    token, _ = status_link_token(request.app.state.secret_key, uow.clock, row)
    return acknowledge(uow, row, status_url(request, token), actor=actor)


@router.post("/orgs/{org}/request", name="portal_request_submit", dependencies=[PUBLIC])
def request_submit(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    organisation, register = analysis.organisation, analysis.register
    form = posted_form(request)

    def open_it(writer: UnitOfWork) -> str:
        today = in_uk_time(writer.clock.now()).date()
        row = open_request(writer, _new_request(organisation, form, today), actor=ACTOR)
        token, _ = status_link_token(request.app.state.secret_key, writer.clock, row)
        acknowledge(writer, row, status_url(request, token), actor=ACTOR)
        return token

    def refused(message: str, status: int) -> Response:
        # RULES: SAR-10: nothing is opened; the person sees what to put right, with what
        # they typed, and the chain records only the refusal's code.
        typed = _typed(form)
        return _form_page(request, organisation, register, typed, error=message, status=status)

    controller = register.controller.name
    return FORM.submit(request, organisation, controller, open_it, refused, "/requests/sent/")


def _page(request: Request, uow: UnitOfWork, token: str, template: str) -> Response:
    row = linked_request(request, uow, token)
    context = {
        "token": token,
        "row": row,
        "status": status_of(row, waiting_for_authority=waits_for_authority(uow, row)),
        "organisation_name": register_of(uow, row.organisation).controller.name,
        # Their own name only, so they know the link is theirs; nothing else of theirs.
        "requester_name": requester_of(uow, row).name,
        "status_url": status_url(request, token),
        "emailed": bool(request_messages(uow, row)),
        **status_letters_panel(uow, row),
        "not_offered_note": NOT_OFFERED_NOTE,
    }
    response = render(request, template, context)
    response.headers.update(NO_STORE)
    return response


@router.get("/requests/sent/{token}", name="portal_request_sent", dependencies=[PUBLIC])
def request_sent(request: Request, token: str, uow: Uow) -> Response:
    return _page(request, uow, token, "portal/request_sent.html")


@router.get("/requests/status/{token}", name="portal_request_status", dependencies=[PUBLIC])
def request_status(request: Request, token: str, uow: Uow) -> Response:
    return _page(request, uow, token, "portal/request_status.html")
