"""Complaints: intake, CMP-01's clocks, each step, the queue and the audit chain (issue 17).

Rules: CMP-01 (RULES.md). Dates are explicit; the clock is the test's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, SHOP_FILE, customer, load_shop
from sqlalchemy import func, select, text

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.complaints.errors import (
    ComplaintInvalid,
    ComplaintNotFound,
    ComplaintTransitionRefused,
)
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.complaints.queue import counts, open_complaints, urgency
from dataward.complaints.service import (
    Complainant,
    NewComplaint,
    complainant_of,
    note_of,
    open_complaint,
)
from dataward.complaints.steps import (
    Step,
    acknowledge,
    add_note,
    close,
    investigate,
    link_request,
    link_subject,
    set_theme,
)
from dataward.errors import RegisterInvalid, RegisterNotFound
from dataward.register.loader import parse_register
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.subjects.errors import SubjectNotFound
from dataward.uow import UnitOfWork

ANN = Complainant(
    name="Ann Smith",
    email="ann.smith@example.com",
    words="You sent my letter to my neighbour.",
)
CASE = "user:u_case"
ROUTE = (
    'complaints: {ico_url: "https://ico.org.uk/make-a-complaint/", '
    'statement: "You can complain to the ICO."}'
)


def with_outcome_days(days: int | str) -> str:
    source = SHOP_FILE.read_text(encoding="utf-8")
    assert ROUTE in source
    return source.replace(
        ROUTE,
        ROUTE.removesuffix("}") + f", outcome_within_days: {days}}}",
    )


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 8, 3, 9, 0, tzinfo=UTC))
    return uow


def _open(
    uow: UnitOfWork,
    received: date,
    who: Complainant = ANN,
    *,
    kind: str = "self",
    subject_ref: str | None = None,
    channel: str = "post",
) -> Complaint:
    row = open_complaint(
        uow, NewComplaint(SHOP, channel, received, who, kind, subject_ref), actor=CASE
    )
    uow.commit()
    return row


def _counts(uow: UnitOfWork) -> tuple[int, int, int]:
    """Complaints, their events and audit entries: what a refused call must leave alone."""
    return (
        uow.session.scalar(select(func.count(Complaint.id))) or 0,
        uow.session.scalar(select(func.count(ComplaintEvent.id))) or 0,
        uow.session.scalar(select(func.count(AuditEvent.id))) or 0,
    )


def _complaint_audit(uow: UnitOfWork, ref: str) -> list[AuditEvent]:
    return list(
        uow.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == ref).order_by(AuditEvent.seq)
        )
    )


def test_a_postal_complaint_is_to_be_acknowledged_30_days_after_it_arrived(
    shop: UnitOfWork,
) -> None:
    """CMP-01: acknowledge within 30 days of receipt, counted from the day it arrived."""
    row = _open(shop, date(2026, 7, 20))
    assert row.ref.startswith("c_")
    assert len(row.ref) == 18
    assert (row.state, row.received_on, row.acknowledge_by) == (
        "received",
        date(2026, 7, 20),
        date(2026, 8, 19),
    )
    # The shop's register promises no time for the outcome: no target is claimed.
    assert row.outcome_target_on is None
    assert row.subject_id is None
    assert row.request_refs == []
    assert complainant_of(shop, row) == ANN
    [entry] = _complaint_audit(shop, row.ref)
    assert (entry.action, entry.entity_type, entry.details["acknowledge_by"]) == (
        "complaint.received",
        "complaint",
        "2026-08-19",
    )


def test_the_outcome_target_is_the_one_the_register_promises(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """CMP-01 "without undue delay", as the register states it (outcome_within_days)."""
    load_shop(uow, with_outcome_days(60))
    uow.commit()
    clock.set(datetime(2026, 8, 3, 9, 0, tzinfo=UTC))
    row = _open(uow, date(2026, 7, 20))
    assert row.outcome_target_on == date(2026, 9, 18)


@pytest.mark.parametrize("days", [0, 366, "soon"])
def test_the_register_refuses_an_outcome_time_out_of_range(days: int | str) -> None:
    with pytest.raises(RegisterInvalid) as refused:
        parse_register(with_outcome_days(days), str(SHOP_FILE))
    assert len(refused.value.problems) == 1
    assert "outcome_within_days" in str(refused.value.problems[0])


def test_acknowledging_records_the_day_and_whether_it_was_late(shop: UnitOfWork) -> None:
    """CMP-01: the acknowledgement day is kept against the 30 days."""
    on_time = _open(shop, date(2026, 7, 20))
    late = _open(shop, date(2026, 6, 22))
    acknowledge(shop, SHOP, on_time.ref, Step(CASE, date(2026, 7, 31)))
    acknowledge(shop, SHOP, late.ref, Step(CASE, date(2026, 7, 23)))
    shop.commit()
    assert (on_time.state, on_time.acknowledged_on) == ("acknowledged", date(2026, 7, 31))
    assert late.acknowledged_on == date(2026, 7, 23)  # due 22 July
    assert _complaint_audit(shop, on_time.ref)[-1].details["late"] == "no"
    assert _complaint_audit(shop, late.ref)[-1].details["late"] == "yes"
    with pytest.raises(ComplaintTransitionRefused, match="acknowledged"):
        acknowledge(shop, SHOP, late.ref, Step(CASE, date(2026, 8, 1)))


def test_a_complaint_is_investigated_noted_and_closed_with_its_outcome_explained(
    shop: UnitOfWork,
) -> None:
    """CMP-01: investigate, then tell the outcome; the explanation is required and sealed."""
    row = _open(shop, date(2026, 7, 20))
    with pytest.raises(ComplaintTransitionRefused, match="acknowledge"):
        investigate(shop, SHOP, row.ref, Step(CASE, date(2026, 7, 21)))
    acknowledge(shop, SHOP, row.ref, Step(CASE, date(2026, 7, 21)))
    investigate(shop, SHOP, row.ref, Step(CASE, date(2026, 7, 22)))
    add_note(shop, SHOP, row.ref, "Courier confirms the wrong door.", Step(CASE, date(2026, 7, 23)))
    shop.commit()
    before = _counts(shop)
    for outcome, note in (("upheld", ""), ("upheld", "  "), ("half_upheld", "Reason.")):
        with pytest.raises(ComplaintInvalid):
            close(shop, SHOP, row.ref, outcome, note, Step(CASE, date(2026, 8, 1)))
        shop.rollback()
    assert _counts(shop) == before
    assert row.state == "investigating"
    close(
        shop,
        SHOP,
        row.ref,
        "upheld",
        "We apologise; the courier is retrained.",
        Step(CASE, date(2026, 8, 1)),
    )
    shop.commit()
    assert (row.state, row.outcome, row.closed_on) == ("closed", "upheld", date(2026, 8, 1))
    events = list(
        shop.session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == row.id)
            .order_by(ComplaintEvent.seq)
        )
    )
    assert [(e.seq, e.action, e.to_state) for e in events] == [
        (1, "complaint.received", "received"),
        (2, "complaint.acknowledged", "acknowledged"),
        (3, "complaint.investigating", "investigating"),
        (4, "complaint.note_added", "investigating"),
        (5, "complaint.closed", "closed"),
    ]
    assert note_of(shop, row, events[3]) == "Courier confirms the wrong door."
    assert note_of(shop, row, events[4]) == "We apologise; the courier is retrained."
    assert b"courier" not in bytes(events[4].note_sealed or b"")
    closed = _complaint_audit(shop, row.ref)[-1]
    assert (closed.action, closed.details["outcome"], closed.details["on"]) == (
        "complaint.closed",
        "upheld",
        "2026-08-01",
    )
    # Closing twice is refused, and nothing more is written.
    before = _counts(shop)
    with pytest.raises(ComplaintTransitionRefused, match="closed"):
        close(shop, SHOP, row.ref, "not_upheld", "Again.", Step(CASE, date(2026, 8, 2)))
    shop.rollback()
    with pytest.raises(ComplaintTransitionRefused, match="closed"):
        add_note(shop, SHOP, row.ref, "Late note.", Step(CASE, date(2026, 8, 2)))
    shop.rollback()
    assert _counts(shop) == before
    assert verify(shop.session).intact


def test_the_complainants_details_are_sealed_and_kept_out_of_the_chain(
    shop: UnitOfWork,
) -> None:
    """CMP-01: someone acting for the person; their details and words sealed, never audited."""
    solicitor = Complainant(
        name="Bob Law",
        email="bob@law.example",
        words="My client's records were shown to a visitor.",
        on_behalf_of="Carol Client",
        authority="Signed letter of authority",
    )
    row = _open(shop, date(2026, 7, 30), solicitor, kind="solicitor")
    add_note(shop, SHOP, row.ref, "Spoke to Carol Client.", Step(CASE, date(2026, 7, 31)))
    shop.commit()
    raw = bytes(
        shop.session.execute(
            text("SELECT complainant_sealed FROM complaints WHERE ref = :r"), {"r": row.ref}
        ).scalar_one()
    )
    for secret in (b"Bob", b"bob@law", b"Carol", b"visitor", b"Signed"):
        assert secret not in raw
    assert complainant_of(shop, row) == solicitor
    audit = " ".join(str(e.details) for e in _complaint_audit(shop, row.ref))
    for secret in ("Bob", "law.example", "Carol", "visitor", "Signed", "Spoke"):
        assert secret not in audit
    assert "solicitor" in audit


def test_an_unknown_persons_complaint_opens_and_is_linked_later(shop: UnitOfWork) -> None:
    row = _open(shop, date(2026, 7, 30), channel="phone")
    assert row.subject_id is None
    assert _complaint_audit(shop, row.ref)[0].subject_ref is None
    ann = customer(shop)
    shop.commit()
    before = _counts(shop)
    with pytest.raises(SubjectNotFound):
        link_subject(shop, SHOP, row.ref, "s_nobody", actor=CASE)
    shop.rollback()
    assert _counts(shop) == before
    link_subject(shop, SHOP, row.ref, ann, actor=CASE)
    shop.commit()
    assert row.subject_id is not None
    linked = _complaint_audit(shop, row.ref)[-1]
    assert (linked.action, linked.subject_ref) == ("complaint.subject_linked", ann)
    with pytest.raises(ComplaintTransitionRefused, match="subject already"):
        link_subject(shop, SHOP, row.ref, ann, actor=CASE)
    # A known person's complaint is linked from the start.
    known = _open(shop, date(2026, 7, 30), subject_ref=ann)
    assert known.subject_id == row.subject_id


def test_a_complaint_is_linked_to_the_organisations_requests_only(shop: UnitOfWork) -> None:
    request = open_request(
        shop,
        NewRequest(SHOP, ("access",), "post", date(2026, 7, 1), Requester(name="Ann")),
        actor=CASE,
    )
    row = _open(shop, date(2026, 7, 30))
    before = _counts(shop)
    with pytest.raises(ComplaintInvalid, match="no request"):
        link_request(shop, SHOP, row.ref, "q_0000000000000000", actor=CASE)
    shop.rollback()
    with pytest.raises(ComplaintNotFound):
        link_request(shop, "another_org", row.ref, request.ref, actor=CASE)
    shop.rollback()
    assert _counts(shop) == before
    link_request(shop, SHOP, row.ref, request.ref, actor=CASE)
    shop.commit()
    shop.session.expire_all()
    again = shop.session.get(Complaint, row.id)
    assert again is not None
    assert again.request_refs == [request.ref]
    entry = _complaint_audit(shop, row.ref)[-1]
    assert (entry.action, entry.details["request"]) == ("complaint.request_linked", request.ref)
    with pytest.raises(ComplaintTransitionRefused, match="already"):
        link_request(shop, SHOP, row.ref, request.ref, actor=CASE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"words": ""}, "what the complaint is about"),
        ({"words": "   "}, "what the complaint is about"),
        ({"words": "x" * 8001}, "too long"),
        ({"name": "y" * 8001}, "too long"),
        ({"words": "bad\x00byte"}, "cannot be stored"),
        ({"email": "a\x00@example.com"}, "cannot be stored"),
        ({"received_on": date(2026, 8, 4)}, "after today"),
        ({"channel": "pigeon"}, "channel"),
        ({"kind": "solicitor"}, "whom they act for"),
        ({"kind": "stranger", "on_behalf_of": "Ann"}, "complainant kind"),
        ({"on_behalf_of": "Ann"}, "kind of person"),
    ],
)
def test_bad_complaints_are_refused_and_nothing_is_written(
    shop: UnitOfWork, change: dict[str, object], message: str
) -> None:
    fields = {**ANN.__dict__, **change}
    received = fields.pop("received_on", date(2026, 8, 3))
    channel = fields.pop("channel", "post")
    kind = fields.pop("kind", "self")
    before = _counts(shop)
    with pytest.raises(ComplaintInvalid, match=message):
        open_complaint(
            shop,
            NewComplaint(SHOP, str(channel), received, Complainant(**fields), str(kind)),
            actor=CASE,
        )
    shop.rollback()
    assert _counts(shop) == before


def test_a_complaint_made_late_on_a_summer_evening_arrived_on_the_uks_next_day(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    """23:30 UTC on 3 August is 00:30 on 4 August in the UK: not a day after today."""
    clock.set(datetime(2026, 8, 3, 23, 30, tzinfo=UTC))
    row = _open(shop, date(2026, 8, 4), channel="portal")
    assert row.acknowledge_by == date(2026, 9, 3)
    with pytest.raises(ComplaintInvalid, match="after today"):
        acknowledge(shop, SHOP, row.ref, Step(CASE, date(2026, 8, 5)))
    shop.rollback()
    with pytest.raises(ComplaintInvalid, match="before the complaint"):
        acknowledge(shop, SHOP, row.ref, Step(CASE, date(2026, 8, 3)))


def test_the_queue_counts_open_complaints_by_their_clocks(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """CMP-01: acknowledgement overdue, outcome overdue (register: 60 days), on time."""
    load_shop(uow, with_outcome_days(60))
    uow.commit()
    clock.set(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    old = _open(uow, date(2026, 6, 22))  # ack due 22 July, outcome due 21 August
    unacknowledged = _open(uow, date(2026, 7, 20))  # ack due 19 August: overdue
    acknowledged_late = _open(uow, date(2026, 6, 25))  # outcome due 24 August
    fresh = _open(uow, date(2026, 8, 20))  # ack due 19 September
    due_today = _open(uow, date(2026, 8, 2))  # ack due 1 September: not yet overdue
    done = _open(uow, date(2026, 6, 1))
    acknowledge(uow, SHOP, acknowledged_late.ref, Step(CASE, date(2026, 7, 1)))
    acknowledge(uow, SHOP, done.ref, Step(CASE, date(2026, 6, 2)))
    close(
        uow, SHOP, done.ref, "withdrawn", "The complainant withdrew.", Step(CASE, date(2026, 6, 3))
    )
    uow.commit()
    assert counts(uow, SHOP) == {
        "acknowledgement_overdue": 2,
        "outcome_overdue": 1,
        "on_time": 2,
    }
    today = date(2026, 9, 1)
    assert [urgency(r, today) for r in (old, unacknowledged, acknowledged_late)] == [
        "acknowledgement_overdue",
        "acknowledgement_overdue",
        "outcome_overdue",
    ]
    assert (urgency(fresh, today), urgency(due_today, today), urgency(done, today)) == (
        "on_time",
        "on_time",
        "closed",
    )
    listed = [r.ref for r in open_complaints(uow, SHOP)]
    assert listed == [
        old.ref,
        acknowledged_late.ref,
        unacknowledged.ref,
        due_today.ref,
        fresh.ref,
    ]
    assert counts(uow, "another_org") == {
        "acknowledgement_overdue": 0,
        "outcome_overdue": 0,
        "on_time": 0,
    }
    assert verify(uow.session).intact


def test_a_step_on_an_unknown_complaint_is_not_found(shop: UnitOfWork) -> None:
    with pytest.raises(ComplaintNotFound):
        acknowledge(shop, SHOP, "c_0000000000000000", Step(CASE, date(2026, 8, 3)))


@pytest.mark.parametrize(
    ("note", "message"),
    [("", "write the note"), ("  \n", "write the note"), ("a\x00b", "cannot be stored")],
)
def test_an_empty_or_unstorable_note_is_refused(shop: UnitOfWork, note: str, message: str) -> None:
    row = _open(shop, date(2026, 7, 30))
    before = _counts(shop)
    with pytest.raises(ComplaintInvalid, match=message):
        add_note(shop, SHOP, row.ref, note, Step(CASE, date(2026, 7, 31)))
    shop.rollback()
    assert _counts(shop) == before


def test_a_complaint_to_an_organisation_without_a_register_is_refused(
    shop: UnitOfWork,
) -> None:
    before = _counts(shop)
    with pytest.raises(RegisterNotFound):
        open_complaint(shop, NewComplaint("no_such_org", "post", date(2026, 8, 1), ANN), actor=CASE)
    shop.rollback()
    assert _counts(shop) == before


def test_a_theme_is_said_at_intake_or_corrected_later_and_audited(shop: UnitOfWork) -> None:
    """The DPO's figures count complaints by theme: given at intake or set by a caseworker."""
    themed = open_complaint(
        shop,
        NewComplaint(SHOP, "email", date(2026, 7, 20), ANN, theme="disclosure"),
        actor=CASE,
    )
    shop.commit()
    assert themed.theme == "disclosure"
    unsaid = _open(shop, date(2026, 7, 21))
    assert unsaid.theme is None
    set_theme(shop, SHOP, unsaid.ref, "marketing", actor=CASE)
    shop.commit()
    assert unsaid.theme == "marketing"
    [entry] = [e for e in _complaint_audit(shop, unsaid.ref) if e.action == "complaint.themed"]
    assert entry.details["theme"] == "marketing"
    before = _counts(shop)
    with pytest.raises(ComplaintTransitionRefused, match="marketing already"):
        set_theme(shop, SHOP, unsaid.ref, "marketing", actor=CASE)
    with pytest.raises(ComplaintInvalid, match="theme must be one of"):
        set_theme(shop, SHOP, unsaid.ref, "rudeness", actor=CASE)
    with pytest.raises(ComplaintInvalid, match="theme must be one of"):
        open_complaint(
            shop, NewComplaint(SHOP, "post", date(2026, 7, 20), ANN, theme="x"), actor=CASE
        )
    shop.rollback()
    assert _counts(shop) == before
