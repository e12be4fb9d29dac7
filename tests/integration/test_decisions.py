"""The decision function on the example registers and the shop fixture (both backends)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from consent_support import SHOP, customer, load_shop
from sqlalchemy import func, select

from dataward.consent.decisions import Ask, decide, decide_many
from dataward.consent.errors import (
    ConsentWithdrawn,
    TpsImportInvalid,
    UnknownChannel,
    UnknownPurpose,
)
from dataward.consent.models import TpsNumber
from dataward.consent.records import give_consent, withdraw_consent
from dataward.consent.tps import import_list, uk_e164
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.subjects.errors import SubjectNotFound
from dataward.subjects.service import add_subject, merge_subjects, shred_subject
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(uow: UnitOfWork, name: str) -> None:
    path = EXAMPLES / name
    store_register(uow, parse_register(path.read_text(encoding="utf-8"), str(path)))


def test_jtr_refuses_every_marketing_use(uow: UnitOfWork) -> None:
    _example(uow, "jtr-collections.yaml")
    ref = add_subject(uow, "jtr_collections", ["customers"], [("email", "a@example.com")]).ref
    for channel in ("email", "sms", "live_call", "post"):
        decision = decide(uow, "jtr_collections", ref, "direct_marketing", channel)
        assert not decision.allow
        assert "no direct marketing" in decision.reasons[0]


def test_jjh_markets_by_email_only_on_opt_in(uow: UnitOfWork) -> None:
    _example(uow, "johnnie-johnson-housing.yaml")
    org = "johnnie_johnson_housing"
    ref = add_subject(uow, org, ["customers"], [("email", "t@example.com")]).ref
    assert not decide(uow, org, ref, "homes_marketing", "email").allow
    give_consent(uow, org, ref, "homes_marketing", channel="email", method="web_form", evidence="x")
    assert decide(uow, org, ref, "homes_marketing", "email").allow
    assert not decide(uow, org, ref, "homes_marketing", "post").allow


def test_r3_third_party_marketing_needs_consent(uow: UnitOfWork) -> None:
    _example(uow, "r3-repairs.yaml")
    org = "r3_repairs"
    ref = add_subject(uow, org, ["customers"], [("email", "c@example.com")]).ref
    refused = decide(uow, org, ref, "third_party_marketing", "email")
    assert not refused.allow
    assert "MKT-01" in refused.rules


def test_it_answers_by_identity_and_for_unknown_people(uow: UnitOfWork) -> None:
    load_shop(uow)
    ref = customer(uow, "ann@example.com")
    give_consent(uow, SHOP, ref, "offers", channel="sms", method="web_form", evidence="x")
    by_identity = decide(uow, SHOP, ("email", " Ann@Example.com "), "offers", "sms")
    assert by_identity.allow
    assert by_identity.subject_ref == ref
    stranger = decide(uow, SHOP, ("email", "nobody@example.com"), "offers", "sms")
    assert not stranger.allow
    assert stranger.subject_ref is None
    assert "no subject holds this identity" in stranger.reasons[0]


def test_it_reports_bad_questions_with_stable_codes(uow: UnitOfWork) -> None:
    load_shop(uow)
    ref = customer(uow)
    with pytest.raises(UnknownPurpose) as purpose:
        decide(uow, SHOP, ref, "world_domination")
    assert purpose.value.code == "purpose_unknown"
    with pytest.raises(UnknownChannel):
        decide(uow, SHOP, ref, "offers", "fax")
    answers = decide_many(
        uow, SHOP, [Ask("offers", "sms", subject_ref=ref), Ask("nope", subject_ref=ref)]
    )
    assert not isinstance(answers[0], Exception)
    assert isinstance(answers[1], UnknownPurpose)


def test_a_withdrawn_consent_cannot_be_relied_on(uow: UnitOfWork) -> None:
    load_shop(uow)
    ref = customer(uow)
    row = give_consent(uow, SHOP, ref, "offers", channel="sms", method="web_form", evidence="x")
    assert decide(uow, SHOP, ref, "offers", "sms", consent_ref=row.ref).allow
    withdraw_consent(uow, SHOP, ref, "offers", channel="sms", method="web_form")
    with pytest.raises(ConsentWithdrawn) as caught:
        decide(uow, SHOP, ref, "offers", "sms", consent_ref=row.ref)
    assert caught.value.code == "consent_withdrawn"


def test_live_calls_are_screened_against_tps_unless_consent(uow: UnitOfWork) -> None:
    load_shop(uow)
    listed = customer(uow, "l@example.com", phone="07911 123456")
    free = customer(uow, "f@example.com", phone="07400 123456")
    nophone = customer(uow, "n@example.com")
    import_list(uow, "tps", io.StringIO("number\n07911123456\n+44 20 7946 0018\n"))
    on_list = decide(uow, SHOP, listed, "offers", "live_call")
    assert not on_list.allow
    assert on_list.rules == ["MKT-02"]
    assert decide(uow, SHOP, free, "offers", "live_call").allow
    assert not decide(uow, SHOP, nophone, "offers", "live_call").allow
    by_phone = decide(uow, SHOP, ("phone", "020 7946 0018"), "offers", "live_call")
    assert not by_phone.allow
    assert "TPS" in by_phone.reasons[-1]
    give_consent(uow, SHOP, listed, "offers", channel="live_call", method="phone", evidence="x")
    assert decide(uow, SHOP, listed, "offers", "live_call").allow


def test_tps_import_refuses_a_bad_file_and_stores_digests_only(uow: UnitOfWork) -> None:
    with pytest.raises(TpsImportInvalid) as caught:
        import_list(uow, "ctps", io.StringIO("07911123456\nnot a number\n"))
    assert "lines 2" in caught.value.message
    uow.rollback()
    assert uow.session.scalar(select(func.count()).select_from(TpsNumber)) == 0
    import_list(uow, "ctps", io.StringIO("07911123456\n07911 123456\n"))
    digests = list(uow.session.scalars(select(TpsNumber.digest)))
    assert len(digests) == 1
    assert "7911" not in digests[0]
    import_list(uow, "ctps", io.StringIO("07400123456\n"), mode="replace")
    assert uow.session.scalar(select(func.count()).select_from(TpsNumber)) == 1


def test_uk_numbers_normalise_like_subject_phones() -> None:
    assert uk_e164("07911 123456") == "+447911123456"
    assert uk_e164("+44 20 7946 0018") == "+442079460018"
    assert uk_e164("0044 20 7946 0018") == "+442079460018"
    assert uk_e164("12345") is None


def test_it_follows_merges_and_forgets_shredded_people(uow: UnitOfWork) -> None:
    load_shop(uow)
    keep = customer(uow, "keep@example.com")
    gone = customer(uow, "gone@example.com")
    give_consent(uow, SHOP, keep, "offers", channel="sms", method="web_form", evidence="x")
    merge_subjects(uow, SHOP, keep, gone, actor="test")
    # The merged person's email now leads to the survivor and its consent.
    by_old_email = decide(uow, SHOP, ("email", "gone@example.com"), "offers", "sms")
    assert by_old_email.allow
    assert by_old_email.subject_ref == keep
    shred_subject(uow, SHOP, keep, actor="test")
    with pytest.raises(SubjectNotFound):
        decide(uow, SHOP, keep, "offers", "sms")
    after = decide(uow, SHOP, ("email", "keep@example.com"), "offers", "sms")
    assert not after.allow
    assert after.subject_ref is None


def test_a_shared_phone_is_refused_when_any_holder_refuses(uow: UnitOfWork) -> None:
    load_shop(uow)
    willing = customer(uow, "w@example.com", phone="07400 222333")
    customer(uow, "u@example.com", phone="07400 222333")
    give_consent(uow, SHOP, willing, "offers", channel="sms", method="web_form", evidence="x")
    shared = decide(uow, SHOP, ("phone", "07400 222333"), "offers", "sms")
    assert not shared.allow
    assert shared.subject_ref != willing
    answers = decide_many(
        uow,
        SHOP,
        [Ask("offers", "sms", subject_ref=willing), Ask("offers", "sms", subject_ref="s_nobody")],
    )
    assert not isinstance(answers[0], Exception)
    assert answers[0].allow
    assert isinstance(answers[1], SubjectNotFound)


def test_decide_known_answers_as_decide_does(uow: UnitOfWork) -> None:
    """The decision API's read on the event loop gives the answers of the usual path."""
    from dataward.consent.decisions import decide_known
    from dataward.consent.lookups import person_and_register
    from dataward.consent.objections import object_to_marketing, restrict
    from dataward.consent.policy import policy_for

    load_shop(uow)
    given = customer(uow, "given@example.com")
    give_consent(uow, SHOP, given, "offers", channel="sms", method="web_form", evidence="x")
    gone = customer(uow, "gone@example.com")
    give_consent(uow, SHOP, gone, "offers", channel="sms", method="web_form", evidence="x")
    withdraw_consent(uow, SHOP, gone, "offers", channel="sms", method="web_form")
    objected = customer(uow, "objected@example.com")
    object_to_marketing(uow, SHOP, objected, ["any"], method="phone")
    held = customer(uow, "held@example.com")
    restrict(uow, SHOP, held, [], "accuracy_contested")
    nothing = customer(uow, "nothing@example.com")
    for ref in (given, gone, objected, held, nothing):
        for channel in ("sms", "email", "post", None):
            people, newest = person_and_register(uow.session, SHOP, ref)
            policy = policy_for(uow, SHOP, newest=newest)
            ask = Ask("offers", channel, subject_ref=ref)
            assert decide_known(policy, ask, people) == decide(uow, SHOP, ref, "offers", channel)
    people, newest = person_and_register(uow.session, SHOP, "s_nobody")
    with pytest.raises(SubjectNotFound):
        decide_known(policy, Ask("offers", "sms", subject_ref="s_nobody"), people)
    with pytest.raises(ValueError, match="need no more"):
        decide_known(policy, Ask("offers", "live_call", subject_ref=given), people)
