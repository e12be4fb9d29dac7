"""The decision function on the example registers and the shop fixture (both backends)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from consent_support import SHOP, SHOP_FILE, customer, load_shop
from sqlalchemy import func, select

from dataward.clock import FixedClock
from dataward.consent.decisions import Ask, decide, decide_many
from dataward.consent.errors import (
    ConsentWithdrawn,
    TpsImportInvalid,
    UnknownChannel,
    UnknownPurpose,
)
from dataward.consent.models import TpsNumber
from dataward.consent.records import give_consent, withdraw_consent
from dataward.consent.rules import Decision
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


def test_an_identity_no_subject_holds_is_not_allowed_on_legitimate_interests(
    uow: UnitOfWork,
) -> None:
    # RULES: MKT-04, LAW-01 (a subject would be allowed both; a stranger is neither)
    load_shop(uow)
    customer(uow, "ann@example.com")
    assert decide(uow, SHOP, ("email", "ann@example.com"), "offers", "post").allow
    assert decide(uow, SHOP, ("email", "ann@example.com"), "fraud_checks").allow
    post = decide(uow, SHOP, ("email", "nobody@example.com"), "offers", "post")
    assert not post.allow
    assert post.code == "no_subject"
    assert post.records == []
    assert post.reasons == [
        "no subject holds this identity: nothing is on record for the person",
        "the register is silent about marketing to people it does not know, so none is allowed",
    ]
    fraud = decide(uow, SHOP, ("email", "nobody@example.com"), "fraud_checks")
    assert (fraud.allow, fraud.code) == (False, "no_subject")
    # A number on no list is still nobody's: it is not screened into a "yes".
    import_list(uow, "tps", io.StringIO("07911123456\n"))
    call = decide(uow, SHOP, ("phone", "07400 999888"), "offers", "live_call")
    assert (call.allow, call.code) == (False, "no_subject")


def test_special_category_data_needs_its_conditions_before_a_decision(uow: UnitOfWork) -> None:
    # RULES: LAW-03
    health = (
        "  - {id: health, name: Health notes, special_category: health, "
        "subject_groups: [customers]}\n"
    )
    care = (
        "  - id: care\n    name: Care for vulnerable customers\n"
        "    subject_groups: [customers]\n    categories: [health]\n"
        "    bases: [{basis: legitimate_interests, legitimate_interest: Care., lia_reference: L}]\n"
    )
    text = SHOP_FILE.read_text(encoding="utf-8")
    text = text.replace("purposes:\n", health + "purposes:\n" + care, 1)
    load_shop(uow, text)
    ref = customer(uow)
    refused = decide(uow, SHOP, ref, "care")
    assert not refused.allow
    assert refused.code == "no_art9_condition"
    assert refused.rules == ["LAW-03"]
    conditions = (
        "    special_conditions:\n      - categories: [health]\n"
        "        condition: substantial_public_interest\n"
        "        schedule_1: {part: 2, paragraph: 18, name: Safeguarding}\n"
    )
    load_shop(uow, text.replace(care, care + conditions))
    assert decide(uow, SHOP, ref, "care").code == "no_policy_document"
    document = "        appropriate_policy_document: APD 2026\n"
    load_shop(uow, text.replace(care, care + conditions + document))
    allowed = decide(uow, SHOP, ref, "care")
    assert (allowed.allow, allowed.code) == (True, "lawful_basis")


def test_jtr_vulnerability_checks_wait_for_a_schedule_1_condition(uow: UnitOfWork) -> None:
    # RULES: LAW-03 (the notice names Art 9(2)(g) and no Sch 1 paragraph)
    _example(uow, "jtr-collections.yaml")
    org = "jtr_collections"
    ref = add_subject(uow, org, ["customers"], [("email", "a@example.com")]).ref
    refused = decide(uow, org, ref, "vulnerability_assessment")
    assert not refused.allow
    assert refused.code == "no_schedule_1_condition"
    assert "Art 9(2)(g)" in refused.reasons[0]
    # Its other purposes are untouched: the research purpose uses no special category data.
    assert decide(uow, org, ref, "bwv_research").allow


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
    # RULES: MKT-02
    load_shop(uow)
    listed = customer(uow, "l@example.com", phone="07911 123456")
    free = customer(uow, "f@example.com", phone="07400 123456")
    nophone = customer(uow, "n@example.com")
    import_list(uow, "tps", io.StringIO("number\n07911123456\n+44 20 7946 0018\n"))
    on_list = decide(uow, SHOP, listed, "offers", "live_call")
    assert not on_list.allow
    assert on_list.code == "tps_listed"
    assert on_list.rules == ["MKT-02"]
    assert decide(uow, SHOP, free, "offers", "live_call").allow
    assert decide(uow, SHOP, nophone, "offers", "live_call").code == "no_number"
    by_phone = decide(uow, SHOP, ("phone", "07911 123456"), "offers", "live_call")
    assert by_phone.code == "tps_listed"
    assert by_phone.subject_ref == listed
    give_consent(uow, SHOP, listed, "offers", channel="live_call", method="phone", evidence="x")
    assert decide(uow, SHOP, listed, "offers", "live_call").allow


def test_live_calls_need_a_list_imported_within_28_days(uow: UnitOfWork, clock: FixedClock) -> None:
    # RULES: MKT-02 (screen against a copy no older than 28 days)
    load_shop(uow)
    ref = customer(uow, "f@example.com", phone="07400 123456")
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    import_list(uow, "tps", io.StringIO("07911123456\n"))
    clock.set(datetime(2026, 3, 30, 9, 0, tzinfo=UTC))  # 28 days on
    assert decide(uow, SHOP, ref, "offers", "live_call").allow
    clock.set(datetime(2026, 3, 31, 9, 0, tzinfo=UTC))  # 29 days on
    stale = decide(uow, SHOP, ref, "offers", "live_call")
    assert not stale.allow
    assert stale.code == "tps_not_screened"
    assert stale.rules == ["MKT-02"]
    assert stale.reasons == [
        "the TPS list was last imported on 2026-03-02 09:00 UTC, 29 days ago: screening "
        "needs a copy no older than 28 days: with no screening, no marketing call"
    ]
    # A new import is seen by the next decision.
    import_list(uow, "tps", io.StringIO("07911123456\n"), mode="add")
    assert decide(uow, SHOP, ref, "offers", "live_call").allow


def test_live_calls_are_refused_when_no_list_was_ever_imported(uow: UnitOfWork) -> None:
    # RULES: MKT-02 (with no screening, no marketing call)
    load_shop(uow)
    ref = customer(uow, "f@example.com", phone="07400 123456")
    answers = decide_many(uow, SHOP, [Ask("offers", "live_call", subject_ref=ref)] * 2)
    for answer in answers:
        assert isinstance(answer, Decision)
        assert answer.code == "tps_not_screened"
        assert "no TPS or CTPS list has been imported" in answer.reasons[0]
    # Other channels do not depend on the lists.
    assert decide(uow, SHOP, ref, "offers", "post").allow


def test_a_stale_list_of_two_refuses_calls(uow: UnitOfWork, clock: FixedClock) -> None:
    # RULES: MKT-02 (each copy screened against must be current)
    load_shop(uow)
    ref = customer(uow, "f@example.com", phone="07400 123456")
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    import_list(uow, "ctps", io.StringIO("02079460018\n"))
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    import_list(uow, "tps", io.StringIO("07911123456\n"))
    refused = decide(uow, SHOP, ref, "offers", "live_call")
    assert refused.code == "tps_not_screened"
    assert "the CTPS list was last imported on 2026-01-05" in refused.reasons[0]


def test_consent_to_calls_allows_them_without_any_list(uow: UnitOfWork) -> None:
    # RULES: MKT-02 ("unless the person consented to calls from this organisation")
    load_shop(uow)
    ref = customer(uow, "f@example.com", phone="07400 123456")
    give_consent(uow, SHOP, ref, "offers", channel="live_call", method="phone", evidence="x")
    allowed = decide(uow, SHOP, ref, "offers", "live_call")
    assert allowed.allow
    assert allowed.code == "consented"


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
