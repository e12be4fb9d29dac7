"""Reminders to whoever holds a request as its deadline nears, passes or moves. Never commits.

A request whose clock runs (open, dated, not paused) is reminded once per kind and due
date: ``due_in_<n>_days`` when it is due within ``n`` calendar days (7 by default),
``due_tomorrow`` within one day (today included), ``overdue`` once it is late, and
``due_moved`` when a recompute after a calendar change gave it a new date. Each kind is
the smallest window the request is in, so a worker that was down for a day catches up
rather than skipping a reminder. A moved due date earns its reminders again.

The reminder goes to the assignee (a ``user:u_...`` whose username is an email address);
without one, to every active DPO user; with no DPO either, it is recorded as undeliverable
and shown on the request's page. The reminder row and its outbox messages are added in the
caller's unit of work, so they commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from dataward.accounts.models import User
from dataward.accounts.permissions import Role
from dataward.audit.service import lock_chain, record
from dataward.errors import DatawardError
from dataward.outbox.config import MailSettings
from dataward.outbox.service import queue_staff_message
from dataward.register.wording import uk_date
from dataward.requests.audit_actions import REQUEST_REMINDER_SENT, REQUEST_REMINDER_UNDELIVERABLE
from dataward.requests.errors import RemindersInvalid
from dataward.requests.models import RightsRequest
from dataward.requests.recompute import Recomputed, recompute_due_dates
from dataward.requests.reminder_models import RequestReminder
from dataward.requests.transitions import OPEN
from dataward.subjects.identities import normalise_email
from dataward.uow import UnitOfWork

OVERDUE, TOMORROW, DUE_MOVED = "overdue", "due_tomorrow", "due_moved"
MAX_DAYS = 60
REMINDER_MESSAGE, DUE_MOVED_MESSAGE = "request_reminder", "request_due_moved"


def reminder_days(value: str) -> tuple[int, ...]:
    """``"7,1"`` -> ``(1, 7)``: the windows, smallest first. Raises ``RemindersInvalid``."""
    days: set[int] = set()
    for part in value.split(","):
        if not part.strip():
            continue
        try:
            day = int(part)
        except ValueError:
            raise RemindersInvalid(
                f"reminder days must be whole numbers, like 7,1 (not {part.strip()[:20]!r})"
            ) from None
        if not 1 <= day <= MAX_DAYS:
            raise RemindersInvalid(f"reminder days must be between 1 and {MAX_DAYS}")
        days.add(day)
    return tuple(sorted(days))


def kind_for(days: int) -> str:
    return TOMORROW if days == 1 else f"due_in_{days}_days"


def reminder_due(due_on: date, today: date, days: Sequence[int]) -> str | None:
    """The reminder a request due on ``due_on`` has earned on ``today``, if any."""
    left = (due_on - today).days
    if left < 0:
        return OVERDUE
    for window in sorted(days):
        if left <= window:
            return kind_for(window)
    return None


def when_words(due_on: date, today: date) -> str:
    left = (due_on - today).days
    if left < 0:
        return f"is overdue by {left * -1} day{'s' if left < -1 else ''}"
    if left == 0:
        return "is due today"
    if left == 1:
        return "is due tomorrow"
    return f"is due in {left} days"


@dataclass(frozen=True)
class Recipients:
    """Who a reminder goes to: ``ref`` names them for the record (never an address)."""

    ref: str | None
    emails: tuple[str, ...] = ()


def email_of(user: User) -> str | None:
    """The user's address: their username, when it is one and the user is active."""
    if user.disabled_at is not None:
        return None
    try:
        return normalise_email(user.username)
    except DatawardError:
        return None


def dpo_emails(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(user ref, email) of every active DPO user with an address, by ref."""
    users = uow.session.scalars(
        select(User).where(User.role == Role.DPO.value).order_by(User.ref)
    ).all()
    found = [(user.ref, email_of(user)) for user in users]
    return [(ref, email) for ref, email in found if email is not None]


def recipients_for(uow: UnitOfWork, assignee: str | None) -> Recipients:
    if assignee and assignee.startswith("user:"):
        user = uow.session.scalars(select(User).where(User.ref == assignee[5:])).one_or_none()
        email = email_of(user) if user is not None else None
        if email is not None:
            return Recipients(assignee, (email,))
    dpos = dpo_emails(uow)
    if dpos:
        return Recipients(f"role:{Role.DPO.value}", tuple(email for _, email in dpos))
    return Recipients(None)


@dataclass
class Told:
    """What one run did: reminders by kind, and how many found nobody to tell."""

    by_kind: dict[str, int] = field(default_factory=dict)
    undeliverable: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def count(self, kind: str, to: Recipients) -> None:
        """One reminder of ``kind`` written, to ``to`` (undeliverable when nobody)."""
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if not to.emails:
            self.undeliverable += 1


class ReminderRow(Protocol):
    """A reminder's row (``RequestReminder``, ``ComplaintReminder``), as ``write_reminder``
    reads it."""

    @property
    def organisation(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def due_on(self) -> date: ...


def write_reminder(
    uow: UnitOfWork,
    reminder: ReminderRow,
    to: Recipients,
    message: str,
    context: dict[str, Any],
    *,
    about: tuple[str, str],
    actions: tuple[str, str],
    mail: MailSettings,
    actor: str,
) -> None:
    """Add the reminder's row, queue its message to each of ``to``, and audit it: ``about``
    is the (entity type, ref) it is about, ``actions`` the (sent, undeliverable) codes.

    The row is flushed before any message: a row another run wrote fails there, sending
    nothing."""
    uow.session.add(reminder)
    uow.session.flush()
    for email in to.emails:
        queue_staff_message(
            uow, reminder.organisation, email, message, context, actor=actor, mail=mail
        )
    sent, undeliverable = actions
    record(
        uow,
        actor=actor,
        action=sent if to.emails else undeliverable,
        entity_type=about[0],
        entity_id=about[1],
        details={
            "organisation": reminder.organisation,
            "kind": reminder.kind,
            "due_on": reminder.due_on.isoformat(),
            "recipient": to.ref,
            "messages": len(to.emails),
        },
    )


def already_reminded(
    uow: UnitOfWork,
    key: tuple[InstrumentedAttribute[str], InstrumentedAttribute[str], InstrumentedAttribute[date]],
    ids: Sequence[str],
) -> set[tuple[str, str, date]]:
    """(id, kind, due day) of every reminder already written about ``ids``; ``key`` is the
    reminder table's (id, kind, due day) columns. Asked 500 ids at a time."""
    found: set[tuple[str, str, date]] = set()
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        rows = uow.session.execute(select(*key).where(key[0].in_(unique[start : start + 500])))
        found.update((r[0], r[1], r[2]) for r in rows)
    return found


@dataclass(frozen=True)
class _Target:
    id: str
    ref: str
    organisation: str
    assignee: str | None


class _Teller:
    """Writes reminder rows and their messages, looking each assignee up once per run."""

    def __init__(self, uow: UnitOfWork, mail: MailSettings, actor: str) -> None:
        self.uow, self.mail, self.actor = uow, mail, actor
        self.told = Told()
        self._recipients: dict[str | None, Recipients] = {}

    def url(self, target: _Target) -> str:
        base = self.mail.public_url.rstrip("/")
        return f"{base}/console/requests/{target.organisation}/{target.ref}"

    def tell(
        self, target: _Target, kind: str, due_on: date, message: str, context: dict[str, Any]
    ) -> None:
        uow = self.uow
        if target.assignee not in self._recipients:
            self._recipients[target.assignee] = recipients_for(uow, target.assignee)
        to = self._recipients[target.assignee]
        reminder = RequestReminder(
            id=str(uuid.uuid4()),
            request_id=target.id,
            organisation=target.organisation,
            kind=kind,
            due_on=due_on,
            recipient=to.ref,
            messages=len(to.emails),
            sent_at=uow.clock.now(),
        )
        full = {"reference": target.ref, "request_url": self.url(target), **context}
        write_reminder(
            uow,
            reminder,
            to,
            message,
            full,
            about=("request", target.ref),
            actions=(REQUEST_REMINDER_SENT, REQUEST_REMINDER_UNDELIVERABLE),
            mail=self.mail,
            actor=self.actor,
        )
        self.told.count(kind, to)


def _already(uow: UnitOfWork, request_ids: Sequence[str]) -> set[tuple[str, str, date]]:
    key = (RequestReminder.request_id, RequestReminder.kind, RequestReminder.due_on)
    return already_reminded(uow, key, request_ids)


def send_reminders(
    uow: UnitOfWork,
    *,
    today: date,
    days: Sequence[int],
    mail: MailSettings,
    actor: str = "worker",
) -> Told:
    """Remind every running request that earned a reminder by ``today`` and has not had it.

    Runs hold the audit chain's lock from the start (every reminder appends to the chain
    anyway), so two workers sweeping at once take turns and the second finds the first's
    rows; the unique key on (request, kind, due date) stays the last word.
    """
    lock_chain(uow.session)
    table = RightsRequest
    horizon = today + timedelta(days=max(days, default=0))
    rows = uow.session.execute(
        select(table.id, table.ref, table.organisation, table.assignee, table.state, table.due_on)
        .where(
            table.state.in_(OPEN),
            table.due_on.is_not(None),
            table.paused_since.is_(None),
            table.due_on <= horizon,
        )
        .order_by(table.due_on, table.ref)
    ).all()
    done = _already(uow, [row.id for row in rows])
    teller = _Teller(uow, mail, actor)
    for row in rows:
        kind = reminder_due(row.due_on, today, days)
        if kind is None or (row.id, kind, row.due_on) in done:
            continue
        target = _Target(row.id, row.ref, row.organisation, row.assignee)
        context = {
            "when": when_words(row.due_on, today),
            "due_on": uk_date(row.due_on),
            "state": row.state.replace("_", " "),
        }
        teller.tell(target, kind, row.due_on, REMINDER_MESSAGE, context)
    return teller.told


def tell_moved(
    uow: UnitOfWork, moved: Sequence[tuple[str, str, str]], *, mail: MailSettings, actor: str
) -> Told:
    """Tell the assignee of each request whose due date moved (``Recomputed.moved``), once
    per new date."""
    teller = _Teller(uow, mail, actor)
    table = RightsRequest
    for ref, old, new in moved:
        if not new:
            continue  # no clock any more: nothing is due, so nothing to tell
        row = uow.session.execute(
            select(table.id, table.ref, table.organisation, table.assignee).where(table.ref == ref)
        ).one()
        new_due = date.fromisoformat(new)
        if (row.id, DUE_MOVED, new_due) in _already(uow, [row.id]):
            continue
        context = {
            "from_date": uk_date(date.fromisoformat(old)) if old else "no date",
            "to_date": uk_date(new_due),
        }
        target = _Target(row.id, row.ref, row.organisation, row.assignee)
        teller.tell(target, DUE_MOVED, new_due, DUE_MOVED_MESSAGE, context)
    return teller.told


def recompute_and_tell(
    uow: UnitOfWork, *, mail: MailSettings, actor: str, tell: bool = True
) -> tuple[Recomputed, Told]:
    """``recompute_due_dates``, then tell each moved request's assignee.

    The chain's lock is taken first, so two workers recomputing at once do not both see
    (and audit) the same stale date: the second reads after the first commits.
    """
    lock_chain(uow.session)
    result = recompute_due_dates(uow, actor=actor)
    told = tell_moved(uow, result.moved, mail=mail, actor=actor) if tell else Told()
    return result, told


@dataclass(frozen=True)
class ReminderView:
    kind: str
    due_on: date
    recipient: str | None
    messages: int
    sent_at: datetime


def request_reminders(uow: UnitOfWork, row: RightsRequest) -> list[ReminderView]:
    """Every reminder about this request, oldest first (for its console page)."""
    found = uow.session.scalars(
        select(RequestReminder)
        .where(RequestReminder.request_id == row.id)
        .order_by(RequestReminder.sent_at, RequestReminder.id)
    )
    return [ReminderView(r.kind, r.due_on, r.recipient, r.messages, r.sent_at) for r in found]


def reminder_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, Any]:
    """What ``console/_request_reminders.html`` shows."""
    return {"reminders": request_reminders(uow, row)}
