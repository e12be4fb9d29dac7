"""Messages to a request's requester: sealed under the request's key, kept with it (issue 16).

SAR-10: the requester may be someone acting for the subject, or a person not in the
subject store at all; their messages belong to the request, not to any subject.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, load_shop
from sqlalchemy import select, text

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.errors import ValidationFailed
from dataward.jobs.models import Job
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message, queue_staff_message
from dataward.requests.messages import message_requester, request_messages
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.wording import rights_in_words
from dataward.uow import UnitOfWork

MAIL = MailSettings(mail_from="privacy@shop.example")


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _context(rights: list[str]) -> dict[str, object]:
    return {
        "rights": rights_in_words(rights),
        "received_on": "1 June 2026",
        "due_on": "1 July 2026",
        "status_url": "",
        "next_step": "",
    }


def test_the_requester_is_written_to_under_the_requests_own_key(shop: UnitOfWork) -> None:
    row = open_request(
        shop,
        NewRequest(
            SHOP,
            ("access",),
            "email",
            date(2026, 6, 1),
            Requester(name="Jo Bloggs", email="Jo@Example.com"),
        ),
        actor="user:u_case",
    )
    message = message_requester(
        shop, row, "request_acknowledged", _context(row.rights), actor="user:u_case"
    )
    shop.commit()
    assert message is not None
    assert (message.key_id, message.request_id, message.subject_id) == (row.key_id, row.id, None)
    raw = shop.session.execute(
        text("SELECT sealed FROM outbox_messages WHERE id = :i"), {"i": message.id}
    ).scalar_one()
    assert b"jo@example.com" not in bytes(raw)
    assert b"Jo Bloggs" not in bytes(raw)
    mime = open_message(shop, message, MAIL)
    assert mime["To"] == "jo@example.com"
    assert row.ref in mime["Subject"]
    assert "a copy of your data (access)" in mime.get_body(("plain",)).get_content()
    assert shop.session.scalars(select(Job).where(Job.kind == "outbox.send")).one()
    assert [m.id for m in request_messages(shop, row)] == [message.id]
    queued = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outbox.queued")
    ).one()
    assert queued.details["request"] == row.ref
    assert "jo@example" not in str(queued.details).lower()


def test_a_requester_without_an_email_is_answered_by_post(shop: UnitOfWork) -> None:
    row = open_request(
        shop,
        NewRequest(SHOP, ("erasure",), "post", date(2026, 5, 28), Requester(name="A Person")),
        actor="user:u_case",
    )
    assert message_requester(shop, row, "request_acknowledged", _context([]), actor="x") is None
    assert shop.session.scalars(select(OutboxMessage)).all() == []


def test_a_requester_message_type_never_goes_to_staff(shop: UnitOfWork) -> None:
    with pytest.raises(ValidationFailed):
        queue_staff_message(shop, SHOP, "dpo@shop.example", "request_acknowledged", _context([]))
