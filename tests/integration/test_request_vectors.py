"""Every RULES.md vector for SAR-01..06, and SAR-05/08/09/10, through the request service,
in all four nations (issue 16).

The services read time only from the clock they are handed (``uow.clock``). Here they are
handed the real ``SystemClock`` while ``time_machine`` moves the wall clock: a step dated
"today" is the travelled day, and "a request cannot be received after today" holds on the
travelled day (``test_the_service_reads_the_clock_it_is_given``). A service that kept a
clock of its own, or read time from anywhere else, would fail those checks.

Each nation has a register of its own (the shop's register with ``controller.nation`` set).
The expected dates are written out by hand from each nation's bank holidays (England and
Wales share theirs; Scotland adds 2 January, St Andrew's Day and its August date and has
no Easter Monday; Northern Ireland adds St Patrick's Day and 12 July), never computed here
with the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from consent_support import SHOP_FILE
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import SystemClock
from dataward.crypto.keyring import Vault
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.requests.errors import RequestInvalid, TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import (
    Step,
    ask_for_clarification,
    ask_for_fee,
    ask_for_identity,
    clarification_received,
    close,
    extend,
    refuse,
    verify_identity,
)
from dataward.uow import UnitOfWork

NATIONS = ("ENG", "WLS", "SCT", "NIR")
CASEWORKER = "user:u_case"
JANE = Requester(name="Jane Doe", address="1 High Street", words="Please send me my data.")


def org(nation: str) -> str:
    return f"shop_{nation.lower()}"


@pytest.fixture
def desk(uow: UnitOfWork, session_factory: sessionmaker[Any], vault: Vault) -> Iterator[UnitOfWork]:
    """Four registers, one per nation, and a unit of work on the system clock.

    ``uow`` (on its FixedClock) only stores the registers and empties the database after.
    """
    source = SHOP_FILE.read_text(encoding="utf-8")
    assert "organisation: corner_shop" in source
    assert "nation: ENG" in source
    for nation in NATIONS:
        text = source.replace("organisation: corner_shop", f"organisation: {org(nation)}")
        text = text.replace("nation: ENG", f"nation: {nation}")
        store_register(uow, parse_register(text, str(SHOP_FILE)), actor="test")
    uow.commit()
    with UnitOfWork(session_factory, SystemClock(), vault) as unit:
        yield unit


def at(day: date) -> time_machine.travel:
    """The wall clock at 10:00 UTC on ``day``, standing still."""
    return time_machine.travel(
        datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC), tick=False
    )


def _open(
    uow: UnitOfWork,
    nation: str,
    received: date,
    rights: tuple[str, ...] = ("access",),
    channel: str = "post",
    **extra: Any,
) -> str:
    row = open_request(
        uow, NewRequest(org(nation), rights, channel, received, JANE, **extra), actor=CASEWORKER
    )
    uow.commit()
    return row.ref


def _row(uow: UnitOfWork, ref: str) -> RightsRequest:
    found = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
    uow.session.refresh(found)
    return found


def _audit_count(uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_the_service_reads_the_clock_it_is_given(desk: UnitOfWork) -> None:
    """SAR-01: the clock runs from receipt, and receipt cannot be after today, where today
    is whatever the clock handed to the service says (here, the travelled wall clock)."""
    with at(date(2026, 1, 29)):
        assert desk.clock.today() == date(2026, 1, 29)
        with pytest.raises(RequestInvalid, match="after today"):
            open_request(
                desk,
                NewRequest(org("ENG"), ("access",), "post", date(2026, 1, 30), JANE),
                actor=CASEWORKER,
            )
        desk.rollback()
    with at(date(2026, 1, 30)):
        ref = _open(desk, "ENG", date(2026, 1, 30))
    row = _row(desk, ref)
    assert row.created_at == datetime(2026, 1, 30, 10, 0, tzinfo=UTC)
    assert row.due_on == date(2026, 3, 2)


# (received, nation, due): RULES.md's vectors in their own nation, then the same receipts
# in the other nations, by hand.
DUE_VECTORS = [
    # 30 Jan -> 28 Feb (no 30 Feb, SAR-02), a Saturday -> Monday 2 March everywhere.
    (date(2026, 1, 30), "ENG", date(2026, 3, 2)),
    (date(2026, 1, 30), "WLS", date(2026, 3, 2)),
    (date(2026, 1, 30), "SCT", date(2026, 3, 2)),
    (date(2026, 1, 30), "NIR", date(2026, 3, 2)),
    # 31 Mar -> 30 Apr (no 31 Apr), a Thursday.
    (date(2026, 3, 31), "ENG", date(2026, 4, 30)),
    (date(2026, 3, 31), "WLS", date(2026, 4, 30)),
    (date(2026, 3, 31), "SCT", date(2026, 4, 30)),
    (date(2026, 3, 31), "NIR", date(2026, 4, 30)),
    # 3 May a Sunday, 4 May the early May bank holiday in all four nations -> 5 May.
    (date(2026, 4, 3), "ENG", date(2026, 5, 5)),
    (date(2026, 4, 3), "WLS", date(2026, 5, 5)),
    (date(2026, 4, 3), "SCT", date(2026, 5, 5)),
    (date(2026, 4, 3), "NIR", date(2026, 5, 5)),
    # 25 Dec (Fri), the weekend, 28 Dec (substitute Boxing Day, all nations) -> 29 Dec.
    (date(2026, 11, 25), "ENG", date(2026, 12, 29)),
    (date(2026, 11, 25), "WLS", date(2026, 12, 29)),
    (date(2026, 11, 25), "SCT", date(2026, 12, 29)),
    (date(2026, 11, 25), "NIR", date(2026, 12, 29)),
    # 1 Jan 2027 (Fri), the weekend -> Monday 4 Jan; in Scotland 4 Jan is the substitute
    # for 2 January (a Saturday) -> Tuesday 5 Jan.
    (date(2026, 12, 1), "ENG", date(2027, 1, 4)),
    (date(2026, 12, 1), "WLS", date(2027, 1, 4)),
    (date(2026, 12, 1), "SCT", date(2027, 1, 5)),
    (date(2026, 12, 1), "NIR", date(2027, 1, 4)),
    # 17 Mar (Tue) is St Patrick's Day in Northern Ireland only.
    (date(2026, 2, 17), "NIR", date(2026, 3, 18)),
    (date(2026, 2, 17), "ENG", date(2026, 3, 17)),
    (date(2026, 2, 17), "WLS", date(2026, 3, 17)),
    (date(2026, 2, 17), "SCT", date(2026, 3, 17)),
    # 2028 is a leap year: 31 Jan -> 29 Feb (a Tuesday).
    (date(2028, 1, 31), "ENG", date(2028, 2, 29)),
    (date(2028, 1, 31), "WLS", date(2028, 2, 29)),
    (date(2028, 1, 31), "SCT", date(2028, 2, 29)),
    (date(2028, 1, 31), "NIR", date(2028, 2, 29)),
    # Beyond the table, one holiday of each nation's own:
    # 6 Apr 2026 is Easter Monday everywhere but Scotland.
    (date(2026, 3, 6), "ENG", date(2026, 4, 7)),
    (date(2026, 3, 6), "WLS", date(2026, 4, 7)),
    (date(2026, 3, 6), "SCT", date(2026, 4, 6)),
    (date(2026, 3, 6), "NIR", date(2026, 4, 7)),
    # 3 Aug 2026 is Scotland's summer bank holiday; 31 Aug everyone else's.
    (date(2026, 7, 3), "SCT", date(2026, 8, 4)),
    (date(2026, 7, 3), "ENG", date(2026, 8, 3)),
    (date(2026, 7, 31), "ENG", date(2026, 9, 1)),
    (date(2026, 7, 31), "WLS", date(2026, 9, 1)),
    (date(2026, 7, 31), "NIR", date(2026, 9, 1)),
    (date(2026, 7, 31), "SCT", date(2026, 8, 31)),
    # 30 Nov 2026 (Mon) is St Andrew's Day in Scotland only.
    (date(2026, 10, 30), "SCT", date(2026, 12, 1)),
    (date(2026, 10, 30), "ENG", date(2026, 11, 30)),
    # 12 Jul 2026 is a Sunday: everyone moves to Monday 13 Jul, which is Northern
    # Ireland's substitute for the 12th -> 14 Jul there.
    (date(2026, 6, 12), "NIR", date(2026, 7, 14)),
    (date(2026, 6, 12), "WLS", date(2026, 7, 13)),
]


@pytest.mark.parametrize(("received", "nation", "due"), DUE_VECTORS)
def test_due_date_vectors(desk: UnitOfWork, received: date, nation: str, due: date) -> None:
    """SAR-01, SAR-02, SAR-03: one month from receipt, clamped to the month's end, moved off
    weekends and the nation's bank holidays. The request is entered on the day it arrived."""
    with at(received):
        ref = _open(desk, nation, received)
    row = _row(desk, ref)
    assert (row.nation, row.received_on, row.due_on) == (nation, received, due)
    # Unextended, the date to announce an extension by is the due date itself.
    assert row.extension_notice_by == due


@pytest.mark.parametrize("nation", NATIONS)
def test_extension_vector(desk: UnitOfWork, nation: str) -> None:
    """SAR-04 vector: received 2025-11-30, extended -> 28 Feb 2026 (SAR-02), a Saturday ->
    2 Mar 2026 in every nation; to be announced by 30 Dec 2025 (a Tuesday everywhere)."""
    with at(date(2025, 11, 30)):
        ref = _open(desk, nation, date(2025, 11, 30))
        late = _open(desk, nation, date(2025, 11, 30))
    assert _row(desk, ref).extension_notice_by == date(2025, 12, 30)
    with at(date(2025, 12, 10)):
        extend(desk, org(nation), ref, Step(CASEWORKER, date(2025, 12, 10), "Complex"))
        desk.commit()
    row = _row(desk, ref)
    assert (row.state, row.due_on, row.extension_notice_by) == (
        "extended",
        date(2026, 3, 2),
        date(2025, 12, 30),
    )
    # The day after the first month ends, an extension can no longer be announced.
    with at(date(2025, 12, 31)), pytest.raises(TransitionRefused, match="2025-12-30"):
        extend(desk, org(nation), late, Step(CASEWORKER, date(2025, 12, 31), "Complex"))
    desk.rollback()
    assert _row(desk, late).due_on == date(2025, 12, 30)


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        # 12 Jul 2026 is a Sunday -> Monday 13 Jul, Northern Ireland's substitute day.
        ("ENG", date(2026, 7, 13)),
        ("WLS", date(2026, 7, 13)),
        ("SCT", date(2026, 7, 13)),
        ("NIR", date(2026, 7, 14)),
    ],
)
def test_an_extension_ends_on_the_nations_working_day(
    desk: UnitOfWork, nation: str, due: date
) -> None:
    """SAR-04 with SAR-03: three months from 12 Apr 2026 is 12 Jul, moved in each nation."""
    with at(date(2026, 4, 12)):
        ref = _open(desk, nation, date(2026, 4, 12))
    with at(date(2026, 5, 1)):
        extend(desk, org(nation), ref, Step(CASEWORKER, date(2026, 5, 1), "Numerous"))
        desk.commit()
    row = _row(desk, ref)
    assert (row.due_on, row.extension_notice_by) == (due, date(2026, 5, 12))


@pytest.mark.parametrize("nation", NATIONS)
def test_clarification_vector(desk: UnitOfWork, nation: str) -> None:
    """SAR-06 vector: received 2026-03-02, asked 03-10, answered 03-19 (9 days stopped):
    2 Apr + 9 = 11 Apr, a Saturday -> 13 Apr 2026 in every nation (Easter is earlier)."""
    with at(date(2026, 3, 2)):
        ref = _open(desk, nation, date(2026, 3, 2))
    with at(date(2026, 3, 10)):
        step = Step(CASEWORKER, date(2026, 3, 10), "Which years of statements?")
        ask_for_clarification(desk, org(nation), ref, step)
        desk.commit()
    assert _row(desk, ref).state == "awaiting_clarification"
    with at(date(2026, 3, 19)):
        clarification_received(desk, org(nation), ref, Step(CASEWORKER, date(2026, 3, 19)))
        desk.commit()
    row = _row(desk, ref)
    assert (row.state, row.paused_days, row.due_on, row.extension_notice_by) == (
        "in_progress",
        9,
        date(2026, 4, 13),
        date(2026, 4, 13),
    )


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        ("ENG", date(2026, 7, 13)),
        ("WLS", date(2026, 7, 13)),
        ("SCT", date(2026, 7, 13)),
        ("NIR", date(2026, 7, 14)),
    ],
)
def test_identity_asked_then_provided_moves_the_start(
    desk: UnitOfWork, nation: str, due: date
) -> None:
    """SAR-05: received 1 Jun 2026, identity asked 2 Jun: no clock; evidence in on 12 Jun:
    one month from 12 Jun is 12 Jul (a Sunday) -> 13 Jul, and 14 Jul in Northern Ireland."""
    with at(date(2026, 6, 1)):
        ref = _open(desk, nation, date(2026, 6, 1))
    assert _row(desk, ref).due_on == date(2026, 7, 1)
    with at(date(2026, 6, 2)):
        ask_for_identity(desk, org(nation), ref, Step(CASEWORKER, date(2026, 6, 2)))
        desk.commit()
    row = _row(desk, ref)
    assert (row.state, row.clock_starts_on, row.due_on) == ("awaiting_identity", None, None)
    with at(date(2026, 6, 12)):
        verify_identity(desk, org(nation), ref, "document", Step(CASEWORKER, date(2026, 6, 12)))
        desk.commit()
    row = _row(desk, ref)
    assert (row.state, row.clock_starts_on, row.due_on) == ("in_progress", date(2026, 6, 12), due)


def test_evidence_cannot_be_dated_after_today(desk: UnitOfWork) -> None:
    """SAR-05: the start moves to the day the evidence arrived, never a day still to come."""
    with at(date(2026, 6, 1)):
        ref = _open(desk, "SCT", date(2026, 6, 1))
        ask_for_identity(desk, org("SCT"), ref, Step(CASEWORKER, date(2026, 6, 1)))
        desk.commit()
    with at(date(2026, 6, 11)), pytest.raises(RequestInvalid, match="after today"):
        verify_identity(desk, org("SCT"), ref, "document", Step(CASEWORKER, date(2026, 6, 12)))
    desk.rollback()
    assert _row(desk, ref).clock_starts_on is None


@pytest.mark.parametrize("nation", NATIONS)
def test_a_refusal_needs_a_reason(desk: UnitOfWork, nation: str) -> None:
    """SAR-08: refused without a reason changes nothing; with one, the request is refused,
    audited, and its reason never written into the chain."""
    with at(date(2026, 5, 1)):
        ref = _open(desk, nation, date(2026, 5, 1))
    events = _audit_count(desk)
    with at(date(2026, 5, 4)):
        for note in (None, ""):
            with pytest.raises(RequestInvalid, match="reason"):
                refuse(
                    desk,
                    org(nation),
                    ref,
                    Step(CASEWORKER, date(2026, 5, 4), note),
                    reason="manifestly_excessive",
                )
            desk.rollback()
        assert (_row(desk, ref).state, _audit_count(desk)) == ("received", events)
        refuse(
            desk,
            org(nation),
            ref,
            Step(CASEWORKER, date(2026, 5, 4), "Manifestly excessive"),
            reason="manifestly_unfounded",
        )
        desk.commit()
    row = _row(desk, ref)
    assert (row.state, row.outcome) == ("refused", "refused")
    refused = desk.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.refused")
    ).one()
    assert refused.entity_id == ref
    assert "excessive" not in str(refused.details)  # the code only, never the words
    assert refused.details["reason"] == "manifestly_unfounded"
    # The refusal letter (with the routes to complain) is on its way: by post, no email here.
    assert (
        desk.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first()
        == "request.letter_to_post"
    )
    assert verify(desk.session).intact


def test_a_fee_needs_a_reason_too(desk: UnitOfWork) -> None:
    """SAR-08 (a reasonable fee instead of a refusal): asked without a reason is refused."""
    with at(date(2026, 5, 1)):
        ref = _open(desk, "WLS", date(2026, 5, 1))
        with pytest.raises(RequestInvalid, match="fee"):
            ask_for_fee(desk, org("WLS"), ref, Step(CASEWORKER, date(2026, 5, 1)))
        desk.rollback()
    assert _row(desk, ref).state == "received"


def _same_deadline(desk: UnitOfWork, right: str) -> None:
    """Received 17 Feb 2026 in Northern Ireland: due 18 Mar (17 Mar is St Patrick's Day);
    extended, 17 May (a Sunday) -> 18 May, as for access (SAR-01..04)."""
    with at(date(2026, 2, 17)):
        ref = _open(desk, "NIR", date(2026, 2, 17), (right,))
    row = _row(desk, ref)
    assert (row.rights, row.due_on) == ([right], date(2026, 3, 18))
    with at(date(2026, 3, 2)):
        extend(desk, org("NIR"), ref, Step(CASEWORKER, date(2026, 3, 2), "Complex"))
        desk.commit()
    assert _row(desk, ref).due_on == date(2026, 5, 18)


def test_rectification_shares_the_deadline(desk: UnitOfWork) -> None:
    """SAR-09: rectification."""
    _same_deadline(desk, "rectification")


def test_erasure_shares_the_deadline(desk: UnitOfWork) -> None:
    """SAR-09: erasure."""
    _same_deadline(desk, "erasure")


def test_restriction_shares_the_deadline(desk: UnitOfWork) -> None:
    """SAR-09: restriction."""
    _same_deadline(desk, "restriction")


def test_portability_shares_the_deadline(desk: UnitOfWork) -> None:
    """SAR-09: portability."""
    _same_deadline(desk, "portability")


def test_objection_shares_the_deadline(desk: UnitOfWork) -> None:
    """SAR-09: objection."""
    _same_deadline(desk, "objection")


def test_objection_to_direct_marketing_shares_the_deadline(desk: UnitOfWork) -> None:
    """SAR-09: objection (to direct marketing)."""
    _same_deadline(desk, "objection_direct_marketing")


def test_access_sets_the_deadline_the_others_share(desk: UnitOfWork) -> None:
    """SAR-09: the reference, access itself."""
    _same_deadline(desk, "access")


@pytest.mark.parametrize(
    "channel", ["portal", "email", "post", "phone", "in_person", "social_media", "api", "batch"]
)
def test_a_request_arrives_by_any_channel(desk: UnitOfWork, channel: str) -> None:
    """SAR-10: any channel, written or spoken, including social media; the same clock."""
    with at(date(2026, 12, 3)):
        ref = _open(desk, "SCT", date(2026, 12, 1), channel=channel)
    row = _row(desk, ref)
    assert (row.channel, row.due_on) == (channel, date(2027, 1, 5))


def test_an_unknown_channel_is_refused(desk: UnitOfWork) -> None:
    """SAR-10 lists the ways a request arrives; anything else is a typing mistake."""
    with at(date(2026, 12, 3)), pytest.raises(RequestInvalid, match="channel"):
        _open(desk, "SCT", date(2026, 12, 1), channel="pigeon")
    desk.rollback()
    assert desk.session.scalars(select(RightsRequest)).all() == []


@pytest.mark.parametrize(
    "kind",
    [
        "solicitor",
        "claims_firm",
        "third_party_portal",
        "attorney",
        "deputy",
        "parent",
        "other_representative",
    ],
)
def test_a_representative_needs_authority(desk: UnitOfWork, kind: str) -> None:
    """SAR-10: someone acting for the subject shows their authority; without it, no request."""
    acting = Requester(name="A. Solicitor", on_behalf_of="Jane Doe", authority="")
    with at(date(2026, 3, 4)):
        with pytest.raises(RequestInvalid, match="authority"):
            open_request(
                desk,
                NewRequest(org("ENG"), ("access",), "post", date(2026, 3, 2), acting, kind),
                actor=CASEWORKER,
            )
        desk.rollback()
        assert desk.session.scalars(select(RightsRequest)).all() == []
        signed = Requester(name="A. Solicitor", on_behalf_of="Jane Doe", authority="Signed form")
        row = open_request(
            desk,
            NewRequest(org("ENG"), ("access",), "post", date(2026, 3, 2), signed, kind),
            actor=CASEWORKER,
        )
        desk.commit()
    # The clock runs from the day the representative's request arrived.
    assert (row.requester_kind, row.due_on) == (kind, date(2026, 4, 2))


@pytest.mark.parametrize("nation", NATIONS)
def test_a_request_about_a_deceased_person_is_closed(desk: UnitOfWork, nation: str) -> None:
    """SAR-10: the data of deceased people is outside UK GDPR: the request closes with that
    outcome (the letter says so), and a closed request cannot be closed so again."""
    with at(date(2026, 5, 1)):
        ref = _open(desk, nation, date(2026, 5, 1))
    with at(date(2026, 5, 5)):
        close(desk, org(nation), ref, Step(CASEWORKER, date(2026, 5, 5)), deceased=True)
        desk.commit()
        row = _row(desk, ref)
        assert (row.state, row.outcome) == ("closed", "deceased")
        with pytest.raises(TransitionRefused):
            close(desk, org(nation), ref, Step(CASEWORKER, date(2026, 5, 5)), deceased=True)
        desk.rollback()
