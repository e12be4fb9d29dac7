"""Reminders about request deadlines, through the outbox, each sent once (issue 16).

RULES: SAR-01..03 (the due date a reminder is about), SAR-05/SAR-06 (no clock running:
no reminder). Dates are explicit; the clock is the test's and is moved across days.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from consent_support import SHOP, load_shop
from reminder_support import (
    MAIL,
    add_staff,
    at,
    body_of,
    count_messages,
    open_on,
    recipients_of,
    reminders,
)
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.jobs.models import Job
from dataward.requests.jobs import run_reminders
from dataward.requests.reminder_models import RequestReminder
from dataward.requests.reminders import reminder_panel, send_reminders
from dataward.requests.service import get_request
from dataward.requests.transitions import (
    Step,
    ask_for_clarification,
    ask_for_identity,
    withdraw,
)
from dataward.uow import UnitOfWork

DAYS = (1, 7)
RECEIVED = date(2026, 6, 1)  # SAR-01: due Wednesday 1 July 2026
DUE = date(2026, 7, 1)


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    clock.set(at(RECEIVED))
    load_shop(uow)
    uow.commit()
    return uow


def _sweep(uow: UnitOfWork, clock: FixedClock, day: date) -> int:
    clock.set(at(day))
    told = send_reminders(uow, today=day, days=DAYS, mail=MAIL)
    uow.commit()
    return told.total


def _audited(uow: UnitOfWork, action: str) -> list[AuditEvent]:
    return list(
        uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
    )


def test_it_reminds_the_assignee_at_7_days_1_day_and_overdue_once_each(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    case = add_staff(shop, "case@shop.example", "caseworker", "u_case")
    ref = open_on(shop, RECEIVED, assignee=case)
    assert get_request(shop, SHOP, ref).due_on == DUE
    sent = {
        day: _sweep(shop, clock, day)
        for day in (
            date(2026, 6, 23),  # 8 days left: nothing yet
            date(2026, 6, 24),  # 7 days left
            date(2026, 6, 25),
            date(2026, 6, 30),  # due tomorrow
            date(2026, 7, 1),  # due today: the 1-day reminder was had
            date(2026, 7, 2),  # overdue
            date(2026, 7, 3),
            date(2026, 7, 20),
        )
    }
    assert [day for day, n in sent.items() if n] == [
        date(2026, 6, 24),
        date(2026, 6, 30),
        date(2026, 7, 2),
    ]
    assert reminders(shop) == [
        (ref, "due_in_7_days", case, 1),
        (ref, "due_tomorrow", case, 1),
        (ref, "overdue", case, 1),
    ]
    assert count_messages(shop, "request_reminder") == 3
    assert recipients_of(shop, "request_reminder") == ["case@shop.example"] * 3
    # Audited by refs and codes only: neither the address nor the requester's name.
    audited = _audited(shop, "request.reminder_sent")
    assert [(e.entity_id, e.details["kind"]) for e in audited] == [
        (ref, "due_in_7_days"),
        (ref, "due_tomorrow"),
        (ref, "overdue"),
    ]
    assert audited[0].details["recipient"] == case
    assert "@" not in str([e.details for e in audited])
    assert "Jane" not in str([e.details for e in audited])
    assert verify(shop.session).intact


def test_the_message_says_when_it_is_due_and_links_the_request(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    ref = open_on(shop, RECEIVED, assignee="user:u_case")
    _sweep(shop, clock, date(2026, 6, 30))
    message = body_of(shop, "request_reminder")
    assert message["Subject"].endswith(f"Request {ref} is due tomorrow")
    text = message.get_body(("plain",)).get_content()
    assert "due on 1 July 2026" in text
    assert f"https://dw.shop.example/console/requests/{SHOP}/{ref}" in text
    assert "Jane" not in text  # staff are sent to the console, not the requester's details


def test_a_worker_that_was_down_catches_up_with_the_reminder_earned_last(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    ref = open_on(shop, RECEIVED, assignee="user:u_case")
    assert _sweep(shop, clock, date(2026, 6, 28)) == 1  # 3 days left: the 7-day window
    assert _sweep(shop, clock, date(2026, 7, 5)) == 1  # overdue: the 1-day one is moot
    assert [kind for _, kind, _, _ in reminders(shop)] == ["due_in_7_days", "overdue"]
    late = open_on(shop, date(2026, 6, 2), assignee="user:u_case")  # due 2 July
    assert _sweep(shop, clock, date(2026, 7, 6)) == 1
    assert reminders(shop)[-1][:2] == (late, "overdue")
    assert ref != late


def test_without_an_assignee_the_dpo_users_are_reminded(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    add_staff(shop, "dpo@shop.example", "dpo", "u_dpo1")
    add_staff(shop, "deputy.dpo@shop.example", "dpo", "u_dpo2")
    add_staff(shop, "admin@shop.example", "admin", "u_admin")
    add_staff(shop, "not-an-address", "dpo", "u_dpo3")  # no address: cannot be emailed
    ref = open_on(shop, RECEIVED)
    assert _sweep(shop, clock, date(2026, 6, 24)) == 1
    assert reminders(shop) == [(ref, "due_in_7_days", "role:dpo", 2)]
    assert recipients_of(shop, "request_reminder") == [
        "deputy.dpo@shop.example",
        "dpo@shop.example",
    ]


def test_an_assignee_without_an_address_falls_back_to_the_dpo(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    add_staff(shop, "dpo@shop.example", "dpo", "u_dpo1")
    add_staff(shop, "casey", "caseworker", "u_case")  # a username, not an address
    ref = open_on(shop, RECEIVED, assignee="user:u_case")
    _sweep(shop, clock, date(2026, 6, 24))
    assert reminders(shop) == [(ref, "due_in_7_days", "role:dpo", 1)]


def test_with_nobody_to_tell_the_reminder_is_recorded_undeliverable(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    add_staff(shop, "admin@shop.example", "admin", "u_admin")
    ref = open_on(shop, RECEIVED, assignee="someone in accounts")
    told = send_reminders(shop, today=date(2026, 6, 24), days=DAYS, mail=MAIL)
    shop.commit()
    assert (told.total, told.undeliverable) == (1, 1)
    assert reminders(shop) == [(ref, "due_in_7_days", None, 0)]
    assert count_messages(shop, "request_reminder") == 0
    audited = _audited(shop, "request.reminder_undeliverable")
    assert [(e.entity_id, e.details["recipient"]) for e in audited] == [(ref, None)]
    # Shown on the request's page, and not tried again every day.
    panel = reminder_panel(shop, get_request(shop, SHOP, ref))
    assert [(r.kind, r.recipient) for r in panel["reminders"]] == [("due_in_7_days", None)]
    assert _sweep(shop, clock, date(2026, 6, 25)) == 0


def test_waiting_and_closed_requests_get_no_reminders(shop: UnitOfWork, clock: FixedClock) -> None:
    """SAR-05/SAR-06: no clock runs while identity is awaited or clarification is asked."""
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    waiting = open_on(shop, RECEIVED, assignee="user:u_case")
    paused = open_on(shop, RECEIVED, assignee="user:u_case")
    closed = open_on(shop, RECEIVED, assignee="user:u_case")
    clock.set(at(date(2026, 6, 2)))
    ask_for_identity(shop, SHOP, waiting, Step("user:u_case", date(2026, 6, 2)))
    ask_for_clarification(shop, SHOP, paused, Step("user:u_case", date(2026, 6, 2), "Which?"))
    withdraw(shop, SHOP, closed, Step("user:u_case", date(2026, 6, 2)))
    shop.commit()
    for day in (date(2026, 6, 24), date(2026, 6, 30), date(2026, 7, 10)):
        assert _sweep(shop, clock, day) == 0
    assert reminders(shop) == []
    assert count_messages(shop, "request_reminder") == 0


def test_a_crash_before_the_commit_sends_nothing_and_the_restart_sends_once(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    """Issue 16 fault: a worker killed between its work and its commit, then restarted."""
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    ref = open_on(shop, RECEIVED, assignee="user:u_case")
    clock.set(at(date(2026, 6, 24)))
    jobs_before = shop.session.scalar(select(func.count()).select_from(Job))
    assert send_reminders(shop, today=date(2026, 6, 24), days=DAYS, mail=MAIL).total == 1
    shop.rollback()  # killed: the transaction never commits
    assert reminders(shop) == []
    assert count_messages(shop, "request_reminder") == 0
    assert shop.session.scalar(select(func.count()).select_from(Job)) == jobs_before
    assert _sweep(shop, clock, date(2026, 6, 24)) == 1  # the restarted worker
    assert _sweep(shop, clock, date(2026, 6, 24)) == 0
    assert _sweep(shop, clock, date(2026, 6, 25)) == 0
    assert reminders(shop) == [(ref, "due_in_7_days", "user:u_case", 1)]
    assert count_messages(shop, "request_reminder") == 1
    # One send job for the one message: the outbox delivers it once.
    assert shop.session.scalar(select(func.count()).select_from(Job)) == jobs_before + 1


def test_two_sweeps_at_once_send_each_reminder_and_digest_once(
    shop: UnitOfWork, clock: FixedClock, session_factory: object, vault: object
) -> None:
    """Two workers (or a worker and cron) at the same moment: they take turns on the
    chain's lock and the second finds the first's rows."""
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    add_staff(shop, "dpo@shop.example", "dpo", "u_dpo")
    refs = [open_on(shop, RECEIVED, assignee="user:u_case") for _ in range(3)]
    clock.set(at(date(2026, 6, 24)))
    start = threading.Barrier(2)
    totals: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            with UnitOfWork(session_factory, clock, vault) as uow:  # type: ignore[arg-type]
                start.wait(timeout=10)
                run = run_reminders(uow, today=clock.today(), days=DAYS, mail=MAIL, actor="w")
                uow.commit()
                totals.append((run.reminders.total, run.digests))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(totals) == [(0, 0), (3, 1)]
    assert sorted(ref for ref, *_ in reminders(shop)) == sorted(refs)
    assert count_messages(shop, "request_reminder") == 3
    assert count_messages(shop, "request_digest") == 1


def test_the_unique_key_refuses_a_second_row_for_the_same_reminder(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    """The last word when something writes without the sweep's lock."""
    from sqlalchemy.exc import IntegrityError

    ref = open_on(shop, RECEIVED)
    row = get_request(shop, SHOP, ref)
    for n in range(2):
        shop.session.add(
            RequestReminder(
                id=f"r{n}",
                request_id=row.id,
                organisation=SHOP,
                kind="overdue",
                due_on=DUE,
                recipient=None,
                messages=0,
                sent_at=clock.now(),
            )
        )
    with pytest.raises(IntegrityError):
        shop.session.flush()
    shop.rollback()
