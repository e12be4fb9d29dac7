"""Letters to the person who complained: the acknowledgement and the outcome (CMP-01).

Generated from the register: the organisation's name and contacts, the outcome and the
caseworker's explanation (the close note), and the route to the ICO from
``rights.complaints`` (its address, and its statement where it says to contact the
organisation first). Laid out by the rights letters' machinery (``requests.letters``
``render_letter`` and ``letter_pdf``, ``letter_content``'s sections and ICO route), so the
email, the printed letter and the PDF say the same thing. ``send_acknowledgement`` and
``send_outcome`` are called by the steps in their unit of work: by email where the
complainant gave one, otherwise the chain records that the letter goes by post. No HTTP.
"""

from __future__ import annotations

from sqlalchemy import select

from dataward.complaints.audit_actions import (
    COMPLAINT_ACKNOWLEDGED,
    COMPLAINT_CLOSED,
    COMPLAINT_LETTER_TO_POST,
)
from dataward.complaints.errors import (
    ComplaintLetterNotReady,
    ComplaintLetterNotSent,
    ComplaintLetterUnknown,
)
from dataward.complaints.messages import ACKNOWLEDGED, OUTCOME, message_complainant
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.complaints.route import complaint_route
from dataward.complaints.service import audit_complaint, complainant_of, note_of
from dataward.complaints.status_view import OUTCOME_WORDS
from dataward.outbox.models import OutboxMessage
from dataward.register.models import Register
from dataward.register.wording import contact_words, uk_date
from dataward.requests.letter_content import Body, Section, ico_section, request_contacts
from dataward.requests.letters import Letter, LetterEntry, render_letter
from dataward.requests.letters import letter_pdf as letter_pdf
from dataward.requests.service import Requester, register_of
from dataward.uow import UnitOfWork

KINDS = ("acknowledgement", "outcome")
TITLES = {
    "acknowledgement": "We have your complaint",
    "outcome": "The outcome of your complaint",
}
# The step each letter follows, and the message type that emails it.
STEP_OF = {"acknowledgement": COMPLAINT_ACKNOWLEDGED, "outcome": COMPLAINT_CLOSED}
MESSAGE_OF = {"acknowledgement": ACKNOWLEDGED, "outcome": OUTCOME}


def _event(uow: UnitOfWork, row: Complaint, kind: str) -> ComplaintEvent | None:
    return uow.session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == row.id, ComplaintEvent.action == STEP_OF[kind])
        .order_by(ComplaintEvent.seq.desc())
        .limit(1)
    ).first()


def explanation_of(uow: UnitOfWork, row: Complaint) -> str | None:
    """The caseworker's explanation of the outcome (the close note), once closed."""
    if row.state != "closed":
        return None
    event = _event(uow, row, "outcome")
    return note_of(uow, row, event) if event is not None else None


ICO = "the Information Commissioner's Office (ICO), the UK regulator for data protection"


def ico_words(register: Register, *, closed: bool) -> str:
    """How the complainant may go on to the ICO, as the register's route puts it
    (``before_ico``): after our outcome, or while we look into it. Never more than the
    register says: with no condition stated, only that they can."""
    if closed:
        return f"If you are not satisfied with our outcome, you can complain to {ICO}."
    before = complaint_route(register).before_ico
    if before == "required":
        return (
            f"Please let us look into your complaint first. If you are still unhappy after "
            f"our outcome, you can then complain to {ICO}."
        )
    if before == "encouraged":
        return (
            f"You can complain to {ICO} at any time, but please let us look into it first so "
            "that we have the chance to put things right."
        )
    return f"You can also complain to {ICO}."


def _on_behalf(row: Complaint, complainant: Requester) -> str:
    if row.complainant_kind == "self" or not complainant.on_behalf_of.strip():
        return ""
    return f" on behalf of {complainant.on_behalf_of.strip()}"


def _contact_section(register: Register) -> tuple[Section, ...]:
    # The register's complaint route first (complaints.route), else the rights contacts.
    contacts = list(complaint_route(register).contacts) or request_contacts(register)
    if not contacts:
        return ()
    return (
        Section(
            "How to contact us",
            ("Please contact us about your complaint here:",),
            tuple(contact_words(c) for c in contacts),
        ),
    )


def _acknowledgement(register: Register, row: Complaint, complainant: Requester) -> Body:
    received = (
        f"We received your complaint{_on_behalf(row, complainant)} on "
        f"{uk_date(row.received_on)}, and this letter acknowledges it."
    )
    next_steps = ["We will look into your complaint and tell you the outcome in writing."]
    if row.outcome_target_on is not None:
        # Only what the register promises (rights.complaints.outcome_within_days).
        next_steps.append(f"We aim to give you our outcome by {uk_date(row.outcome_target_on)}.")
    sections = (
        Section("Your complaint", (received,)),
        Section("What happens next", tuple(next_steps)),
        *_contact_section(register),
        ico_section(register, ico_words(register, closed=False)),
    )
    return Body(TITLES["acknowledgement"], sections)


def _outcome(register: Register, row: Complaint, complainant: Requester, explanation: str) -> Body:
    about = (
        f"We have finished looking into your complaint{_on_behalf(row, complainant)}, "
        f"which we received on {uk_date(row.received_on)}."
    )
    words = OUTCOME_WORDS[row.outcome or ""]
    paragraphs = tuple(p.strip() for p in explanation.split("\n\n") if p.strip())
    sections = (
        Section("Our decision", (about, words)),
        Section("Why", paragraphs),
        *_contact_section(register),
        ico_section(register, ico_words(register, closed=True)),
    )
    return Body(TITLES["outcome"], sections)


def letter_for(uow: UnitOfWork, row: Complaint, kind: str, *, addressed: bool = True) -> Letter:
    """The letter ``kind`` for this complaint, from the current register. The outcome letter
    exists once the complaint is closed (it gives the outcome and its explanation);
    ``addressed`` False leaves out the postal address (the status page shows a name only)."""
    if kind not in KINDS:
        raise ComplaintLetterUnknown(f"unknown letter {kind[:40]!r}: use one of {', '.join(KINDS)}")
    register = register_of(uow, row.organisation)
    complainant = complainant_of(uow, row)
    if kind == "acknowledgement":
        dated = row.acknowledged_on or uow.clock.today()
        body = _acknowledgement(register, row, complainant)
    else:
        explanation = explanation_of(uow, row)
        if row.outcome is None or row.closed_on is None or not explanation:
            raise ComplaintLetterNotReady(
                "the outcome letter gives the outcome and its explanation: close the "
                "complaint with them first"
            )
        dated = row.closed_on
        body = _outcome(register, row, complainant, explanation)
    to = complainant if addressed else Requester(name=complainant.name)
    return render_letter(kind, register, body, to, row.ref, dated)


def _send(uow: UnitOfWork, row: Complaint, kind: str, status_url: str, *, actor: str) -> None:
    letter = letter_for(uow, row, kind)
    if kind == "acknowledgement":
        context: dict[str, object] = {
            "received_on": uk_date(row.received_on),
            "acknowledged_on": uk_date(row.acknowledged_on),
            "outcome_by": uk_date(row.outcome_target_on) if row.outcome_target_on else "",
            "status_url": status_url,
        }
    else:
        context = {
            "title": letter.title,
            "letter_text": letter.text,
            "letter_html": letter.html,
            "status_url": status_url,
        }
    if message_complainant(uow, row, MESSAGE_OF[kind], context, actor=actor) is None:
        why = "asked_for_post" if complainant_of(uow, row).email else "no_email"
        audit_complaint(uow, row, COMPLAINT_LETTER_TO_POST, actor=actor, letter=kind, why=why)


def send_acknowledgement(uow: UnitOfWork, row: Complaint, status_url: str, *, actor: str) -> None:
    """CMP-01: the acknowledgement, emailed (with the status link, where the edge signed
    one) or, with no email address, recorded as a letter to post."""
    _send(uow, row, "acknowledgement", status_url, actor=actor)


def send_outcome(uow: UnitOfWork, row: Complaint, status_url: str, *, actor: str) -> None:
    """CMP-01: the outcome letter with the ICO route, emailed or recorded as one to post."""
    _send(uow, row, "outcome", status_url, actor=actor)


def letters_of(uow: UnitOfWork, row: Complaint) -> list[LetterEntry]:
    """The complaint's letters: each sent one (by email or to post), else a preview."""
    sent = {
        m.kind: m.status
        for m in uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.complaint_id == row.id)
        )
    }
    taken = {"acknowledgement": row.acknowledged_on, "outcome": row.closed_on}
    entries = []
    for kind in KINDS:
        on = taken[kind]
        if on is None:
            if kind == "acknowledgement":
                entries.append(LetterEntry(kind, TITLES[kind], "preview", None))
            continue
        status = sent.get(MESSAGE_OF[kind])
        how = "email" if status is not None else "post"
        entries.append(LetterEntry(kind, TITLES[kind], how, on, status))
    return entries


def sent_letter(uow: UnitOfWork, row: Complaint, kind: str) -> Letter:
    """A letter the complainant has been sent, for their status page; never a preview."""
    sent = {e.kind for e in letters_of(uow, row) if e.delivery != "preview"}
    if kind not in sent:
        raise ComplaintLetterNotSent(
            f"no {kind[:40].replace('_', ' ')} letter was sent for this complaint"
        )
    return letter_for(uow, row, kind, addressed=False)
