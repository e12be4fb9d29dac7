"""Someone acting for the subject: their authority, asked for, checked and recorded (issue 16).

Rules: SAR-10 (who may ask; a parent for a child; Scotland presumes competence from 12),
SAR-05 (asking for the authority moves the clock start). Dates are explicit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, SHOP_FILE, customer, load_shop
from request_support import finish_tasks
from sqlalchemy import select, text

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.outbox.config import MailSettings
from dataward.outbox.service import open_message
from dataward.requests.authority import (
    AuthorityCheck,
    Evidence,
    ask_for_authority,
    authority_of,
    description_of,
    receive_authority,
    record_authority,
)
from dataward.requests.authority_models import RequestAuthority
from dataward.requests.errors import (
    AuthorityNotAccepted,
    CompetenceNotAssessed,
    RequestInvalid,
    TransitionRefused,
)
from dataward.requests.messages import message_requester, reply_addresses
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject, respond, verify_identity
from dataward.uow import UnitOfWork

FIRM = Requester(
    name="Sam Law", email="sam@firm.example", on_behalf_of="Jane Doe", authority="letter"
)
CASE = "user:u_case"
SIGNED = "Form of authority signed by Jane Doe on 28 January 2026"


def _shop(uow: UnitOfWork, clock: FixedClock, nation: str = "ENG") -> UnitOfWork:
    source = SHOP_FILE.read_text(encoding="utf-8")
    assert "nation: ENG" in source
    load_shop(uow, source.replace("nation: ENG", f"nation: {nation}"))
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    return _shop(uow, clock)


def _open(uow: UnitOfWork, kind: str, received: date = date(2026, 5, 1)) -> str:
    new = NewRequest(SHOP, ("access",), "post", received, FIRM, kind)
    row = open_request(uow, new, actor=CASE)
    uow.commit()
    return row.ref


def _row(uow: UnitOfWork, ref: str) -> RightsRequest:
    found = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
    uow.session.refresh(found)
    return found


def _accept(**changes: object) -> AuthorityCheck:
    values: dict[str, object] = {
        "outcome": "accepted",
        "evidence": "signed_authority",
        "description": SIGNED,
        **changes,
    }
    return AuthorityCheck(**values)  # type: ignore[arg-type]


def test_it_waits_for_the_authority_then_starts_the_clock(shop: UnitOfWork) -> None:
    """SAR-05: received 30 Jan, authority asked 2 Feb and accepted 31 Mar -> due 30 Apr."""
    ref = _open(shop, "solicitor", date(2026, 1, 30))
    ask_for_authority(shop, SHOP, ref, Step(CASE, date(2026, 2, 2)))
    shop.commit()
    waiting = _row(shop, ref)
    assert (waiting.state, waiting.clock_starts_on, waiting.due_on) == (
        "awaiting_identity",
        None,
        None,
    )
    record_authority(shop, SHOP, ref, _accept(), Step(CASE, date(2026, 3, 31)))
    shop.commit()
    row = _row(shop, ref)
    assert (row.state, row.clock_starts_on, row.due_on) == (
        "in_progress",
        date(2026, 3, 31),
        date(2026, 4, 30),
    )
    actions = shop.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == ref).order_by(AuditEvent.seq)
    ).all()
    assert actions == [
        "request.received",
        "request.authority_requested",
        "request.authority_recorded",
    ]
    assert verify(shop.session).intact


def test_the_description_is_sealed_and_never_audited(shop: UnitOfWork) -> None:
    ref = _open(shop, "solicitor")
    record_authority(shop, SHOP, ref, _accept(), Step(CASE, date(2026, 5, 2)))
    shop.commit()
    raw = shop.session.execute(
        text(
            "SELECT a.description_sealed FROM request_authorities a "
            "JOIN rights_requests r ON r.id = a.request_id WHERE r.ref = :r"
        ),
        {"r": ref},
    ).scalar_one()
    assert b"Jane" not in bytes(raw)
    row = _row(shop, ref)
    authority = authority_of(shop, row)
    assert authority is not None
    assert description_of(shop, row, authority) == SIGNED
    assert (authority.outcome, authority.checked_on, authority.checked_by) == (
        "accepted",
        date(2026, 5, 2),
        CASE,
    )
    details = shop.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "request.authority_recorded")
    ).one()
    assert details["outcome"] == "accepted"
    assert details["evidence"] == "signed_authority"
    assert "Jane" not in str(details)
    # Accepted without being asked for: the clock ran from receipt all along (SAR-01).
    assert row.clock_starts_on == date(2026, 5, 1)


def test_a_representative_is_answered_only_once_the_authority_is_accepted(
    shop: UnitOfWork,
) -> None:
    """SAR-10: respond refuses until the authority is accepted, and changes nothing."""
    ref = _open(shop, "claims_firm")
    verify_identity(shop, SHOP, ref, "document", Step(CASE, date(2026, 5, 2)))
    shop.commit()
    with pytest.raises(AuthorityNotAccepted, match="authority"):
        respond(shop, SHOP, ref, Step(CASE, date(2026, 5, 3)))
    shop.rollback()
    record_authority(shop, SHOP, ref, _accept(outcome="not_enough"), Step(CASE, date(2026, 5, 3)))
    shop.commit()
    with pytest.raises(AuthorityNotAccepted):
        respond(shop, SHOP, ref, Step(CASE, date(2026, 5, 4)))
    shop.rollback()
    assert _row(shop, ref).state == "in_progress"
    record_authority(shop, SHOP, ref, _accept(), Step(CASE, date(2026, 5, 5)))
    finish_tasks(shop, SHOP, ref)  # SAR-07: the response is put together first
    respond(shop, SHOP, ref, Step(CASE, date(2026, 5, 6)))
    shop.commit()
    assert _row(shop, ref).state == "responded"


def test_the_subject_asking_for_themselves_needs_no_authority(shop: UnitOfWork) -> None:
    new = NewRequest(SHOP, ("access",), "post", date(2026, 5, 1), Requester(name="Jane"))
    ref = open_request(shop, new, actor=CASE).ref
    shop.commit()
    with pytest.raises(TransitionRefused, match="asked themselves"):
        ask_for_authority(shop, SHOP, ref, Step(CASE, date(2026, 5, 2)))
    shop.rollback()
    with pytest.raises(TransitionRefused, match="asked themselves"):
        record_authority(shop, SHOP, ref, _accept(), Step(CASE, date(2026, 5, 2)))
    shop.rollback()
    verify_identity(shop, SHOP, ref, "document", Step(CASE, date(2026, 5, 2)))
    finish_tasks(shop, SHOP, ref)  # SAR-07: the response is put together first
    respond(shop, SHOP, ref, Step(CASE, date(2026, 5, 3)))  # no authority asked of them
    shop.commit()
    assert _row(shop, ref).state == "responded"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"outcome": "maybe"}, "outcome must be"),
        ({"evidence": "a hunch"}, "evidence must be"),
        ({"description": "   "}, "describe the authority"),
        ({"replies_to": "anyone"}, "replies to must be"),
        ({"child_age_band": "12_to_15"}, "only for a parent"),
        ({"competence": "assessed_competent"}, "only for a parent"),
    ],
)
def test_a_bad_check_is_refused_and_records_nothing(
    shop: UnitOfWork, change: dict[str, object], words: str
) -> None:
    ref = _open(shop, "solicitor")
    with pytest.raises(RequestInvalid, match=words):
        record_authority(shop, SHOP, ref, _accept(**change), Step(CASE, date(2026, 5, 2)))
    shop.rollback()
    assert shop.session.scalars(select(RequestAuthority)).all() == []
    assert _row(shop, ref).state == "received"


def test_a_scottish_child_of_twelve_is_presumed_competent(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """SAR-10, DPA 2018 s208: 12 on the day the request arrived, in Scotland."""
    shop = _shop(uow, clock, "SCT")
    ref = _open(shop, "parent", date(2026, 5, 1))
    check = _accept(
        evidence="parental_responsibility",
        child_born_on=date(2014, 5, 1),  # twelve that very day
        child_agreed=True,
    )
    record_authority(shop, SHOP, ref, check, Step(CASE, date(2026, 5, 2)))
    shop.commit()
    authority = authority_of(shop, _row(shop, ref))
    assert authority is not None
    assert (authority.competence, authority.child_agreed) == ("presumed_competent", True)
    # A day younger: eleven on the day it arrived, so no presumption: it must be assessed.
    younger = _open(shop, "parent", date(2026, 5, 1))
    with pytest.raises(CompetenceNotAssessed, match="under 12"):
        record_authority(
            shop,
            SHOP,
            younger,
            _accept(evidence="parental_responsibility", child_born_on=date(2014, 5, 2)),
            Step(CASE, date(2026, 5, 2)),
        )


def test_an_english_child_of_twelve_needs_an_assessment(shop: UnitOfWork) -> None:
    """SAR-10: outside Scotland there is no presumption at 12; a caseworker assesses."""
    ref = _open(shop, "parent")
    check = _accept(evidence="parental_responsibility", child_age_band="12_to_15")
    with pytest.raises(CompetenceNotAssessed, match="outside Scotland"):
        record_authority(shop, SHOP, ref, check, Step(CASE, date(2026, 5, 2)))
    shop.rollback()
    assert shop.session.scalars(select(RequestAuthority)).all() == []
    not_competent = _accept(
        evidence="parental_responsibility", child_age_band="12_to_15", competence="not_competent"
    )
    record_authority(shop, SHOP, ref, not_competent, Step(CASE, date(2026, 5, 2)))
    verify_identity(shop, SHOP, ref, "document", Step(CASE, date(2026, 5, 2)))
    finish_tasks(shop, SHOP, ref)  # SAR-07: the response is put together first
    respond(shop, SHOP, ref, Step(CASE, date(2026, 5, 3)))  # the parent acts for the child
    shop.commit()
    authority = authority_of(shop, _row(shop, ref))
    assert authority is not None
    assert (authority.competence, authority.child_agreed) == ("not_competent", None)


def test_a_competent_child_must_agree_before_the_parent_is_answered(shop: UnitOfWork) -> None:
    """SAR-10: the parent acts for a competent child only with the child's agreement."""
    ref = _open(shop, "parent")
    competent = {
        "evidence": "parental_responsibility",
        "child_age_band": "16_or_17",
        "competence": "assessed_competent",
    }
    for agreed in (None, False):
        with pytest.raises(RequestInvalid, match="must agree"):
            record_authority(
                shop,
                SHOP,
                ref,
                _accept(**competent, child_agreed=agreed),
                Step(CASE, date(2026, 5, 2)),
            )
        shop.rollback()
    assert shop.session.scalars(select(RequestAuthority)).all() == []
    # The child said no: the parent's authority is refused, and the parent is not answered.
    refused = _accept(**competent, outcome="refused", child_agreed=False)
    record_authority(shop, SHOP, ref, refused, Step(CASE, date(2026, 5, 2)))
    verify_identity(shop, SHOP, ref, "document", Step(CASE, date(2026, 5, 2)))
    shop.commit()
    with pytest.raises(AuthorityNotAccepted):
        respond(shop, SHOP, ref, Step(CASE, date(2026, 5, 3)))
    shop.rollback()
    record_authority(
        shop, SHOP, ref, _accept(**competent, child_agreed=True), Step(CASE, date(2026, 5, 4))
    )
    finish_tasks(shop, SHOP, ref)  # SAR-07: the response is put together first
    respond(shop, SHOP, ref, Step(CASE, date(2026, 5, 5)))
    shop.commit()
    assert _row(shop, ref).state == "responded"


def test_an_authority_cannot_be_asked_for_twice_or_once_accepted(shop: UnitOfWork) -> None:
    ref = _open(shop, "attorney")
    ask_for_authority(shop, SHOP, ref, Step(CASE, date(2026, 5, 2)))
    shop.commit()
    with pytest.raises(TransitionRefused, match="awaiting identity"):
        ask_for_authority(shop, SHOP, ref, Step(CASE, date(2026, 5, 3)))
    shop.rollback()
    with pytest.raises(RequestInvalid, match="before it was asked"):
        record_authority(
            shop,
            SHOP,
            ref,
            _accept(evidence="lasting_power_of_attorney"),
            Step(CASE, date(2026, 5, 1)),
        )
    shop.rollback()
    record_authority(
        shop, SHOP, ref, _accept(evidence="lasting_power_of_attorney"), Step(CASE, date(2026, 5, 4))
    )
    shop.commit()
    with pytest.raises(TransitionRefused, match="accepted already"):
        ask_for_authority(shop, SHOP, ref, Step(CASE, date(2026, 5, 5)))


def test_replies_go_only_where_the_authority_allows(shop: UnitOfWork) -> None:
    """SAR-10: an authority that sends replies to the subject: nothing is emailed to the
    representative (the caseworker writes to the subject); otherwise it is."""
    context = {"rights": ["a copy of your data (access)"], "received_on": "1 May 2026"}
    context |= {"due_on": "1 June 2026", "status_url": "", "next_step": ""}
    to_subject = _open(shop, "solicitor")
    record_authority(
        shop, SHOP, to_subject, _accept(replies_to="subject"), Step(CASE, date(2026, 5, 2))
    )
    to_both = _open(shop, "solicitor")
    record_authority(shop, SHOP, to_both, _accept(replies_to="both"), Step(CASE, date(2026, 5, 2)))
    shop.commit()
    kind = "request_acknowledged"
    # Not yet linked to the subject: nobody to email (the caseworker writes by post).
    assert message_requester(shop, _row(shop, to_subject), kind, context, actor=CASE) is None
    sent = message_requester(shop, _row(shop, to_both), kind, context, actor=CASE)
    assert sent is not None
    assert sent.request_id == _row(shop, to_both).id
    assert reply_addresses(shop, _row(shop, to_both)) == [FIRM.email]
    # Linked: the subject's own email on record gets the reply, and never the firm's alone.
    subject = customer(shop, "pat@example.com")
    for ref in (to_subject, to_both):
        link_subject(shop, SHOP, ref, subject, Step(CASE, date(2026, 5, 3)))
    shop.commit()
    assert reply_addresses(shop, _row(shop, to_subject)) == ["pat@example.com"]
    assert reply_addresses(shop, _row(shop, to_both)) == [FIRM.email, "pat@example.com"]
    to_pat = message_requester(shop, _row(shop, to_subject), kind, context, actor=CASE)
    assert to_pat is not None
    assert open_message(shop, to_pat, MailSettings(mail_from="dpo@shop.example"))["To"] == (
        "pat@example.com"
    )


def test_a_check_keeps_what_came_with_the_request(uow: UnitOfWork, clock: FixedClock) -> None:
    """A portal's line brought the evidence and the child's birthday; the caseworker's check
    adds only the outcome and the child's agreement (SAR-10, Scotland: presumed at 12)."""
    shop = _shop(uow, clock, "SCT")
    ref = _open(shop, "parent", date(2026, 5, 1))
    row = _row(shop, ref)
    evidence = Evidence(
        "parental_responsibility", "Birth certificate seen", "both", date(2013, 1, 9), None
    )
    receive_authority(shop, row, evidence, actor=CASE)
    shop.commit()
    check = AuthorityCheck(outcome="accepted", child_agreed=True)
    record_authority(shop, SHOP, ref, check, Step(CASE, date(2026, 5, 2)))
    shop.commit()
    authority = authority_of(shop, _row(shop, ref))
    assert authority is not None
    assert (authority.evidence, authority.replies_to, authority.child_born_on) == (
        "parental_responsibility",
        "both",
        date(2013, 1, 9),
    )
    assert authority.competence == "presumed_competent"  # 13 on the day it arrived
    assert description_of(shop, _row(shop, ref), authority) == "Birth certificate seen"
    actions = shop.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == ref).order_by(AuditEvent.seq)
    ).all()
    assert actions == [
        "request.received",
        "request.authority_received",
        "request.authority_recorded",
    ]
