"""Consent records, soft opt-in, preferences, objections and restriction (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from consent_support import SHOP, customer, load_shop
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.consent.decisions import decide
from dataward.consent.errors import (
    AlreadyWithdrawn,
    ConsentInvalid,
    ConsentNotBasis,
    RestrictionInvalid,
    SoftOptInRefused,
    UnknownChannel,
    UnknownPurpose,
)
from dataward.consent.models import ConsentRecord
from dataward.consent.objections import (
    decide_objection,
    lift_restriction,
    object_to_marketing,
    object_to_processing,
    restrict,
    tell_before_lifting,
)
from dataward.consent.preferences import record_soft_opt_in, set_preference
from dataward.consent.records import consent_records, give_consent, withdraw_consent
from dataward.uow import UnitOfWork


@pytest.fixture
def ann(uow: UnitOfWork) -> str:
    load_shop(uow)
    ref = customer(uow, phone="07911 123456")
    uow.commit()
    return ref


def _audit_count(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_it_records_consent_with_the_notice_version_and_sealed_evidence(
    uow: UnitOfWork, ann: str
) -> None:
    row = give_consent(
        uow, SHOP, ann, "loyalty_photos", method="web_form", evidence="ticked box on photo form"
    )
    uow.commit()
    assert row.notice_version == "2.0"
    assert row.evidence_sealed is not None
    assert b"ticked box" not in row.evidence_sealed
    [view] = consent_records(uow, SHOP, ann)
    assert view.evidence == {"statement": "ticked box on photo form"}
    assert [e.event for e in view.history] == ["given"]


def test_it_withdraws_at_once_and_keeps_the_history(
    uow: UnitOfWork, ann: str, clock: FixedClock
) -> None:
    give_consent(uow, SHOP, ann, "loyalty_photos", method="web_form", evidence="form")
    assert decide(uow, SHOP, ann, "loyalty_photos").allow
    clock.advance(timedelta(days=3))
    withdraw_consent(uow, SHOP, ann, "loyalty_photos", method="portal")
    decision = decide(uow, SHOP, ann, "loyalty_photos")
    assert not decision.allow
    assert "withdrawn" in decision.reasons[0]
    assert decision.rules == ["LAW-05"]
    [view] = consent_records(uow, SHOP, ann)
    assert [e.event for e in view.history] == ["given", "withdrawn"]
    assert view.evidence == {"statement": "form"}  # the earlier record is not erased
    with pytest.raises(AlreadyWithdrawn):
        withdraw_consent(uow, SHOP, ann, "loyalty_photos", method="portal")


def test_it_refuses_consent_for_a_purpose_not_resting_on_consent(uow: UnitOfWork, ann: str) -> None:
    before = _audit_count(uow)
    with pytest.raises(ConsentNotBasis) as caught:
        give_consent(uow, SHOP, ann, "fraud_checks", method="web_form", evidence="x")
    assert caught.value.code == "consent_not_basis"
    with pytest.raises(UnknownPurpose):
        give_consent(uow, SHOP, ann, "nope", method="web_form", evidence="x")
    with pytest.raises(UnknownChannel):
        give_consent(uow, SHOP, ann, "offers", channel="pigeon", method="web_form", evidence="x")
    with pytest.raises(ConsentInvalid):
        give_consent(uow, SHOP, ann, "offers", method="web_form", evidence="x")
    assert _audit_count(uow) == before
    assert uow.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_it_needs_a_sale_and_a_chance_to_refuse_for_soft_opt_in(uow: UnitOfWork, ann: str) -> None:
    with pytest.raises(SoftOptInRefused):
        record_soft_opt_in(
            uow,
            SHOP,
            ann,
            "offers",
            "email",
            sale_or_negotiation="order 1",
            refusal_offered=False,
            refused=False,
            method="web_form",
        )
    with pytest.raises(SoftOptInRefused):
        record_soft_opt_in(
            uow,
            SHOP,
            ann,
            "offers",
            "live_call",
            sale_or_negotiation="order 1",
            refusal_offered=True,
            refused=False,
            method="web_form",
        )
    assert not decide(uow, SHOP, ann, "offers", "email").allow
    record_soft_opt_in(
        uow,
        SHOP,
        ann,
        "offers",
        "email",
        sale_or_negotiation="order 1",
        refusal_offered=True,
        refused=False,
        method="web_form",
    )
    decision = decide(uow, SHOP, ann, "offers", "email")
    assert decision.allow
    assert decision.rules == ["MKT-01"]
    assert len(decision.records) == 1


def test_an_objection_to_marketing_is_absolute_on_the_channels_it_names(
    uow: UnitOfWork, ann: str
) -> None:
    give_consent(uow, SHOP, ann, "offers", channel="sms", method="web_form", evidence="x")
    give_consent(uow, SHOP, ann, "partner_offers", channel="email", method="web_form", evidence="x")
    assert decide(uow, SHOP, ann, "offers", "sms").allow
    objection = object_to_marketing(uow, SHOP, ann, ["sms"], method="phone")
    decision = decide(uow, SHOP, ann, "offers", "sms")
    assert not decision.allow
    assert decision.rules == ["OBJ-02"]
    assert decision.records == [objection.ref]
    assert decide(uow, SHOP, ann, "partner_offers", "email").allow
    give_consent(uow, SHOP, ann, "offers", channel="sms", method="web_form", evidence="again")
    assert not decide(uow, SHOP, ann, "offers", "sms").allow


def test_an_li_objection_stops_processing_until_compelling_grounds(
    uow: UnitOfWork, ann: str
) -> None:
    assert decide(uow, SHOP, ann, "fraud_checks").allow
    objection = object_to_processing(uow, SHOP, ann, ["fraud_checks"], method="email")
    pending = decide(uow, SHOP, ann, "fraud_checks")
    assert not pending.allow
    assert pending.rules == ["OBJ-01"]
    with pytest.raises(ConsentInvalid.__mro__[1]):  # ValidationFailed: unknown outcome
        decide_objection(uow, SHOP, objection.ref, "maybe", "x")
    decide_objection(uow, SHOP, objection.ref, "compelling_grounds", "fraud pattern found")
    after = decide(uow, SHOP, ann, "fraud_checks")
    assert after.allow
    assert objection.ref in after.records


def test_restriction_refuses_everything_until_lifted_after_telling(
    uow: UnitOfWork, ann: str
) -> None:
    give_consent(uow, SHOP, ann, "loyalty_photos", method="web_form", evidence="x")
    row = restrict(uow, SHOP, ann, [], "accuracy_contested")
    for purpose in ("sales", "loyalty_photos", "fraud_checks"):
        decision = decide(uow, SHOP, ann, purpose)
        assert not decision.allow
        assert decision.rules == ["RES-01"]
    with pytest.raises(RestrictionInvalid):
        lift_restriction(uow, SHOP, row.ref)
    tell_before_lifting(uow, SHOP, row.ref)
    lift_restriction(uow, SHOP, row.ref)
    assert decide(uow, SHOP, ann, "sales").allow


def test_a_preference_that_asks_is_off_until_turned_on(uow: UnitOfWork, ann: str) -> None:
    assert not decide(uow, SHOP, ann, "surveys", "email").allow
    set_preference(uow, SHOP, ann, "survey_invitations", True, method="portal")
    assert decide(uow, SHOP, ann, "surveys", "email").allow
    set_preference(uow, SHOP, ann, "survey_invitations", False, method="portal")
    assert not decide(uow, SHOP, ann, "surveys", "email").allow


def test_every_change_goes_to_the_audit_chain(uow: UnitOfWork, ann: str) -> None:
    give_consent(uow, SHOP, ann, "loyalty_photos", method="web_form", evidence="secret words")
    withdraw_consent(uow, SHOP, ann, "loyalty_photos", method="portal")
    object_to_marketing(uow, SHOP, ann, ["any"], method="phone")
    actions = list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-3:] == [
        "consent.consent.given",
        "consent.consent.withdrawn",
        "objection.direct_marketing",
    ]
    refs = set(uow.session.scalars(select(AuditEvent.subject_ref).order_by(AuditEvent.seq)))
    assert ann in refs
    details = [str(d) for d in uow.session.scalars(select(AuditEvent.details))]
    assert not any("secret words" in d for d in details)
