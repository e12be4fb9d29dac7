"""Reminders of complaints' clocks (issue 17). Rules: CMP-01 (acknowledged within 30 days;
the outcome by the time the register promises, "shown and reminded").

Dates are explicit; the clock is the test's. The windows are the request reminders' (7 and
1 days); the recipients are the DPO users.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from complaint_clock_support import acknowledge_on, close_on, open_on, set_up_shop
from reminder_support import MAIL, add_staff, body_of, count_messages, recipients_of
from sqlalchemy import select

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.complaints.jobs import ComplaintSweep
from dataward.complaints.models import Complaint
from dataward.complaints.reminder_models import ComplaintReminder
from dataward.complaints.reminders import complaint_reminders, send_complaint_reminders
from dataward.requests.reminders import Told
from dataward.uow import UnitOfWork

TODAY = date(2026, 11, 25)
DAYS = (1, 7)


def _remind(uow: UnitOfWork, today: date = TODAY) -> Told:
    told = send_complaint_reminders(uow, today=today, days=DAYS, mail=MAIL, actor="worker")
    uow.commit()
    return told


def _sent(uow: UnitOfWork) -> list[tuple[str, str, str | None]]:
    rows = uow.session.execute(
        select(Complaint.ref, ComplaintReminder.kind, ComplaintReminder.recipient)
        .join(Complaint, Complaint.id == ComplaintReminder.complaint_id)
        .order_by(ComplaintReminder.sent_at, Complaint.ref, ComplaintReminder.kind)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.fixture
def silent(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    """The shop promises no outcome time; its DPO has an address."""
    set_up_shop(uow, clock, TODAY, None)
    add_staff(uow, "dpo@shop.example", "dpo", "u_dpo")
    return uow


def test_an_acknowledgement_due_within_7_days_is_reminded_once(silent: UnitOfWork) -> None:
    """CMP-01: due on 1 December (received 1 November), six days away on 25 November."""
    row = open_on(silent, date(2026, 11, 1))
    told = _remind(silent)
    assert told.by_kind == {"acknowledgement_due_in_7_days": 1}
    assert _sent(silent) == [(row.ref, "acknowledgement_due_in_7_days", "role:dpo")]
    assert recipients_of(silent, "complaint_reminder") == ["dpo@shop.example"]
    again = _remind(silent)
    assert again.total == 0
    assert count_messages(silent, "complaint_reminder") == 1


def test_the_next_window_and_then_overdue_each_remind_once(
    silent: UnitOfWork, clock: FixedClock
) -> None:
    """CMP-01: the day before the 30 days end, then the day after, each earn one reminder."""
    row = open_on(silent, date(2026, 11, 1))
    _remind(silent)
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert _remind(silent, date(2026, 11, 30)).by_kind == {"acknowledgement_due_tomorrow": 1}
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert _remind(silent, date(2026, 12, 2)).by_kind == {"acknowledgement_overdue": 1}
    assert _remind(silent, date(2026, 12, 2)).total == 0
    assert [kind for _, kind, _ in _sent(silent)] == [
        "acknowledgement_due_in_7_days",
        "acknowledgement_due_tomorrow",
        "acknowledgement_overdue",
    ]
    assert [r.kind for r in complaint_reminders(silent, row)][-1] == "acknowledgement_overdue"


def test_an_overdue_acknowledgement_is_reminded_and_an_early_one_is_not(
    silent: UnitOfWork,
) -> None:
    """CMP-01: received 20 October, due 19 November: overdue. Received yesterday: not yet."""
    late = open_on(silent, date(2026, 10, 20))
    open_on(silent, date(2026, 11, 24))
    assert _remind(silent).by_kind == {"acknowledgement_overdue": 1}
    assert [ref for ref, _, _ in _sent(silent)] == [late.ref]
    body = body_of(silent, "complaint_reminder")
    assert late.ref in str(body["Subject"])
    assert "is overdue by 6 days" in str(body["Subject"])


def test_an_acknowledged_or_closed_complaint_is_not_reminded_of_its_acknowledgement(
    silent: UnitOfWork,
) -> None:
    acknowledged = open_on(silent, date(2026, 10, 20))
    acknowledge_on(silent, acknowledged, date(2026, 10, 25))
    closed = open_on(silent, date(2026, 10, 21))
    close_on(silent, closed, date(2026, 10, 22), "withdrawn")
    assert _remind(silent).total == 0


def test_a_silent_register_earns_no_outcome_reminder(silent: UnitOfWork) -> None:
    """CMP-01: no promised time, so nothing is reminded about one (nor claimed)."""
    old = open_on(silent, date(2026, 1, 5))
    acknowledge_on(silent, old, date(2026, 1, 6))
    assert _remind(silent).total == 0


def test_the_registers_outcome_target_is_reminded_near_and_passed(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """CMP-01: the outcome the register promises (20 days), near and passed, once each."""
    set_up_shop(uow, clock, TODAY, 20)
    add_staff(uow, "dpo@shop.example", "dpo", "u_dpo")
    near = open_on(uow, date(2026, 11, 10))  # target 30 November: 5 days
    acknowledge_on(uow, near, date(2026, 11, 11))
    passed = open_on(uow, date(2026, 10, 1))  # target 21 October
    acknowledge_on(uow, passed, date(2026, 10, 2))
    done = open_on(uow, date(2026, 10, 1))
    acknowledge_on(uow, done, date(2026, 10, 2))
    close_on(uow, done, date(2026, 10, 30), "not_upheld")
    told = _remind(uow)
    assert told.by_kind == {"outcome_due_in_7_days": 1, "outcome_overdue": 1}
    assert {(ref, kind) for ref, kind, _ in _sent(uow)} == {
        (near.ref, "outcome_due_in_7_days"),
        (passed.ref, "outcome_overdue"),
    }
    assert _remind(uow).total == 0


def test_a_complaint_late_on_both_clocks_gets_both_reminders(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    set_up_shop(uow, clock, TODAY, 20)
    add_staff(uow, "dpo@shop.example", "dpo", "u_dpo")
    row = open_on(uow, date(2026, 10, 1))
    assert _remind(uow).by_kind == {"acknowledgement_overdue": 1, "outcome_overdue": 1}
    assert {kind for _, kind, _ in _sent(uow)} == {"acknowledgement_overdue", "outcome_overdue"}
    assert len(complaint_reminders(uow, row)) == 2


def test_each_reminder_is_audited_by_ref_and_codes(silent: UnitOfWork) -> None:
    """The chain gets the complaint's ref, the kind, the due day and who was told by
    reference: never an address."""
    row = open_on(silent, date(2026, 10, 20))
    _remind(silent)
    event = silent.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "complaint.reminder_sent")
    ).one()
    assert (event.entity_type, event.entity_id) == ("complaint", row.ref)
    assert event.details == {
        "organisation": "corner_shop",
        "kind": "acknowledgement_overdue",
        "due_on": "2026-11-19",
        "recipient": "role:dpo",
        "messages": 1,
    }
    assert "@" not in json.dumps(event.details)
    assert verify(silent.session).intact


def test_with_no_dpo_the_reminder_is_recorded_as_undeliverable(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    set_up_shop(uow, clock, TODAY, None)
    open_on(uow, date(2026, 10, 20))
    told = _remind(uow)
    assert (told.total, told.undeliverable) == (1, 1)
    assert count_messages(uow, "complaint_reminder") == 0
    actions = uow.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("complaint.reminder%"))
    ).all()
    assert actions == ["complaint.reminder_undeliverable"]
    # Recorded: a second run does not try again the same day.
    assert _remind(uow).total == 0


def test_the_worker_sweep_reminds_from_the_hour_once_a_day(
    silent: UnitOfWork, clock: FixedClock
) -> None:
    open_on(silent, date(2026, 10, 20))
    sweep = ComplaintSweep(DAYS, 8, MAIL)
    clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))  # 07:00 in London: too early
    assert sweep(silent) is None
    assert count_messages(silent, "complaint_reminder") == 0
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    told = sweep(silent)
    assert told is not None
    assert told.total == 1
    clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert sweep(silent) is None  # the day is done in this process
    again = ComplaintSweep(DAYS, 8, MAIL)  # another worker: the rows say it was sent
    told_again = again(silent)
    assert told_again is not None
    assert told_again.total == 0
    assert count_messages(silent, "complaint_reminder") == 1
