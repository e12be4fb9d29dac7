"""The worker keeps deadlines and reminders: recompute after a calendar change, tell the
assignee once, and send the day's reminders from the set hour, once (issue 16).

RULES: SAR-02/SAR-03 (a new bank holiday moves a due date off it). Dates are explicit; the
clock is the test's and is moved across days.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from consent_support import SHOP, load_shop
from reminder_support import MAIL, add_staff, at, body_of, count_messages, open_on, reminders
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from dataward.audit.models import AuditEvent
from dataward.calendar import Nation, working_days
from dataward.clock import FixedClock
from dataward.config import Settings
from dataward.crypto.keystore import Vault
from dataward.jobs.worker import Worker
from dataward.requests import jobs
from dataward.requests.clock import due_dates
from dataward.requests.errors import RemindersInvalid
from dataward.requests.jobs import RequestSweep, request_jobs
from dataward.requests.reminders import recompute_and_tell
from dataward.requests.service import get_request
from dataward.uow import UnitOfWork

RECEIVED = date(2026, 6, 1)  # SAR-01: due Wednesday 1 July 2026
DAYS = (1, 7)


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    clock.set(at(RECEIVED))
    load_shop(uow)
    uow.commit()
    return uow


@pytest.fixture
def announce(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Add a bank holiday, as a `holidays` upgrade or a royal occasion would."""
    real = working_days._holidays_for
    added: set[tuple[Nation, date]] = set()

    def with_added(nation: Nation, year: int) -> frozenset[date]:
        extra = {day for n, day in added if n == nation and day.year == year}
        return real(nation, year) | frozenset(extra)

    def add(day: date, nation: Nation = Nation.ENG) -> None:
        added.add((nation, day))
        due_dates.cache_clear()  # the process-wide cache a restart would empty

    monkeypatch.setattr(working_days, "_holidays_for", with_added)
    yield add
    due_dates.cache_clear()


def test_a_new_bank_holiday_moves_the_due_date_and_tells_the_assignee_once(
    shop: UnitOfWork, clock: FixedClock, announce: Any
) -> None:
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    clock.set(at(date(2026, 6, 10)))
    ref = open_on(shop, RECEIVED, assignee="user:u_case")
    untouched = open_on(shop, date(2026, 6, 3), assignee="user:u_case")  # due 3 July
    announce(date(2026, 7, 1))  # SAR-03: the due date moves to the next working day
    result, told = recompute_and_tell(shop, mail=MAIL, actor="worker")
    shop.commit()
    assert result.moved == [(ref, "2026-07-01", "2026-07-02")]
    assert told.total == 1
    assert get_request(shop, SHOP, ref).due_on == date(2026, 7, 2)
    assert get_request(shop, SHOP, untouched).due_on == date(2026, 7, 3)
    moved = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.due_moved")
    ).all()
    assert [(e.entity_id, e.details["to"]) for e in moved] == [(ref, "2026-07-02")]
    assert reminders(shop) == [(ref, "due_moved", "user:u_case", 1)]
    message = body_of(shop, "request_due_moved")
    assert message["Subject"].endswith(f"Request {ref} is now due on 2 July 2026")
    assert "it was due on 1 July 2026" in message.get_body(("plain",)).get_content()
    # Again: nothing moves, nobody is told twice.
    result, told = recompute_and_tell(shop, mail=MAIL, actor="worker")
    shop.commit()
    assert (result.moved, told.total) == ([], 0)
    assert count_messages(shop, "request_due_moved") == 1


def test_a_quiet_recompute_moves_and_audits_but_tells_nobody(
    shop: UnitOfWork, clock: FixedClock, announce: Any
) -> None:
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    ref = open_on(shop, RECEIVED, assignee="user:u_case")
    announce(date(2026, 7, 1))
    result, told = recompute_and_tell(shop, mail=MAIL, actor="cli", tell=False)
    shop.commit()
    assert result.moved == [(ref, "2026-07-01", "2026-07-02")]
    assert told.total == 0
    assert reminders(shop) == []
    assert count_messages(shop, "request_due_moved") == 0


def test_a_moved_date_earns_its_reminders_again(
    shop: UnitOfWork, clock: FixedClock, announce: Any
) -> None:
    from dataward.requests.reminders import send_reminders

    ref = open_on(shop, RECEIVED)  # no assignee, no DPO: recorded undeliverable
    clock.set(at(date(2026, 6, 24)))
    assert send_reminders(shop, today=clock.today(), days=DAYS, mail=MAIL).total == 1
    shop.commit()
    announce(date(2026, 7, 1))
    recompute_and_tell(shop, mail=MAIL, actor="worker")
    shop.commit()
    # Due 2 July now: 8 days away on the 24th, 7 on the 25th.
    assert send_reminders(shop, today=clock.today(), days=DAYS, mail=MAIL).total == 0
    clock.set(at(date(2026, 6, 25)))
    assert send_reminders(shop, today=clock.today(), days=DAYS, mail=MAIL).total == 1
    shop.commit()
    assert [(kind, r) for r, kind, *_ in reminders(shop)] == [
        ("due_in_7_days", ref),
        ("due_moved", ref),
        ("due_in_7_days", ref),
    ]


def _worker(
    session_factory: sessionmaker[Any], clock: FixedClock, vault: Vault | None, *sweeps: Any
) -> Worker:
    worker = Worker(session_factory, clock, {}, vault=vault, idle_seconds=0)
    worker.sweeps.extend(sweeps)
    return worker


def test_the_worker_sends_the_days_reminders_from_the_set_hour_once(
    shop: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    announce: Any,
) -> None:
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    ref = open_on(shop, RECEIVED, assignee="user:u_case")
    announce(date(2026, 7, 1))
    # 05:00 UTC is 06:00 in the UK (BST): before the 07:00 run, but the start-up recompute
    # runs and tells the assignee that the date moved.
    clock.set(datetime(2026, 6, 25, 5, 0, tzinfo=UTC))
    _worker(session_factory, clock, vault, RequestSweep(DAYS, 7, MAIL)).run(once=True)
    assert get_request(shop, SHOP, ref).due_on == date(2026, 7, 2)
    assert [kind for _, kind, *_ in reminders(shop)] == ["due_moved"]
    clock.set(datetime(2026, 6, 25, 6, 0, tzinfo=UTC))  # 07:00 UK time
    for _ in range(2):  # a restart, the same day
        _worker(session_factory, clock, vault, RequestSweep(DAYS, 7, MAIL)).run(once=True)
    assert [kind for _, kind, *_ in reminders(shop)] == ["due_moved", "due_in_7_days"]
    assert count_messages(shop, "request_reminder") == 1


def test_a_worker_killed_before_its_commit_sends_the_reminder_once_after_restart(
    shop: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16 fault: killed between a transition and its reminder (after the reminders
    were written, before they committed)."""
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    open_on(shop, RECEIVED, assignee="user:u_case")
    clock.set(at(date(2026, 6, 30)))

    def killed(*args: object, **kwargs: object) -> int:
        raise SystemError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(jobs, "send_digests", killed)
        _worker(session_factory, clock, vault, RequestSweep(DAYS, 7, MAIL)).run(once=True)
    assert reminders(shop) == []
    assert count_messages(shop, "request_reminder") == 0
    for _ in range(2):  # the restart, and another worker later that day
        _worker(session_factory, clock, vault, RequestSweep(DAYS, 7, MAIL)).run(once=True)
    assert [kind for _, kind, *_ in reminders(shop)] == ["due_tomorrow"]
    assert count_messages(shop, "request_reminder") == 1


def test_one_worker_tries_again_after_a_failed_run_the_same_day(
    shop: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    open_on(shop, RECEIVED, assignee="user:u_case")
    clock.set(at(date(2026, 6, 30)))
    sweep = RequestSweep(DAYS, 7, MAIL)
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "send_digests", lambda *a, **k: 1 / 0)
        _worker(session_factory, clock, vault, sweep).run(once=True)
    assert reminders(shop) == []
    clock.set(at(date(2026, 6, 30), hour=10))  # past the sweep's next look
    _worker(session_factory, clock, vault, sweep).run(once=True)
    assert count_messages(shop, "request_reminder") == 1


def test_a_worker_without_the_key_store_leaves_reminders_to_one_with_it(
    shop: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    add_staff(shop, "case@shop.example", "caseworker", "u_case")
    open_on(shop, RECEIVED, assignee="user:u_case")
    clock.set(at(date(2026, 6, 30)))
    sweep = RequestSweep(DAYS, 7, MAIL)
    _worker(session_factory, clock, None, sweep).run(once=True)
    assert reminders(shop) == []


def test_malformed_reminder_days_stop_the_worker_before_it_starts() -> None:
    with pytest.raises(RemindersInvalid, match="whole numbers"):
        request_jobs(Settings(request_reminder_days="7,tomorrow"), MAIL)
    with pytest.raises(RemindersInvalid, match="between 1 and 60"):
        request_jobs(Settings(request_reminder_days="0"), MAIL)
    jobs = request_jobs(Settings(request_reminder_days="14, 3"), MAIL)
    sweep = jobs.sweeps[0]
    assert isinstance(sweep, RequestSweep)
    assert sweep.days == (3, 14)
