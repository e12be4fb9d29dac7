"""Rights requests: intake and every step the rules allow or refuse (issue 16).

Rules: SAR-01..06, SAR-08, SAR-10 (RULES.md). Dates are explicit; the clock is the test's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, SHOP_FILE, customer, load_shop
from sqlalchemy import select, text

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.requests.errors import RequestInvalid, TransitionRefused
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request, requester_of
from dataward.requests.tasks import finish_task, tasks_of
from dataward.requests.transitions import (
    Step,
    ask_for_clarification,
    ask_for_identity,
    clarification_received,
    close,
    extend,
    refuse,
    respond,
    verify_identity,
)
from dataward.uow import UnitOfWork

JANE = Requester(name="Jane Doe", email="jane@example.com", words="Please send me my data.")


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _open(uow: UnitOfWork, received: date, rights: tuple[str, ...] = ("access",)) -> str:
    row = open_request(
        uow,
        NewRequest(SHOP, rights, "post", received, JANE),
        actor="user:u_case",
    )
    uow.commit()
    return row.ref


def _row(uow: UnitOfWork, ref: str) -> RightsRequest:
    found = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
    uow.session.refresh(found)
    return found


def test_a_postal_request_opens_on_the_day_it_arrived(shop: UnitOfWork) -> None:
    """SAR-01/SAR-10: entered today, received earlier; due a month from receipt."""
    ref = _open(shop, date(2026, 3, 31))
    row = _row(shop, ref)
    assert (row.state, row.received_on, row.due_on) == (
        "received",
        date(2026, 3, 31),
        date(2026, 4, 30),
    )
    assert row.nation == "ENG"
    # The requester's details are sealed, never stored readable.
    raw = shop.session.execute(
        text("SELECT requester_sealed FROM rights_requests WHERE ref = :r"), {"r": ref}
    ).scalar_one()
    assert b"Jane" not in bytes(raw)
    assert requester_of(shop, row).name == "Jane Doe"
    event = shop.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == ref)).one()
    assert event.action == "request.received"
    assert "Jane" not in str(event.details)


def test_bad_intake_is_refused_and_changes_nothing(shop: UnitOfWork) -> None:
    bad = [
        NewRequest(SHOP, (), "post", date(2026, 5, 1), JANE),
        NewRequest(SHOP, ("teleport",), "post", date(2026, 5, 1), JANE),
        NewRequest(SHOP, ("access",), "pigeon", date(2026, 5, 1), JANE),
        NewRequest(SHOP, ("access",), "post", date(2026, 6, 2), JANE),  # after today
        NewRequest(SHOP, ("access",), "post", date(2026, 5, 1), JANE, "solicitor"),
    ]
    for new in bad:
        with pytest.raises(RequestInvalid):
            open_request(shop, new, actor="user:u_case")
        shop.rollback()
    assert shop.session.scalars(select(RightsRequest)).all() == []


def test_a_right_not_offered_is_kept_and_marked(uow: UnitOfWork, clock: FixedClock) -> None:
    """A request for a right the register says does not apply is explained, not dropped."""
    source = SHOP_FILE.read_text(encoding="utf-8")
    assert "rights:" in source
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    ref = _open(uow, date(2026, 5, 20), ("access", "portability"))
    row = _row(uow, ref)
    assert row.rights == ["access", "portability"]
    # The shop's register states nothing about portability: silence is not "not offered".
    assert row.not_offered == []


def test_asking_for_identity_moves_the_clock_start(shop: UnitOfWork) -> None:
    """SAR-05: the clock runs from the day the evidence arrived."""
    ref = _open(shop, date(2026, 1, 30))
    ask_for_identity(shop, SHOP, ref, Step("user:u_case", date(2026, 2, 2)))
    shop.commit()
    assert _row(shop, ref).due_on is None
    verify_identity(shop, SHOP, ref, "document", Step("user:u_case", date(2026, 3, 31)))
    shop.commit()
    row = _row(shop, ref)
    assert (row.state, row.clock_starts_on, row.due_on) == (
        "in_progress",
        date(2026, 3, 31),
        date(2026, 4, 30),
    )


def test_clarification_stops_and_restarts_the_clock(shop: UnitOfWork) -> None:
    """SAR-06 vector: received 2026-03-02, asked 03-10, answered 03-19 -> due 2026-04-13."""
    ref = _open(shop, date(2026, 3, 2))
    step = Step("user:u_case", date(2026, 3, 10), "Which years of account statements?")
    ask_for_clarification(shop, SHOP, ref, step)
    shop.commit()
    assert _row(shop, ref).state == "awaiting_clarification"
    clarification_received(shop, SHOP, ref, Step("user:u_case", date(2026, 3, 19)))
    shop.commit()
    row = _row(shop, ref)
    assert (row.state, row.paused_days, row.due_on) == ("in_progress", 9, date(2026, 4, 13))
    assert row.extension_notice_by == date(2026, 4, 13)


def test_clarification_is_for_access_requests_only(shop: UnitOfWork) -> None:
    ref = _open(shop, date(2026, 5, 1), ("erasure",))
    with pytest.raises(TransitionRefused):
        ask_for_clarification(shop, SHOP, ref, Step("user:u_case", date(2026, 5, 2), "why"))


def test_an_extension_once_within_the_first_month_with_reasons(shop: UnitOfWork) -> None:
    """SAR-04: three months from the start; never twice; never after the first month."""
    ref = _open(shop, date(2026, 1, 30))
    with pytest.raises(RequestInvalid):
        extend(shop, SHOP, ref, Step("user:u_case", date(2026, 2, 10)))  # no reasons
    shop.rollback()
    extend(shop, SHOP, ref, Step("user:u_case", date(2026, 2, 10), "Numerous requests"))
    shop.commit()
    row = _row(shop, ref)
    assert (row.state, row.due_on) == ("extended", date(2026, 4, 30))
    with pytest.raises(TransitionRefused, match="only once"):
        extend(shop, SHOP, ref, Step("user:u_case", date(2026, 2, 11), "Again"))
    shop.rollback()
    late = _open(shop, date(2026, 1, 30))
    with pytest.raises(TransitionRefused, match="announced by 2026-03-02"):
        extend(shop, SHOP, late, Step("user:u_case", date(2026, 3, 3), "Complex"))


def test_nothing_is_disclosed_before_verification(shop: UnitOfWork) -> None:
    ref = _open(shop, date(2026, 5, 1))
    with pytest.raises(TransitionRefused, match="verify the requester"):
        respond(shop, SHOP, ref, Step("user:u_case", date(2026, 5, 20)))
    shop.rollback()
    verify_identity(shop, SHOP, ref, "knowledge_check", Step("user:u_case", date(2026, 5, 2)))
    # SAR-07: the shop's register declares no dataset, so only the package is left to make.
    (package,) = [t for t in tasks_of(shop, _row(shop, ref)) if t.kind == "package"]
    finish_task(shop, SHOP, ref, package.id, "", actor="user:u_case")
    respond(shop, SHOP, ref, Step("user:u_case", date(2026, 5, 20)))
    close(shop, SHOP, ref, Step("user:u_case", date(2026, 5, 21)))
    shop.commit()
    row = _row(shop, ref)
    assert (row.state, row.outcome) == ("closed", "responded")
    events = shop.session.scalars(
        select(RequestEvent.action)
        .where(RequestEvent.request_id == row.id)
        .order_by(RequestEvent.seq)
    ).all()
    assert events == [
        "request.received",
        "request.identity_verified",
        "request.task_done",
        "request.responded",
        "request.closed",
    ]
    assert verify(shop.session).intact


def test_a_refusal_needs_its_reason(shop: UnitOfWork) -> None:
    """SAR-08: the subject is told why."""
    ref = _open(shop, date(2026, 5, 1))
    with pytest.raises(RequestInvalid):
        refuse(
            shop, SHOP, ref, Step("user:u_case", date(2026, 5, 3)), reason="manifestly_excessive"
        )
    shop.rollback()
    refuse(
        shop,
        SHOP,
        ref,
        Step("user:u_case", date(2026, 5, 3), "Manifestly excessive"),
        reason="manifestly_excessive",
    )
    shop.commit()
    assert _row(shop, ref).outcome == "refused"
    with pytest.raises(TransitionRefused):
        respond(shop, SHOP, ref, Step("user:u_case", date(2026, 5, 4)))


def test_a_request_about_a_deceased_person_is_closed_with_that_outcome(shop: UnitOfWork) -> None:
    """SAR-10: data of deceased people is outside UK GDPR."""
    ref = _open(shop, date(2026, 5, 1))
    close(shop, SHOP, ref, Step("user:u_case", date(2026, 5, 2)), deceased=True)
    shop.commit()
    assert (_row(shop, ref).state, _row(shop, ref).outcome) == ("closed", "deceased")


def test_a_step_cannot_be_dated_in_the_future_or_before_receipt(shop: UnitOfWork) -> None:
    ref = _open(shop, date(2026, 5, 1))
    for day in (date(2026, 6, 2), date(2026, 4, 30)):
        with pytest.raises(RequestInvalid):
            verify_identity(shop, SHOP, ref, "document", Step("user:u_case", day))
        shop.rollback()


def test_a_request_can_name_a_known_subject(shop: UnitOfWork) -> None:
    ref_subject = customer(shop, "ann@example.com")
    shop.commit()
    row = open_request(
        shop,
        NewRequest(SHOP, ("erasure",), "email", date(2026, 5, 30), JANE, subject_ref=ref_subject),
        actor="user:u_case",
    )
    shop.commit()
    audit = shop.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == row.ref)).one()
    assert audit.subject_ref == ref_subject


def test_recompute_moves_only_the_dates_a_calendar_change_moved(shop: UnitOfWork) -> None:
    """Issue 16: open deadlines are recomputed when the holiday calendar changes.

    A date computed under an older calendar is simulated by storing a stale due date; the
    recompute puts back the SAR-01..03 date, audits it, and leaves the others untouched.
    """
    from dataward.requests.recompute import recompute_due_dates

    stale = _open(shop, date(2026, 4, 3))  # due 2026-05-05 (SAR-03 vector)
    right = _open(shop, date(2026, 3, 31))  # due 2026-04-30
    closed = _open(shop, date(2026, 5, 1))
    close(shop, SHOP, closed, Step("user:u_case", date(2026, 5, 2)), deceased=True)
    shop.session.execute(
        text("UPDATE rights_requests SET due_on = :d WHERE ref IN (:a, :c)"),
        {"d": date(2026, 5, 4), "a": stale, "c": closed},
    )
    shop.commit()
    result = recompute_due_dates(shop, actor="system:calendar")
    shop.commit()
    assert result.checked == 2  # the closed request is not an open deadline
    assert result.moved == [(stale, "2026-05-04", "2026-05-05")]
    assert _row(shop, stale).due_on == date(2026, 5, 5)
    assert _row(shop, right).due_on == date(2026, 4, 30)
    assert _row(shop, closed).due_on == date(2026, 5, 4)
    moved = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.due_moved")
    ).all()
    assert [(e.entity_id, e.details["to"]) for e in moved] == [(stale, "2026-05-05")]
    assert verify(shop.session).intact
    assert recompute_due_dates(shop, actor="system:calendar").moved == []


def test_an_extended_request_can_still_be_verified_and_stays_extended(shop: UnitOfWork) -> None:
    """SAR-04/SAR-05: an extension may be announced before the proof of identity arrives;
    the proof is then recorded, the extension and its due date stand."""
    ref = _open(shop, date(2026, 3, 2))
    extend(shop, SHOP, ref, Step("user:u_case", date(2026, 3, 20), "Many systems to search"))
    shop.commit()
    verify_identity(shop, SHOP, ref, "document", Step("user:u_case", date(2026, 3, 25)))
    shop.commit()
    row = _row(shop, ref)
    assert (row.state, row.identity_method, row.due_on) == (
        "extended",
        "document",
        date(2026, 6, 2),
    )
