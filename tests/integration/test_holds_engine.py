"""The retention engine's questions of legal holds, on a stored register (RET-02, ERA-02).

JTR Collections' register names the holds (complaint_on_case, investigation_on_case) and the
datasets they keep. Dates are explicit; the clock is the test's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.complaints.service import NewComplaint, open_complaint
from dataward.complaints.steps import Step, close
from dataward.holds import engine
from dataward.holds.audit_actions import HOLD_CLOSED
from dataward.holds.engine import (
    HeldRecord,
    case_holds_in_force,
    deletable_dates,
    holds_in_force,
)
from dataward.holds.errors import HoldInvalid
from dataward.holds.service import NewHold, close_hold, get_hold, place_hold
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.requests.service import Requester
from dataward.subjects.service import add_subject, get_subject
from dataward.uow import UnitOfWork

ORG = "jtr_collections"
JTR = Path(__file__).resolve().parents[2] / "examples" / "jtr-collections.yaml"
APRIL_1 = date(2026, 4, 1)


@pytest.fixture
def jtr(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    clock.set(datetime(2026, 4, 1, 10, 0, tzinfo=UTC))
    store_register(uow, load_register(JTR), actor="test")
    return uow


def _subject(uow: UnitOfWork, email: str) -> str:
    return add_subject(uow, ORG, ["customers"], [("email", email)], actor="test").ref


def _hold(uow: UnitOfWork, **where: str) -> str:
    scope = where.pop("scope")
    datasets = tuple(where.pop("datasets").split(",")) if "datasets" in where else ()
    return place_hold(
        uow,
        NewHold(
            organisation=ORG,
            scope=scope,
            owner="dpo@jtr.example",
            review_on=date(2026, 7, 1),
            hold_id=where.pop("hold_id", "complaint_on_case"),
            datasets=datasets,
            **where,
        ),
        actor="user:dpo",
    ).ref


def test_ret02_each_scope_covers_its_own_records_in_the_named_datasets(
    jtr: UnitOfWork,
) -> None:
    """A subject hold covers the subject's records, a case hold the case's, a record hold the
    record; none covers a dataset it does not name."""
    ann = _subject(jtr, "ann@example.com")
    bob = _subject(jtr, "bob@example.com")
    ann_id, bob_id = get_subject(jtr, ORG, ann).id, get_subject(jtr, ORG, bob).id
    on_subject = _hold(jtr, scope="subject", subject_ref=ann, datasets="call_recordings")
    on_case = _hold(jtr, scope="case", case_ref="C-1")
    on_record = _hold(jtr, scope="record", record_ref="R-9", datasets="body_worn_video")

    def refs(dataset: str, **record: str) -> list[str]:
        return [h.ref for h in holds_in_force(jtr, ORG, dataset, on=APRIL_1, **record)]

    assert refs("call_recordings", subject_id=ann_id) == [on_subject]
    assert refs("call_recordings", subject_id=bob_id) == []
    assert refs("body_worn_video", subject_id=ann_id) == []
    assert refs("call_recordings", case_ref="C-1") == [on_case]
    assert refs("call_recordings", case_ref="C-2") == []
    assert refs("body_worn_video", record_ref="R-9") == [on_record]
    assert refs("call_recordings", record_ref="R-9") == []
    # A record of Ann's on case C-1: both holds over it.
    assert sorted(refs("call_recordings", subject_id=ann_id, case_ref="C-1")) == sorted(
        [on_subject, on_case]
    )
    # Not yet placed on an earlier day; another organisation's question finds nothing.
    assert refs("call_recordings", case_ref="C-1") == [on_case]
    assert holds_in_force(jtr, ORG, "call_recordings", case_ref="C-1", on=date(2026, 3, 31)) == []
    assert holds_in_force(jtr, "other_org", "call_recordings", case_ref="C-1", on=APRIL_1) == []


def test_ret02_a_closed_hold_is_no_longer_in_force_and_releases_on_its_day(
    jtr: UnitOfWork, clock: FixedClock
) -> None:
    ref = _hold(jtr, scope="case", case_ref="C-1")
    clock.set(datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
    close_hold(jtr, ORG, ref, actor="user:dpo")
    hold = get_hold(jtr, ORG, ref)
    assert (hold.closed_on, hold.release_on) == (date(2026, 5, 4), date(2026, 8, 2))
    assert [
        h.ref
        for h in holds_in_force(jtr, ORG, "call_recordings", case_ref="C-1", on=date(2026, 5, 3))
    ] == [ref]
    assert holds_in_force(jtr, ORG, "call_recordings", case_ref="C-1", on=date(2026, 5, 4)) == []
    due_in_hold = HeldRecord("call_recordings", date(2026, 4, 20), case_ref="C-1")
    # Due before the hold was placed but not yet deleted: the hold caught it too.
    due_before = HeldRecord("call_recordings", date(2026, 3, 20), case_ref="C-1")
    due_after = HeldRecord("call_recordings", date(2026, 9, 1), case_ref="C-1")
    assert deletable_dates(jtr, ORG, [due_in_hold, due_before, due_after], on=date(2026, 5, 4)) == [
        date(2026, 8, 2),
        date(2026, 8, 2),
        date(2026, 9, 1),
    ]


def test_ret02_the_batch_question_is_one_query_and_splits_only_past_the_parameter_limit(
    jtr: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 records: one query; with a lower limit, several, and the same answers."""
    held_cases = [f"C-{n}" for n in range(0, 10_000, 500)]
    for case in held_cases:
        _hold(jtr, scope="case", case_ref=case)
    jtr.session.flush()
    records = [
        HeldRecord("body_worn_video", date(2026, 3, 1), case_ref=f"C-{n}", record_ref=f"R-{n}")
        for n in range(10_000)
    ]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    bind = jtr.session.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        answers = deletable_dates(jtr, ORG, records, on=APRIL_1)
        assert len([s for s in statements if "legal_holds" in s]) == 1
        statements.clear()
        monkeypatch.setattr(engine, "MAX_PARAMETERS", 1_000)
        assert deletable_dates(jtr, ORG, records, on=APRIL_1) == answers
        assert len([s for s in statements if "legal_holds" in s]) > 10
    finally:
        event.remove(bind, "before_cursor_execute", count)
    held = {f"C-{n}" for n in range(0, 10_000, 500)}
    assert [a is None for a in answers] == [r.case_ref in held for r in records]
    assert {a for a in answers if a is not None} == {date(2026, 3, 1)}


def test_cmp01_ret02_closing_a_complaint_closes_the_holds_it_placed(
    jtr: UnitOfWork, clock: FixedClock
) -> None:
    """The complaint's hold lasts while it is open: its closure closes the hold (and only
    its own), in the audit chain with refs and codes."""
    complaint = open_complaint(
        jtr,
        NewComplaint(
            ORG,
            "email",
            APRIL_1,
            Requester(name="Ann", email="ann@example.com", words="Rude agent."),
        ),
        actor="user:case",
    )
    own = _hold(jtr, scope="case", case_ref="C-1", complaint_id=complaint.id)
    other = _hold(jtr, scope="case", case_ref="C-2", hold_id="investigation_on_case")
    clock.set(datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
    close(
        jtr, ORG, complaint.ref, "not_upheld", "No fault found.", Step("user:dpo", date(2026, 5, 4))
    )
    assert get_hold(jtr, ORG, own).closed_on == date(2026, 5, 4)
    assert get_hold(jtr, ORG, own).closed_by == "user:dpo"
    assert get_hold(jtr, ORG, other).closed_on is None
    closed = jtr.session.scalars(select(AuditEvent).where(AuditEvent.action == HOLD_CLOSED)).all()
    assert [(e.entity_id, e.details["release_on"]) for e in closed] == [(own, "2026-08-02")]
    assert "ann" not in str(closed[0].details).lower()


def test_ret02_a_complaint_closed_on_an_earlier_day_closes_its_holds_on_that_day(
    jtr: UnitOfWork, clock: FixedClock
) -> None:
    """The outcome letter went out on 4 May and was entered on 11 May: the hold closed on
    4 May, so "deleted 90 days after the complaint is closed" counts from 4 May. A hold
    cannot close after today, nor before it was placed."""
    complaint = open_complaint(
        jtr,
        NewComplaint(ORG, "post", APRIL_1, Requester(name="Bo", words="Camera on.")),
        actor="user:case",
    )
    own = _hold(jtr, scope="case", case_ref="C-9", complaint_id=complaint.id)
    clock.set(datetime(2026, 5, 11, 10, 0, tzinfo=UTC))
    close(jtr, ORG, complaint.ref, "upheld", "Sorry.", Step("user:dpo", date(2026, 5, 4)))
    row = get_hold(jtr, ORG, own)
    assert (row.closed_on, row.release_on) == (date(2026, 5, 4), date(2026, 8, 2))
    later = _hold(jtr, scope="case", case_ref="C-10")
    with pytest.raises(HoldInvalid, match="after today"):
        close_hold(jtr, ORG, later, actor="user:dpo", on=date(2026, 5, 12))
    close_hold(jtr, ORG, later, actor="user:dpo", on=date(2026, 3, 1))
    assert get_hold(jtr, ORG, later).closed_on == date(2026, 5, 11)  # placed on 11 May


# RULES: ERA-02, RET-02 (the erasure survey's batch: the holds on many cases at once)
def test_era02_the_holds_on_a_batch_of_cases_are_one_query_and_only_those_in_force(
    jtr: UnitOfWork, clock: FixedClock
) -> None:
    open_one = _hold(jtr, scope="case", case_ref="C-1")
    closing = _hold(jtr, scope="case", case_ref="C-2")
    _hold(jtr, scope="record", record_ref="C-3", datasets="body_worn_video")
    clock.set(datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
    close_hold(jtr, ORG, closing, actor="user:dpo")
    jtr.session.flush()
    cases = ["C-1", "C-2", "C-3", *(f"X-{n}" for n in range(2_000))]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    bind = jtr.session.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        before = case_holds_in_force(jtr, ORG, cases, on=date(2026, 5, 3))
        assert len([s for s in statements if "legal_holds" in s]) == 1
    finally:
        event.remove(bind, "before_cursor_execute", count)
    # Oldest first, then by ref (both were placed on 1 April).
    assert [h.ref for h in before] == sorted([open_one, closing])
    # Closed on 4 May: no longer in force that day; a record hold is never a case's.
    assert [h.ref for h in case_holds_in_force(jtr, ORG, cases, on=date(2026, 5, 4))] == [open_one]
    assert case_holds_in_force(jtr, ORG, [], on=date(2026, 5, 4)) == []
