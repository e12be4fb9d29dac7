"""Reminders to staff as a complaint's clocks near or pass (CMP-01). Never commits.

CMP-01 gives a complaint two clocks: its acknowledgement within 30 days of receipt
(``acknowledge_by``) and, where the register promises one, its outcome by
``outcome_target_on``. An open complaint is reminded once per clock, kind and due day:
``<clock>_due_in_<n>_days`` when the day is within ``n`` calendar days (the request
reminders' days, 7 and 1 by default), ``<clock>_due_tomorrow``, and ``<clock>_overdue`` once
it has passed; the clock is ``acknowledgement`` or ``outcome``. Each kind is the smallest
window the complaint is in, so a worker that was down for a day catches up rather than
skipping one. A register that promises no outcome time earns no outcome reminder.

The windows, the recipients (the DPO users with an address; nobody: recorded as
undeliverable) and the words come from ``requests.reminders``: one rule for both. The
reminder row and its outbox messages are added in the caller's unit of work, so they commit
together or not at all; the audit chain gets the complaint's ref and codes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from dataward.audit.service import lock_chain
from dataward.complaints.audit_actions import (
    COMPLAINT_REMINDER_SENT,
    COMPLAINT_REMINDER_UNDELIVERABLE,
)
from dataward.complaints.models import Complaint
from dataward.complaints.reminder_models import ComplaintReminder
from dataward.complaints.service import OPEN
from dataward.outbox.config import MailSettings
from dataward.register.wording import uk_date
from dataward.requests.reminders import (
    Recipients,
    ReminderView,
    Told,
    already_reminded,
    recipients_for,
    reminder_due,
    when_words,
    write_reminder,
)
from dataward.uow import UnitOfWork

REMINDER_MESSAGE = "complaint_reminder"
ACKNOWLEDGEMENT, OUTCOME = "acknowledgement", "outcome"
# What each clock asks of staff, for the message.
DUTIES = {
    ACKNOWLEDGEMENT: "acknowledge the complaint (CMP-01: within 30 days of receipt)",
    OUTCOME: "tell the complainant the outcome (the time the privacy notice promises)",
}


@dataclass(frozen=True)
class _Due:
    id: str
    ref: str
    organisation: str
    state: str
    clock: str
    due_on: date


def _running(uow: UnitOfWork, horizon: date) -> list[_Due]:
    """Open complaints whose acknowledgement or outcome is due by ``horizon``: a query a
    clock on the queue's index, never a walk over every complaint."""
    table = Complaint
    clocks = (
        (ACKNOWLEDGEMENT, table.acknowledge_by, table.acknowledged_on.is_(None)),
        (OUTCOME, table.outcome_target_on, table.outcome_target_on.is_not(None)),
    )
    found: list[_Due] = []
    for clock, due_on, pending in clocks:
        rows = uow.session.execute(
            select(table.id, table.ref, table.organisation, table.state, due_on)
            .where(table.state.in_(OPEN), pending, due_on <= horizon)
            .order_by(due_on, table.ref)
        )
        found += [_Due(r[0], r[1], r[2], r[3], clock, r[4]) for r in rows]
    return found


def _already(uow: UnitOfWork, ids: Sequence[str]) -> set[tuple[str, str, date]]:
    key = (ComplaintReminder.complaint_id, ComplaintReminder.kind, ComplaintReminder.due_on)
    return already_reminded(uow, key, ids)


def complaint_url(mail: MailSettings, organisation: str, ref: str) -> str:
    return f"{mail.public_url.rstrip('/')}/console/complaints/{organisation}/{ref}"


def _tell(
    uow: UnitOfWork,
    due: _Due,
    kind: str,
    to: Recipients,
    context: dict[str, Any],
    *,
    mail: MailSettings,
    actor: str,
) -> None:
    reminder = ComplaintReminder(
        id=str(uuid.uuid4()),
        complaint_id=due.id,
        organisation=due.organisation,
        kind=kind,
        due_on=due.due_on,
        recipient=to.ref,
        messages=len(to.emails),
        sent_at=uow.clock.now(),
    )
    write_reminder(
        uow,
        reminder,
        to,
        REMINDER_MESSAGE,
        context,
        about=("complaint", due.ref),
        actions=(COMPLAINT_REMINDER_SENT, COMPLAINT_REMINDER_UNDELIVERABLE),
        mail=mail,
        actor=actor,
    )


def send_complaint_reminders(
    uow: UnitOfWork,
    *,
    today: date,
    days: Sequence[int],
    mail: MailSettings,
    actor: str = "worker",
) -> Told:
    """Remind the DPO of every open complaint whose clock earned a reminder by ``today``
    and has not had it (CMP-01).

    Runs hold the audit chain's lock from the start, so two workers sweeping at once take
    turns and the second finds the first's rows; the unique key on (complaint, kind, due
    day) stays the last word.
    """
    lock_chain(uow.session)
    horizon = today + timedelta(days=max(days, default=0))
    running = _running(uow, horizon)
    done = _already(uow, [due.id for due in running])
    told = Told()
    to: Recipients | None = None
    for due in running:
        window = reminder_due(due.due_on, today, days)
        if window is None:
            continue
        kind = f"{due.clock}_{window}"
        if (due.id, kind, due.due_on) in done:
            continue
        if to is None:
            to = recipients_for(uow, None)  # complaints have no assignee: the DPO users
        context = {
            "reference": due.ref,
            "clock": due.clock,
            "duty": DUTIES[due.clock],
            "when": when_words(due.due_on, today),
            "due_on": uk_date(due.due_on),
            "state": due.state,
            "complaint_url": complaint_url(mail, due.organisation, due.ref),
        }
        _tell(uow, due, kind, to, context, mail=mail, actor=actor)
        told.count(kind, to)
    return told


# A complaint's reminder, as its page shows it: the same as a request's.
ComplaintReminderView = ReminderView


def complaint_reminders(uow: UnitOfWork, row: Complaint) -> list[ComplaintReminderView]:
    """Every reminder about this complaint, oldest first (for its console page)."""
    found = uow.session.scalars(
        select(ComplaintReminder)
        .where(ComplaintReminder.complaint_id == row.id)
        .order_by(ComplaintReminder.sent_at, ComplaintReminder.id)
    )
    return [
        ComplaintReminderView(r.kind, r.due_on, r.recipient, r.messages, r.sent_at) for r in found
    ]
