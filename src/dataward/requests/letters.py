"""Letters to the person who made a request: one per step that answers them (issue 16).

``letter_for`` lays out the words of ``letter_content`` with the organisation's name and
contacts from the register, the reference and the date, as a printable HTML page and as
plain text. ``issue_letter`` sends the letter a step calls for, in the step's own unit of
work: by email where the requester gave one and the register's delivery setting allows,
otherwise it records (in the audit chain) that the letter must go by post. No HTTP here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from dataward.audit.service import record
from dataward.crypto.keyring import decrypt_for
from dataward.outbox.models import OutboxMessage
from dataward.register.models import Address, Register
from dataward.register.wording import contact_words, uk_date
from dataward.requests import audit_actions as actions
from dataward.requests.clock import due_dates
from dataward.requests.errors import LetterNotReady, LetterNotSent, UnknownLetter
from dataward.requests.letter_content import (
    WAITING_FOR,
    Body,
    Facts,
    body_for,
    request_contacts,
)
from dataward.requests.messages import message_requester
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.service import Requester, nation_of, register_of, requester_of
from dataward.requests.waits import PROOF_ASKS, last_proof_asked
from dataward.uow import UnitOfWork

KINDS = (
    "acknowledgement",
    "identity_needed",
    "fee_needed",
    "clarification_needed",
    "extension",
    "refusal",
    "response",
    "deceased",
    "withdrawn",
)
# The step each letter follows: its note gives the reasons, its day the dates.
STEP_OF: dict[str, str] = {
    "acknowledgement": actions.REQUEST_RECEIVED,
    "identity_needed": actions.REQUEST_IDENTITY_REQUESTED,
    "fee_needed": actions.REQUEST_FEE_REQUESTED,
    "clarification_needed": actions.REQUEST_CLARIFICATION_REQUESTED,
    "extension": actions.REQUEST_EXTENDED,
    "refusal": actions.REQUEST_REFUSED,
    "response": actions.REQUEST_RESPONDED,
    "deceased": actions.REQUEST_CLOSED,
    "withdrawn": actions.REQUEST_WITHDRAWN,
}
# Letters that give reasons cannot be written before the step that records them.
NEEDS_REASON = ("fee_needed", "clarification_needed", "extension", "refusal")
# Letters ``issue_letter`` sends on a step, each a message type of its own so the request
# page can tell which letter went by email (``outbox/templates.py``).
SENT_ON_STEP = ("extension", "refusal", "response", "deceased", "withdrawn")
TITLES = {
    "acknowledgement": "Acknowledgement",
    "identity_needed": "Proof of identity needed",
    "fee_needed": "Fee needed",
    "clarification_needed": "Clarification needed",
    "extension": "Extension (SAR-04)",
    "refusal": "Refusal (SAR-08)",
    "response": "Response",
    "deceased": "Closed: the person has died (SAR-10)",
    "withdrawn": "Withdrawal confirmed",
}

_FOLDER = Path(__file__).parent / "letter_templates"
_HTML = Environment(
    loader=FileSystemLoader(str(_FOLDER)),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
)
# Plain text is never shown as HTML: escaping would corrupt it.
_TEXT = Environment(
    loader=FileSystemLoader(str(_FOLDER)),
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Letter:
    kind: str
    title: str
    html: str
    text: str


@dataclass(frozen=True)
class StepTaken:
    on: date
    note: str | None


def message_kind(kind: str) -> str:
    return f"request_letter_{kind}"


def _step(uow: UnitOfWork, row: RightsRequest, kind: str) -> StepTaken | None:
    """The latest step this letter follows, with its note unsealed; None if not taken."""
    query = select(RequestEvent).where(
        RequestEvent.request_id == row.id, RequestEvent.action.in_(_steps_of(kind))
    )
    if kind == "deceased":
        query = query.where(RequestEvent.to_state == "closed")
    event = uow.session.scalars(query.order_by(RequestEvent.seq.desc()).limit(1)).first()
    if event is None:
        return None
    note = None
    if event.note_sealed is not None:
        context = f"request:{row.id}:event:{event.seq}"
        note = decrypt_for(uow, row.key_id, event.note_sealed, context)
    return StepTaken(event.on, note)


def _steps_of(kind: str) -> tuple[str, ...]:
    """The steps a letter follows: proof is asked for as identity or as a representative's
    authority (SAR-05, SAR-10), and one letter says whichever was asked last."""
    return PROOF_ASKS if kind == "identity_needed" else (STEP_OF[kind],)


def _took_effect_on(uow: UnitOfWork, row: RightsRequest) -> date | None:
    """OBJ-02: the day the request first took effect for its subject, if it has."""
    return uow.session.scalars(
        select(RequestEvent.on)
        .where(
            RequestEvent.request_id == row.id,
            RequestEvent.action == actions.REQUEST_TOOK_EFFECT,
        )
        .order_by(RequestEvent.seq)
        .limit(1)
    ).first()


def _due_on(row: RightsRequest, kind: str) -> date | None:
    if kind == "extension" and not row.extended:
        # A preview before the step: the date the extension would give (SAR-04).
        return due_dates(row.clock_starts_on, row.paused_days, True, nation_of(row)).due_on
    return row.due_on


def letter_for(
    uow: UnitOfWork,
    row: RightsRequest,
    kind: str,
    *,
    note: str | None = None,
    addressed: bool = True,
) -> Letter:
    """The letter ``kind`` for this request, from the current register. ``note`` overrides
    the reasons recorded with the step (a letter before the step is taken); ``addressed``
    False leaves out the postal address (the portal shows the requester only their name)."""
    if kind not in KINDS:
        raise UnknownLetter(f"unknown letter {kind[:40]!r}: use one of {', '.join(KINDS)}")
    register = register_of(uow, row.organisation)
    taken = _step(uow, row, kind)
    note = note if note is not None else (taken.note if taken is not None else None)
    if kind in NEEDS_REASON and not (note and note.strip()):
        raise LetterNotReady(
            f"the {kind.replace('_', ' ')} letter gives reasons: take the step with them first"
        )
    if kind == "deceased" and row.outcome != "deceased":
        taken = None  # the request was closed as answered: this is a preview
    requester = requester_of(uow, row)
    extra: dict[str, str] = {}
    if kind == "identity_needed" and row.requester_kind != "self":
        last = last_proof_asked(uow, row)
        if last is not None and last.action == actions.REQUEST_AUTHORITY_REQUESTED:
            extra[WAITING_FOR] = "authority"
    facts = Facts(
        reference=row.ref,
        rights=row.rights,
        not_offered=row.not_offered,
        received_on=row.received_on,
        due_on=_due_on(row, kind),
        note=note,
        step_on=taken.on if taken is not None else uow.clock.today(),
        paused_since=row.paused_since,
        on_behalf_of=requester.on_behalf_of,
        extra=extra,
        took_effect_on=_took_effect_on(uow, row) if kind == "response" else None,
        refusal_reason=row.refusal_reason if kind == "refusal" else None,
    )
    body = body_for(kind, register, facts)
    if not addressed:
        requester = Requester(name=requester.name)
    return render_letter(kind, register, body, requester, row.ref, uow.clock.today())


def _postal(address: Address | None) -> str:
    # The lines and postcode only: a register's label may repeat the address itself.
    if address is None:
        return ""
    return ", ".join([*address.lines, *([address.postcode] if address.postcode else [])])


def render_letter(
    kind: str, register: Register, body: Body, requester: Requester, reference: str, today: date
) -> Letter:
    controller = register.controller
    context = {
        "body": body,
        "reference": reference,
        "organisation": controller.name,
        "legal_name": controller.legal_name if controller.legal_name != controller.name else "",
        "contacts": [contact_words(c) for c in request_contacts(register)],
        "address": _postal(controller.registered_address),
        "dated": uk_date(today),
        "to_name": requester.name.strip(),
        "to_address": requester.address.strip(),
    }
    html = _HTML.get_template("letter.html").render(context)
    text = _TEXT.get_template("letter.txt").render(context)
    return Letter(kind, body.title, html, text)


# -- sending on a step -------------------------------------------------------------------

LETTER_ON_ACTION = {
    actions.REQUEST_EXTENDED: "extension",
    actions.REQUEST_REFUSED: "refusal",
    actions.REQUEST_RESPONDED: "response",
    actions.REQUEST_WITHDRAWN: "withdrawn",
}


def delivery_of(register: Register, row: RightsRequest, requester: Requester) -> tuple[str, str]:
    """("email" | "post", why): a requester who asked for post gets post; with no email
    address a letter can only go by post (JTR rights.g7); otherwise the register's
    ``delivery`` for the rights asked decides (``electronic_unless_requested``: email)."""
    if requester.reply_by == "post":
        return "post", "asked_for_post"
    if not requester.email:
        return "post", "no_email"
    settings = {i.delivery for i in register.rights.items if i.right.value in row.rights}
    if "post" in settings:
        return "post", "register_says_post"
    if "same_as_request" in settings and row.channel in ("post", "in_person", "phone"):
        return "post", "same_as_request"
    return "email", "email"


def issue_letter(uow: UnitOfWork, row: RightsRequest, action: str, *, actor: str) -> str | None:
    """Send the letter the step ``action`` calls for, if any; returns the letter's kind.

    Called by ``transitions._done`` in the step's unit of work: the letter and the step
    commit together or not at all."""
    kind = LETTER_ON_ACTION.get(action)
    if action == actions.REQUEST_CLOSED and row.outcome == "deceased":
        kind = "deceased"
    if kind is None:
        return None
    letter = letter_for(uow, row, kind)
    register = register_of(uow, row.organisation)
    how, why = delivery_of(register, row, requester_of(uow, row))
    if how == "email":
        context = {"title": letter.title, "letter_text": letter.text, "letter_html": letter.html}
        if message_requester(uow, row, message_kind(kind), context, actor=actor) is not None:
            return kind
        why = "no_email"
    record(
        uow,
        actor=actor,
        action=actions.REQUEST_LETTER_TO_POST,
        entity_type="request",
        entity_id=row.ref,
        details={"organisation": row.organisation, "letter": kind, "why": why},
    )
    return kind


# -- the request page's list -------------------------------------------------------------


@dataclass(frozen=True)
class LetterEntry:
    kind: str
    title: str
    # "email" (queued or sent), "post" (staff must print and send it), or "preview".
    delivery: str
    on: date | None
    message_status: str | None = None


def letters_of(uow: UnitOfWork, row: RightsRequest) -> list[LetterEntry]:
    """The letters this request has had or will need, in the order they come."""
    sent = {
        m.kind: m.status
        for m in uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.request_id == row.id)
        )
    }
    # The day each step was last taken: one read of the history, no notes unsealed.
    taken_on: dict[str, date] = {}
    proof_asked = None
    for event in uow.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == row.id).order_by(RequestEvent.seq)
    ):
        taken_on[event.action] = event.on
        if event.action in PROOF_ASKS:  # identity or authority: one letter, the latest ask
            taken_on[STEP_OF["identity_needed"]] = event.on
            proof_asked = event.action
    entries: list[LetterEntry] = []
    for kind in KINDS:
        on = taken_on.get(STEP_OF[kind])
        if kind == "deceased" and row.outcome != "deceased":
            on = None
        if kind in SENT_ON_STEP and on is not None:
            status = sent.get(message_kind(kind))
            how = "email" if status is not None else "post"
            entries.append(LetterEntry(kind, TITLES[kind], how, on, status))
        elif kind == "acknowledgement" or (on is not None and kind not in SENT_ON_STEP):
            title = TITLES[kind]
            if kind == "identity_needed" and proof_asked == actions.REQUEST_AUTHORITY_REQUESTED:
                title = "Authority needed (SAR-10)"
            entries.append(LetterEntry(kind, title, "preview", on))
        elif kind == "response" and row.outcome is None:
            entries.append(LetterEntry(kind, TITLES[kind], "preview", None))
    return entries


def sent_letter(uow: UnitOfWork, row: RightsRequest, kind: str) -> Letter:
    """A letter the requester has been sent (or is sent by post), for their status page;
    a letter not sent yet is not theirs to see (a draft response, a preview)."""
    sent = {e.kind for e in letters_of(uow, row) if e.delivery != "preview"}
    if kind not in sent | {"acknowledgement"}:
        raise LetterNotSent(f"no {kind[:40].replace('_', ' ')} letter was sent for this request")
    return letter_for(uow, row, kind, addressed=False)


def letter_pdf(letter: Letter) -> bytes:
    """The letter as PDF (the optional ``pdf`` extra); ``PdfUnavailable`` says what to
    install where WeasyPrint or its libraries are missing."""
    from dataward.notice.pdf import load_weasyprint

    weasyprint = load_weasyprint()
    # WeasyPrint warns about screen-only CSS that paper ignores: noise, not news.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf: bytes = weasyprint.HTML(string=letter.html).write_pdf()
    return pdf
