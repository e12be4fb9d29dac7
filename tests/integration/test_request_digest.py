"""The DPO's daily digest of requests: its counts, once a day per DPO user (issue 16).

RULES: SAR-01 (received yesterday is by the day a request arrived), SAR-05 (waiting:
no clock). Dates are explicit; the clock is the test's and is moved across days.
"""

from __future__ import annotations

from datetime import date

import pytest
from consent_support import SHOP, load_shop
from reminder_support import MAIL, add_staff, at, body_of, count_messages, open_on, recipients_of
from sqlalchemy import select

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.requests.digest import digest_of, send_digests
from dataward.requests.transitions import Step, ask_for_identity, withdraw
from dataward.uow import UnitOfWork

TODAY = date(2026, 7, 10)
YESTERDAY = date(2026, 7, 9)


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    clock.set(at(TODAY))
    load_shop(uow)
    uow.commit()
    return uow


@pytest.fixture
def requests(shop: UnitOfWork) -> dict[str, str]:
    """One request in each bucket the digest counts."""
    refs = {
        "overdue": open_on(shop, date(2026, 6, 1)),  # due 1 July
        "overdue_too": open_on(shop, date(2026, 6, 5)),  # due 6 July
        "due_soon": open_on(shop, date(2026, 6, 15)),  # due 15 July
        "on_time": open_on(shop, date(2026, 7, 1)),  # due 3 August (1 Aug is a Saturday)
        "waiting": open_on(shop, date(2026, 7, 2)),
        "opened": open_on(shop, YESTERDAY),
        "closed": open_on(shop, date(2026, 7, 3)),
        "closed_earlier": open_on(shop, date(2026, 7, 3)),
    }
    ask_for_identity(shop, SHOP, refs["waiting"], Step("user:u_case", date(2026, 7, 2)))
    withdraw(shop, SHOP, refs["closed"], Step("user:u_case", YESTERDAY))
    withdraw(shop, SHOP, refs["closed_earlier"], Step("user:u_case", date(2026, 7, 8)))
    shop.commit()
    return refs


def test_the_digest_counts_what_the_dpo_needs_to_know(
    shop: UnitOfWork, requests: dict[str, str]
) -> None:
    digest = digest_of(shop, SHOP, TODAY)
    # Overdue: 2; due within 7 days: the one due 15 July; waiting: identity awaited;
    # received yesterday: 1 (it is on time too); closed yesterday: 1 of the 2 withdrawn.
    assert (digest.overdue, digest.due_soon, digest.waiting) == (2, 1, 1)
    assert (digest.opened, digest.closed) == (1, 1)
    assert digest.overdue_refs == (requests["overdue"], requests["overdue_too"])
    assert not digest.quiet


def test_it_is_sent_once_a_day_to_each_dpo_user(
    shop: UnitOfWork, clock: FixedClock, requests: dict[str, str]
) -> None:
    add_staff(shop, "dpo@shop.example", "dpo", "u_dpo1")
    add_staff(shop, "deputy@shop.example", "dpo", "u_dpo2")
    add_staff(shop, "admin@shop.example", "admin", "u_admin")  # admins get none
    assert send_digests(shop, today=TODAY, mail=MAIL) == 2
    shop.commit()
    assert send_digests(shop, today=TODAY, mail=MAIL) == 0  # the second run that day
    shop.commit()
    assert recipients_of(shop, "request_digest") == ["deputy@shop.example", "dpo@shop.example"]
    clock.set(at(date(2026, 7, 11)))
    assert send_digests(shop, today=date(2026, 7, 11), mail=MAIL) == 2
    shop.commit()
    assert count_messages(shop, "request_digest") == 4
    audited = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.digest_sent")
    ).all()
    assert sorted(e.entity_id for e in audited) == ["u_dpo1", "u_dpo1", "u_dpo2", "u_dpo2"]
    assert audited[0].details["overdue"] == 2
    assert "@" not in str([e.details for e in audited])


def test_the_email_lists_the_counts_and_the_overdue_references(
    shop: UnitOfWork, requests: dict[str, str]
) -> None:
    add_staff(shop, "dpo@shop.example", "dpo", "u_dpo1")
    send_digests(shop, today=TODAY, mail=MAIL)
    shop.commit()
    message = body_of(shop, "request_digest")
    assert "2 overdue, 1 due within 7 days" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert requests["overdue"] in text
    assert requests["overdue_too"] in text
    assert requests["due_soon"] not in text
    assert "received yesterday:           1" in text
    assert "Jane" not in text


def test_a_crash_before_the_commit_leaves_the_digest_to_the_next_run(
    shop: UnitOfWork, requests: dict[str, str]
) -> None:
    add_staff(shop, "dpo@shop.example", "dpo", "u_dpo1")
    assert send_digests(shop, today=TODAY, mail=MAIL) == 1
    shop.rollback()
    assert count_messages(shop, "request_digest") == 0
    assert send_digests(shop, today=TODAY, mail=MAIL) == 1
    shop.commit()
    assert send_digests(shop, today=TODAY, mail=MAIL) == 0
    assert count_messages(shop, "request_digest") == 1


def test_no_digest_without_a_dpo_or_with_nothing_to_say(shop: UnitOfWork) -> None:
    add_staff(shop, "admin@shop.example", "admin", "u_admin")
    add_staff(shop, "dpo@shop.example", "dpo", "u_dpo1")
    # Nothing open, nothing received or closed yesterday: no email.
    assert digest_of(shop, SHOP, TODAY).quiet
    assert send_digests(shop, today=TODAY, mail=MAIL) == 0
    open_on(shop, date(2026, 7, 1))
    assert send_digests(shop, today=TODAY, mail=MAIL) == 1
    shop.commit()


def test_no_digest_when_no_user_is_a_dpo(shop: UnitOfWork, requests: dict[str, str]) -> None:
    add_staff(shop, "admin@shop.example", "admin", "u_admin")
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    assert send_digests(shop, today=TODAY, mail=MAIL) == 0
    assert count_messages(shop, "request_digest") == 0
