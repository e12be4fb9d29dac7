"""Shared set-up of the reminder tests: the corner shop, staff users, requests, counts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from consent_support import SHOP
from sqlalchemy import func, select

from dataward.accounts.models import User
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.models import RightsRequest
from dataward.requests.reminder_models import RequestReminder
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, assign
from dataward.uow import UnitOfWork

MAIL = MailSettings(mail_from="privacy@shop.example", public_url="https://dw.shop.example")
JANE = Requester(name="Jane Doe", email="jane@example.com")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def add_staff(uow: UnitOfWork, username: str, role: str, ref: str) -> str:
    """A staff user, written directly (no password hashing: these tests never sign in)."""
    now = uow.clock.now()
    uow.session.add(
        User(
            id=str(uuid.uuid4()),
            ref=ref,
            username=username,
            role=role,
            password_hash="x",
            created_at=now,
            password_changed_at=now,
        )
    )
    uow.commit()
    return f"user:{ref}"


def open_on(uow: UnitOfWork, received: date, assignee: str | None = None) -> str:
    row = open_request(
        uow, NewRequest(SHOP, ("access",), "post", received, JANE), actor="user:u_case"
    )
    uow.commit()
    if assignee is not None:
        assign(uow, SHOP, row.ref, assignee, Step("user:u_dpo", uow.clock.today()))
        uow.commit()
    return row.ref


def reminders(uow: UnitOfWork) -> list[tuple[str, str, str | None, int]]:
    """(request ref, kind, recipient, messages) of every reminder, in the order sent."""
    rows = uow.session.execute(
        select(
            RightsRequest.ref,
            RequestReminder.kind,
            RequestReminder.recipient,
            RequestReminder.messages,
        )
        .join(RightsRequest, RightsRequest.id == RequestReminder.request_id)
        .order_by(RequestReminder.sent_at, RequestReminder.kind)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def count_messages(uow: UnitOfWork, kind: str) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
    return int(uow.session.scalar(query) or 0)


def recipients_of(uow: UnitOfWork, kind: str) -> list[str]:
    """The addresses messages of ``kind`` went to, unsealed (sorted)."""
    rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    return sorted(str(open_message(uow, row, MAIL)["To"]) for row in rows)


def body_of(uow: UnitOfWork, kind: str) -> Any:
    row = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).one()
    return open_message(uow, row, MAIL)
