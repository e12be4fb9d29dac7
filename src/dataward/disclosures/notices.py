"""NOT-01 (Art 19): every recipient that received a person's data is told of a change.

A request that corrects, erases or restricts a person's data tells each recipient the
disclosure log says received it (in the datasets changed), through the outbox, with a
template per change. Where that is impossible (the register gives no email for the
recipient) or disproportionate (the caseworker says why), that is recorded instead. A
recipient is told once per request and change: asking again returns what was recorded.
The subject can then be told who was told (``recipients_told``). Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dataward.disclosures.audit_actions import RECIPIENT_NOT_TOLD, RECIPIENT_TOLD
from dataward.disclosures.errors import NoticeInvalid
from dataward.disclosures.models import Disclosure, RecipientNotice
from dataward.holds.service import register_of
from dataward.outbox.service import queue_requester_message
from dataward.register.models import Register
from dataward.register.models.sharing import Recipient
from dataward.register.wording import uk_date
from dataward.requests.messages import link_of
from dataward.requests.models import RightsRequest
from dataward.requests.service import audit_request
from dataward.uow import UnitOfWork

CHANGES = ("erasure", "rectification", "restriction")
TOLD, IMPOSSIBLE, DISPROPORTIONATE = "told", "impossible", "disproportionate"
# The reason recorded when the register gives no way to write to the recipient.
NO_CONTACT = "no_contact"
# The reason recorded when the recipient has left the register since the disclosure.
NOT_IN_REGISTER = "not_in_register"
MAX_REASON = 400


@dataclass(frozen=True)
class ToldRecipient:
    """One line of the subject's answer to "who did you tell?"."""

    recipient: str
    name: str
    change: str
    outcome: str
    reason: str | None


def email_of(recipient: Recipient) -> str | None:
    for contact in recipient.contacts:
        if contact.kind == "email":
            return contact.value
    return None


def _received(
    uow: UnitOfWork, row: RightsRequest, datasets: Collection[str]
) -> dict[str, list[Disclosure]]:
    """The subject's disclosures touching ``datasets`` (all when empty), by recipient."""
    found: dict[str, list[Disclosure]] = {}
    query = (
        select(Disclosure)
        .where(Disclosure.subject_id == row.subject_id)
        .order_by(Disclosure.recipient, Disclosure.disclosed_on, Disclosure.ref)
    )
    for disclosure in uow.session.scalars(query):
        if datasets and not set(disclosure.datasets) & set(datasets):
            continue
        found.setdefault(disclosure.recipient, []).append(disclosure)
    return found


def _names(register: Register) -> dict[str, str]:
    return {d.id: d.name for d in register.datasets}


def _context(
    row: RightsRequest,
    recipient: Recipient,
    disclosures: Sequence[Disclosure],
    datasets: list[str],
    register: Register,
    lines: Sequence[str],
) -> dict[str, Any]:
    names = _names(register)
    return {
        "reference": row.ref,
        "recipient_name": recipient.organisation or recipient.name,
        "disclosures": [
            f"{uk_date(d.disclosed_on)}"
            + (f", reference {d.reference}" if d.reference else "")
            + f" (our disclosure {d.ref})"
            for d in disclosures
        ],
        "datasets": [names.get(d, d) for d in datasets],
        "lines": list(lines),
    }


def tell_recipients(
    uow: UnitOfWork,
    row: RightsRequest,
    change: str,
    *,
    datasets: Collection[str],
    actor: str,
    disproportionate: Mapping[str, str] | None = None,
    lines: Sequence[str] = (),
) -> list[RecipientNotice]:
    """Tell every recipient of the subject's data in ``datasets`` (all, when empty) of
    ``change``; ``disproportionate`` maps recipient ids to why telling them is not done;
    ``lines`` go into the message (a rectification's corrected values). Returns a notice
    per recipient, those recorded earlier for this request and change included."""
    if change not in CHANGES:
        raise NoticeInvalid(f"change must be one of {', '.join(CHANGES)}")
    if row.subject_id is None:
        raise NoticeInvalid(f"request {row.ref} has no subject linked: nobody received data")
    reasons = dict(disproportionate or {})
    for recipient_id, reason in reasons.items():
        if not reason.strip() or len(reason) > MAX_REASON or "\x00" in reason:
            raise NoticeInvalid(
                f"say why telling {recipient_id[:80]!r} is disproportionate "
                f"(at most {MAX_REASON} characters)"
            )
    register = register_of(uow, row.organisation)
    in_register = {r.id: r for r in register.recipients}
    earlier = {
        n.recipient: n
        for n in uow.session.scalars(
            select(RecipientNotice).where(
                RecipientNotice.request_id == row.id, RecipientNotice.change == change
            )
        )
    }
    notices: list[RecipientNotice] = []
    for recipient_id, disclosures in _received(uow, row, datasets).items():
        if recipient_id in earlier:
            notices.append(earlier[recipient_id])
            continue
        went = sorted({d for x in disclosures for d in x.datasets})
        changed = [d for d in went if not datasets or d in datasets]
        notice = RecipientNotice(
            id=str(uuid.uuid4()),
            request_id=row.id,
            recipient=recipient_id,
            change=change,
            datasets=changed,
            disclosures=[d.ref for d in disclosures],
            outcome=TOLD,
            told_by=actor,
            created_at=uow.clock.now(),
        )
        recipient = in_register.get(recipient_id)
        address = email_of(recipient) if recipient is not None else None
        if recipient_id in reasons:
            notice.outcome, notice.reason = DISPROPORTIONATE, reasons[recipient_id].strip()
        elif recipient is None:
            notice.outcome, notice.reason = IMPOSSIBLE, NOT_IN_REGISTER
        elif address is None:
            notice.outcome, notice.reason = IMPOSSIBLE, NO_CONTACT
        else:
            message = queue_requester_message(
                uow,
                row.organisation,
                link_of(row),
                address,
                f"recipient_{change}",
                _context(row, recipient, disclosures, changed, register, lines),
                actor=actor,
            )
            notice.message_id = message.id
        uow.session.add(notice)
        # The chain gets the codes; a caseworker's reason stays in the notice row.
        audit_request(
            uow,
            row,
            RECIPIENT_TOLD if notice.outcome == TOLD else RECIPIENT_NOT_TOLD,
            actor=actor,
            recipient=recipient_id,
            change=change,
            datasets=",".join(changed),
            outcome=notice.outcome,
            reason=notice.reason if notice.outcome == IMPOSSIBLE else "",
        )
        notices.append(notice)
    uow.session.flush()
    return notices


def recipients_told(uow: UnitOfWork, row: RightsRequest) -> list[ToldRecipient]:
    """Who was told of the request's changes, and who not and why: for the response letter
    (the subject may ask who received their data and was told, NOT-01)."""
    register = register_of(uow, row.organisation)
    names = {r.id: r.organisation or r.name for r in register.recipients}
    notices = uow.session.scalars(
        select(RecipientNotice)
        .where(RecipientNotice.request_id == row.id)
        .order_by(RecipientNotice.change, RecipientNotice.recipient)
    )
    return [
        ToldRecipient(
            n.recipient,
            names.get(n.recipient, n.recipient),
            n.change,
            n.outcome,
            n.reason,
        )
        for n in notices
    ]
