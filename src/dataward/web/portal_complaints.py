"""Public portal: a complaint form per organisation, its thank-you and status pages (CMP-01).

Anyone may complain here without an account, for themselves or for someone else (SAR-10's
kinds of representative). The form has no session, so its CSRF check is the signed
double-submit cookie the request form uses, scoped to the form's path; it is throttled per
client like the request form. A submission opens the complaint (channel "portal", received
today, UK day) and acknowledges it at once with the same service calls the console uses; the
acknowledgement email carries a signed status link (``complaints.status_links``). The status
page says where the complaint is, the dates, the outcome once closed, and the letters sent;
nothing about the complainant beyond their name.

The form shows the register's complaint route (its statement, the ICO) and the outcome time
only where the register promises one: a default is never shown as a promise.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.complaints.errors import ComplaintInvalid
from dataward.complaints.letters import (
    explanation_of,
    ico_words,
    letters_of,
    sent_letter,
)
from dataward.complaints.messages import complaint_messages
from dataward.complaints.models import Complaint
from dataward.complaints.route import complaint_route
from dataward.complaints.service import (
    MAX_TEXT,
    THEMES,
    Complainant,
    NewComplaint,
    complainant_of,
    open_complaint,
    today_of,
)
from dataward.complaints.status_links import status_address, status_link_token
from dataward.complaints.status_view import status_of
from dataward.complaints.steps import Step, acknowledge, link_request
from dataward.register.models import Register
from dataward.requests.errors import RequestNotFound
from dataward.requests.service import get_request, register_of
from dataward.subjects.errors import InvalidIdentity
from dataward.subjects.identities import normalise_email
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser
from dataward.web.auth import PUBLIC, posted_form
from dataward.web.deps import analyse_organisation, get_analyser, get_uow
from dataward.web.portal_forms import NO_STORE, PortalForm, public_status_url
from dataward.web.portal_requests import REPRESENTATIVES
from dataward.web.request_letter_pages import Format, sent_letter_response
from dataward.web.status_link import linked_complaint
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Analyser = Annotated[RegisterAnalyser, Depends(get_analyser)]

ACTOR = "portal"
# What a complaint can be about, in the form's words (complaints.service.THEMES).
THEME_WORDS: dict[str, str] = {
    "rights_request": "How we handled a request you made about your data",
    "disclosure": "We shared or showed your data when we should not have",
    "accuracy": "We hold wrong or out-of-date data about you",
    "security": "Your data was lost, stolen or seen by the wrong person",
    "retention": "We kept your data too long, or deleted it too soon",
    "marketing": "We sent you marketing you did not want",
    "recording": "CCTV, body-worn cameras or call recordings",
    "collection": "We collected more than we needed, or did not tell you",
    "other": "Something else",
}
assert set(THEME_WORDS) == set(THEMES)
# Each field's cap, well under the 64 KiB the body gate allows a whole form.
LIMITS: dict[str, int] = {
    "words": MAX_TEXT,
    "about": 1000,
    "request_ref": 40,
    "name": 200,
    "email": 254,
    "phone": 40,
    "address": 1000,
    "on_behalf_of": 200,
}
LABELS: dict[str, str] = {
    "words": "what happened",
    "about": "what it is about",
    "request_ref": "the request reference",
    "name": "your name",
    "email": "the email address",
    "phone": "the phone number",
    "address": "the postal address",
    "on_behalf_of": "the name of the person you are complaining for",
}
# A rights request's reference as the organisation gives it (``q_`` and 16 hex digits).
REQUEST_REF = re.compile(r"^q_[0-9a-f]{16}$")
FORM = PortalForm(
    kind="complaint",
    path="/orgs/{org}/complain",
    template="portal/complaint_form.html",
    limits=LIMITS,
    labels=LABELS,
    invalid=ComplaintInvalid,
    nul_refusal="holds a character that cannot be stored",
    typed_drops_nul=True,
)


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
        "route": complaint_route(register),
        "ico_words": ico_words(register, closed=False),
        "themes": THEME_WORDS,
        "representatives": REPRESENTATIVES,
        "limits": LIMITS,
        "typed": typed,
        "error": error,
    }
    return FORM.page(request, organisation, context, status=status)


@router.get("/orgs/{org}/complain", name="portal_complaint_form", dependencies=[PUBLIC])
def complaint_form(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    typed: dict[str, Any] = {"for_whom": "self", "reply_by": "email"}
    return _form_page(request, analysis.organisation, analysis.register, typed)


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed, to show again on a refused form (bounded; never stored)."""
    typed = FORM.typed_text(form)
    typed["for_whom"] = "other" if form.get("for_whom") == "other" else "self"
    typed["reply_by"] = "post" if form.get("reply_by") == "post" else "email"
    kind, theme = form.get("complainant_kind"), form.get("theme")
    typed["complainant_kind"] = kind if kind in REPRESENTATIVES else ""
    typed["theme"] = theme if theme in THEME_WORDS else ""
    return typed


def _new_complaint(
    organisation: str, form: FormData, received_on: date
) -> tuple[NewComplaint, str]:
    """The complaint the form describes and the request ref given (checked for shape
    only), or a ComplaintInvalid saying what to put right."""
    fields = FORM.fields(form)
    if not fields["words"]:
        raise ComplaintInvalid("tell us what happened: what your complaint is about")
    request_ref = fields["request_ref"].lower()
    if request_ref and not REQUEST_REF.match(request_ref):
        raise ComplaintInvalid(
            "the request reference does not look right: it starts with q_ followed by 16 "
            "letters and numbers (leave it out if you do not have it)"
        )
    if not fields["name"]:
        raise ComplaintInvalid("give your name, so we know who is complaining")
    if fields["email"]:
        try:
            fields["email"] = normalise_email(fields["email"])
        except InvalidIdentity:
            raise ComplaintInvalid(
                "the email address does not look right: check it, or leave it out and give "
                "a postal address"
            ) from None
    reply_by = "post" if form.get("reply_by") == "post" else ""
    if reply_by == "post" and not fields["address"]:
        raise ComplaintInvalid("give your postal address, so that we can reply by post")
    if not reply_by and not fields["email"]:
        raise ComplaintInvalid(
            "give an email address, or choose a reply by post and give your postal address"
        )
    kind = "self"
    if form.get("for_whom") == "other":
        given = form.get("complainant_kind")
        if not isinstance(given, str) or given not in REPRESENTATIVES:
            raise ComplaintInvalid("say in what role you are complaining for someone else")
        kind = given
        if not fields["on_behalf_of"]:
            raise ComplaintInvalid("give the name of the person you are complaining for")
    else:
        fields["on_behalf_of"] = ""
    theme = form.get("theme")
    if theme and theme not in THEME_WORDS:
        raise ComplaintInvalid("choose what the complaint is about from the list, or leave it")
    # What it is about, and a request ref given, are kept in the complainant's words.
    words = fields["words"]
    if fields["about"]:
        words += f"\n\nAbout: {fields['about']}"
    if request_ref:
        words += f"\n\nRequest reference given: {request_ref}"
    if len(words) > MAX_TEXT:
        raise ComplaintInvalid(
            f"what happened and what it is about are too long together (at most {MAX_TEXT} "
            "characters)"
        )
    complainant = Complainant(
        name=fields["name"],
        email=fields["email"],
        phone=fields["phone"],
        address=fields["address"],
        words=words,
        on_behalf_of=fields["on_behalf_of"],
        reply_by=reply_by,
    )
    new = NewComplaint(
        organisation=organisation,
        channel="portal",
        received_on=received_on,
        complainant=complainant,
        complainant_kind=kind,
        theme=theme if isinstance(theme, str) and theme else None,
    )
    return new, request_ref


def _is_theirs(uow: UnitOfWork, organisation: str, request_ref: str) -> bool:
    try:
        get_request(uow, organisation, request_ref)
    except RequestNotFound:
        return False
    return True


def status_url(request: Request, token: str) -> str:
    """The status page's absolute address, as the emails give it (``MailSettings``)."""
    return public_status_url(request, status_address, token)


def complaint_link(request: Request, uow: UnitOfWork, row: Complaint) -> str:
    """A complaint's signed status page address, for a step's email (``Step.link``): the
    console and the API sign it this way too."""
    token, _ = status_link_token(request.app.state.secret_key, uow.clock, row)
    return status_url(request, token)


@router.post("/orgs/{org}/complain", name="portal_complaint_submit", dependencies=[PUBLIC])
def complaint_submit(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    organisation, register = analysis.organisation, analysis.register
    form = posted_form(request)

    def open_it(writer: UnitOfWork) -> str:
        today = today_of(writer)
        new, request_ref = _new_complaint(organisation, form, today)
        row = open_complaint(writer, new, actor=ACTOR)
        # CMP-01: a request ref of another organisation (or none at all) stays in the
        # words only; the public is not told which refs exist.
        if request_ref and _is_theirs(writer, organisation, request_ref):
            link_request(writer, organisation, row.ref, request_ref, actor=ACTOR)
        token, _ = status_link_token(request.app.state.secret_key, writer.clock, row)
        step = Step(ACTOR, today, link=status_url(request, token))
        acknowledge(writer, organisation, row.ref, step)
        return token

    def refused(message: str, status: int) -> Response:
        # CMP-01: nothing is opened; the person sees what to put right, with what they
        # typed, and the chain records only the refusal's code.
        typed = _typed(form)
        return _form_page(request, organisation, register, typed, error=message, status=status)

    controller = register.controller.name
    return FORM.submit(request, organisation, controller, open_it, refused, "/complaints/sent/")


def _page(request: Request, uow: UnitOfWork, token: str, template: str) -> Response:
    row = linked_complaint(request, uow, token)
    register = register_of(uow, row.organisation)
    sent = [e for e in letters_of(uow, row) if e.delivery != "preview"]
    context = {
        "token": token,
        "status": status_of(row, explanation_of(uow, row)),
        "organisation_name": register.controller.name,
        # Their own name only, so they know the link is theirs; nothing else of theirs.
        "complainant_name": complainant_of(uow, row).name,
        "status_url": status_url(request, token),
        "emailed": bool(complaint_messages(uow, row)),
        "letters": sent,
        "route": complaint_route(register),
        "ico_words": ico_words(register, closed=row.state == "closed"),
    }
    response = render(request, template, context)
    response.headers.update(NO_STORE)
    return response


@router.get("/complaints/sent/{token}", name="portal_complaint_sent", dependencies=[PUBLIC])
def complaint_sent(request: Request, token: str, uow: Uow) -> Response:
    return _page(request, uow, token, "portal/complaint_sent.html")


@router.get("/complaints/status/{token}", name="portal_complaint_status", dependencies=[PUBLIC])
def complaint_status(request: Request, token: str, uow: Uow) -> Response:
    return _page(request, uow, token, "portal/complaint_status.html")


@router.get(
    "/complaints/status/{token}/letters/{kind}",
    name="portal_complaint_letter",
    dependencies=[PUBLIC],
)
def complaint_status_letter(
    request: Request, token: str, kind: str, uow: Uow, format: Format = "html"
) -> Response:
    """A letter the complainant was sent, by their signed status link: no account, no
    postal address shown, never a letter not sent yet."""
    row = linked_complaint(request, uow, token)
    return sent_letter_response(sent_letter(uow, row, kind[:40]), format, row.ref)
