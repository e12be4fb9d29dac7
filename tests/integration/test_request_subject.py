"""Finding the subject a request is about, and what takes effect at once (issue 16).

Rules: SAR-10 (a request opens whoever asked; the subject is linked later), OBJ-02 (an
objection to direct marketing is absolute and immediate on every channel), LAW-05 (consent
withdrawn as easily as given, at once). The clock is 1 June 2026; dates are explicit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, load_shop
from sqlalchemy import select

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.consent.decisions import decide
from dataward.consent.models import ConsentRecord, Objection
from dataward.consent.policy import CONTACT_CHANNELS
from dataward.consent.records import give_consent
from dataward.requests.matching import candidates_for, postcode_in, search_for_request
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject
from dataward.subjects.errors import InvalidIdentity
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

TODAY = date(2026, 6, 1)
CASEWORKER = "user:u_case"


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _subject(uow: UnitOfWork, *identities: tuple[str, str]) -> str:
    ref = add_subject(uow, SHOP, ["customers"], list(identities), actor="test").ref
    uow.commit()
    return ref


def _open(
    uow: UnitOfWork,
    requester: Requester,
    rights: tuple[str, ...] = ("access",),
    *,
    kind: str = "self",
    subject_ref: str | None = None,
    commit: bool = True,
) -> RightsRequest:
    row = open_request(
        uow,
        NewRequest(SHOP, rights, "email", date(2026, 5, 28), requester, kind, subject_ref),
        actor=CASEWORKER,
    )
    if commit:
        uow.commit()
    return row


# Finding the subject ------------------------------------------------------------------


def test_it_finds_the_subject_by_email_and_says_what_matched(shop: UnitOfWork) -> None:
    ann = _subject(
        shop, ("email", "ann@example.com"), ("name", "Ann Lee"), ("phone", "07400 123456")
    )
    row = _open(shop, Requester(name="Someone Else", email=" ANN@example.com "))
    found = candidates_for(shop, row)
    assert [c.ref for c in found.candidates] == [ann]
    assert found.candidates[0].matched == ("email",)
    assert found.candidates[0].score == 0.9
    # the subject's other identities: kinds only, never their values
    assert found.candidates[0].also_holds == ("name", "phone")
    assert not found.conflict


def test_it_finds_by_phone_and_name_and_scores_both(shop: UnitOfWork) -> None:
    ann = _subject(shop, ("name", "Ann Lee"), ("phone", "07400 123456"))
    other = _subject(shop, ("name", "Ann Lee"), ("email", "another.ann@example.com"))
    row = _open(shop, Requester(name="ann  LEE", phone="+44 7400 123456"))
    found = candidates_for(shop, row)
    assert [c.ref for c in found.candidates] == [ann, other]  # phone and name beat name
    assert found.candidates[0].matched == ("phone", "name")
    assert found.candidates[0].score == 0.82  # 1 - (1 - 0.7)(1 - 0.4)
    assert found.candidates[1].matched == ("name",)
    assert found.candidates[1].also_holds == ("email",)
    assert not found.conflict  # a shared name is no conflict: names are not distinctive


def test_it_reads_a_postcode_from_the_address(shop: UnitOfWork) -> None:
    assert postcode_in("12 High St, Leeds  ls1 4ap") == "LS1 4AP"
    assert postcode_in("no postcode here") is None
    bob = _subject(shop, ("postcode", "LS1 4AP"))
    row = _open(shop, Requester(name="Bob", address="12 High St, Leeds LS14AP"))
    found = candidates_for(shop, row)
    assert [(c.ref, c.matched) for c in found.candidates] == [(bob, ("postcode",))]
    assert "postcode" in found.searched


def test_email_to_one_subject_and_phone_to_another_is_a_conflict(shop: UnitOfWork) -> None:
    ann = _subject(shop, ("email", "ann@example.com"))
    bob = _subject(shop, ("phone", "07400 123456"))
    row = _open(shop, Requester(email="ann@example.com", phone="07400123456"))
    found = candidates_for(shop, row)
    assert found.conflict
    assert {c.ref: c.matched for c in found.candidates} == {ann: ("email",), bob: ("phone",)}


def test_a_household_phone_shared_with_the_right_subject_is_no_conflict(
    shop: UnitOfWork,
) -> None:
    ann = _subject(shop, ("email", "ann@example.com"), ("phone", "07400 123456"))
    _subject(shop, ("phone", "07400 123456"))  # someone else in the household
    row = _open(shop, Requester(email="ann@example.com", phone="07400123456"))
    found = candidates_for(shop, row)
    assert not found.conflict  # one subject holds both distinctive details
    assert found.candidates[0].ref == ann


def test_a_representative_is_matched_by_the_name_they_gave_for_the_subject(
    shop: UnitOfWork,
) -> None:
    ann = _subject(shop, ("name", "Ann Lee"))
    _subject(shop, ("email", "law@solicitors.example"))  # the solicitor is a customer too
    requester = Requester(
        name="Sol Icitor",
        email="law@solicitors.example",
        on_behalf_of="Ann Lee",
        authority="signed letter of authority",
    )
    row = _open(shop, requester, kind="solicitor")
    found = candidates_for(shop, row)
    assert [(c.ref, c.matched) for c in found.candidates] == [(ann, ("name",))]
    assert "email" not in found.searched  # the representative's own contact details


def test_nobody_found_leaves_the_request_open_and_linkable_later(shop: UnitOfWork) -> None:
    """SAR-10: an unknown requester still has a request; the caseworker links it later."""
    row = _open(shop, Requester(name="Nobody Known", email="nobody@example.com", phone="words"))
    found = candidates_for(shop, row)
    assert not found.found
    assert found.total == 0
    assert found.searched == ("email", "name")  # the phone could not be read: not searched
    assert row.state == "received"
    later = _subject(shop, ("email", "nobody@example.com"))
    link_subject(shop, SHOP, row.ref, later, Step(CASEWORKER, TODAY))
    shop.commit()
    assert shop.session.get(RightsRequest, row.id).subject_id is not None  # type: ignore[union-attr]
    linked = shop.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_id == row.ref, AuditEvent.action == "request.subject_linked"
        )
    ).one()
    assert linked.subject_ref == later
    assert linked.actor == CASEWORKER


def test_the_caseworker_searches_by_ref_or_by_one_identity(shop: UnitOfWork) -> None:
    ann = _subject(shop, ("email", "ann@example.com"), ("customer_ref", "C-100"))
    by_ref = search_for_request(shop, SHOP, "ref", ann)
    assert [(c.ref, c.matched) for c in by_ref.candidates] == [(ann, ("ref",))]
    assert search_for_request(shop, SHOP, "ref", "s_0000000000000000").total == 0
    by_ref_number = search_for_request(shop, SHOP, "customer_ref", "c-100")
    assert [c.ref for c in by_ref_number.candidates] == [ann]
    with pytest.raises(InvalidIdentity):
        search_for_request(shop, SHOP, "email", "not an email")
    with pytest.raises(InvalidIdentity):
        search_for_request(shop, SHOP, "shoe_size", "9")


# Taking effect at once ------------------------------------------------------------------


def test_an_objection_to_marketing_is_refused_at_once_on_every_channel(shop: UnitOfWork) -> None:
    """OBJ-02: absolute, immediate, every channel, before identity is verified."""
    ann = _subject(shop, ("email", "ann@example.com"))
    assert decide(shop, SHOP, ann, "offers", "post").allow  # legitimate interests, before
    row = _open(
        shop, Requester(email="ann@example.com"), ("objection_direct_marketing",), subject_ref=ann
    )
    assert row.identity_verified_on is None
    for channel in CONTACT_CHANNELS:
        decision = decide(shop, SHOP, ann, "offers", channel)
        assert not decision.allow, channel
        assert decision.code == "objected_to_marketing", channel
    # profiling for marketing, or marketing in general, asked without a channel: refused too
    assert decide(shop, SHOP, ann, "direct_marketing").code == "objected_to_marketing"
    objection = shop.session.scalars(select(Objection)).one()
    assert (objection.method, objection.channels, objection.outcome) == (
        "request",
        ["any"],
        "upheld",
    )
    events = shop.session.scalars(
        select(RequestEvent.action)
        .where(RequestEvent.request_id == row.id)
        .order_by(RequestEvent.seq)
    ).all()
    assert events == ["request.received", "request.took_effect"]
    took = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.took_effect")
    ).one()
    assert took.details["objection"] == objection.ref
    assert took.subject_ref == ann


def test_the_decision_answers_no_for_marketing_right_after_the_request_opens(
    shop: UnitOfWork,
) -> None:
    ann = _subject(shop, ("email", "ann@example.com"))
    give_consent(shop, SHOP, ann, "offers", method="web_form", evidence="ticked", channel="sms")
    shop.commit()
    assert decide(shop, SHOP, ("email", "ann@example.com"), "offers", "sms").allow
    _open(
        shop, Requester(email="ann@example.com"), ("objection_direct_marketing",), subject_ref=ann
    )
    assert not decide(shop, SHOP, ("email", "ann@example.com"), "offers", "sms").allow


def test_an_objection_applies_even_when_the_register_says_the_right_is_not_offered(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """OBJ-02 is absolute: a register cannot take it away (Art 21(3))."""
    from consent_support import SHOP_FILE

    text = SHOP_FILE.read_text(encoding="utf-8").replace(
        "{right: objection_direct_marketing, applies: always,",
        "{right: objection_direct_marketing, applies: not_applicable,",
    )
    load_shop(uow, text)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    ann = _subject(uow, ("email", "ann@example.com"))
    row = _open(uow, Requester(), ("objection_direct_marketing",), subject_ref=ann)
    assert row.not_offered == ["objection_direct_marketing"]
    assert not decide(uow, SHOP, ann, "offers", "post").allow


def test_a_consent_withdrawal_withdraws_every_consent_at_once(shop: UnitOfWork) -> None:
    ann = _subject(shop, ("email", "ann@example.com"))
    give_consent(shop, SHOP, ann, "loyalty_photos", method="paper", evidence="photo form")
    give_consent(shop, SHOP, ann, "offers", method="web_form", evidence="ticked", channel="sms")
    shop.commit()
    assert decide(shop, SHOP, ann, "loyalty_photos").allow
    _open(shop, Requester(words="Stop using my photos."), ("withdraw_consent",), subject_ref=ann)
    assert not decide(shop, SHOP, ann, "loyalty_photos").allow
    assert not decide(shop, SHOP, ann, "offers", "sms").allow
    records = shop.session.scalars(select(ConsentRecord)).all()
    assert {(r.purpose, r.state, r.method) for r in records} == {
        ("loyalty_photos", "withdrawn", "request"),
        ("offers", "withdrawn", "request"),
    }
    took = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.took_effect")
    ).one()
    assert set(took.details["consents_withdrawn"].split(",")) == {r.ref for r in records}
    assert "photos" not in str(took.details)  # the requester's words stay out of the chain


def test_linking_a_subject_later_applies_the_objection_then(shop: UnitOfWork) -> None:
    ann = _subject(shop, ("email", "ann@example.com"))
    row = _open(shop, Requester(email="ann@example.com"), ("objection_direct_marketing",))
    assert shop.session.scalars(select(Objection)).all() == []  # no subject yet: nothing
    assert decide(shop, SHOP, ann, "offers", "post").allow
    link_subject(shop, SHOP, row.ref, ann, Step(CASEWORKER, TODAY))
    assert not decide(shop, SHOP, ann, "offers", "post").allow
    assert shop.session.scalars(select(Objection.method)).one() == "request"
    # linked again: the objection in force already covers every channel; no second one
    link_subject(shop, SHOP, row.ref, ann, Step(CASEWORKER, TODAY))
    assert len(shop.session.scalars(select(Objection)).all()) == 1


def test_a_request_rolled_back_leaves_no_objection(
    shop: UnitOfWork, session_factory: object, clock: FixedClock, vault: object
) -> None:
    ann = _subject(shop, ("email", "ann@example.com"))
    _open(
        shop,
        Requester(email="ann@example.com"),
        ("objection_direct_marketing", "withdraw_consent"),
        subject_ref=ann,
        commit=False,
    )
    assert shop.session.scalars(select(Objection)).all() != []  # in this unit of work only
    shop.rollback()
    assert shop.session.scalars(select(Objection)).all() == []
    assert shop.session.scalars(select(RightsRequest)).all() == []
    assert decide(shop, SHOP, ann, "offers", "post").allow


def test_a_request_for_other_rights_changes_no_consent(shop: UnitOfWork) -> None:
    ann = _subject(shop, ("email", "ann@example.com"))
    give_consent(shop, SHOP, ann, "loyalty_photos", method="paper", evidence="photo form")
    shop.commit()
    row = _open(shop, Requester(), ("access", "erasure"), subject_ref=ann)
    assert shop.session.scalars(select(ConsentRecord.state)).one() == "given"
    assert shop.session.scalars(select(Objection)).all() == []
    actions = shop.session.scalars(
        select(RequestEvent.action).where(RequestEvent.request_id == row.id)
    ).all()
    assert actions == ["request.received"]
