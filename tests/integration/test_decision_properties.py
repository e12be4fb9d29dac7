"""Property: no sequence of consents, withdrawals, objections and restrictions ever yields
"allow" after an absolute objection (OBJ-02) or while a restriction is in force (RES-01).

Driven through the real services on both backends; each example uses a fresh subject.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from consent_support import SHOP, customer, load_shop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataward.consent.decisions import decide
from dataward.consent.objections import (
    decide_objection,
    lift_restriction,
    object_to_marketing,
    object_to_processing,
    restrict,
    tell_before_lifting,
)
from dataward.consent.preferences import opt_out, record_soft_opt_in, set_preference
from dataward.consent.records import give_consent, withdraw_consent
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork

MARKETING = [("offers", c) for c in ("email", "sms", "live_call", "automated_call", "post")] + [
    ("partner_offers", "email")
]
PURPOSES = ["sales", "fraud_checks", "loyalty_photos", "surveys", "offers", "partner_offers"]
CHANNELS = ["email", "sms", "live_call", "automated_call", "post"]

consent = st.tuples(st.just("consent"), st.sampled_from([*MARKETING, ("loyalty_photos", None)]))
withdraw = st.tuples(st.just("withdraw"), st.sampled_from([*MARKETING, ("loyalty_photos", None)]))
soft = st.tuples(st.just("soft"), st.sampled_from([("offers", "email"), ("offers", "sms")]))
optout = st.tuples(st.just("opt_out"), st.sampled_from(MARKETING))
objection = st.tuples(
    st.just("object"), st.lists(st.sampled_from([*CHANNELS, "any"]), min_size=1, max_size=2)
)
li = st.tuples(st.just("li_objection"), st.sampled_from(["fraud_checks", "surveys"]))
overrule = st.tuples(st.just("overrule"), st.none())
restriction = st.tuples(
    st.just("restrict"), st.lists(st.sampled_from(PURPOSES), min_size=0, max_size=2)
)
lift = st.tuples(st.just("lift"), st.none())
preference = st.tuples(st.just("preference"), st.booleans())
steps = st.lists(
    st.one_of(
        consent, withdraw, soft, optout, objection, li, overrule, restriction, lift, preference
    ),
    min_size=1,
    max_size=12,
)


@dataclass
class Model:
    objected: set[str] = field(default_factory=set)
    restrictions: dict[str, list[str]] = field(default_factory=dict)
    li_objections: list[str] = field(default_factory=list)


def _apply(uow: UnitOfWork, ref: str, step: tuple[str, object], model: Model) -> None:
    kind, arg = step
    if kind == "consent":
        purpose, channel = arg  # type: ignore[misc]
        give_consent(uow, SHOP, ref, purpose, channel=channel, method="web_form", evidence="x")
    elif kind == "withdraw":
        purpose, channel = arg  # type: ignore[misc]
        withdraw_consent(uow, SHOP, ref, purpose, channel=channel, method="portal")
    elif kind == "soft":
        purpose, channel = arg  # type: ignore[misc]
        record_soft_opt_in(
            uow,
            SHOP,
            ref,
            purpose,
            channel,
            sale_or_negotiation="order",
            refusal_offered=True,
            refused=False,
            method="web_form",
        )
    elif kind == "opt_out":
        purpose, channel = arg  # type: ignore[misc]
        opt_out(uow, SHOP, ref, purpose, channel, method="portal")
    elif kind == "object":
        object_to_marketing(uow, SHOP, ref, arg, method="phone")  # type: ignore[arg-type]
        model.objected |= set(arg)  # type: ignore[arg-type]
    elif kind == "li_objection":
        model.li_objections.append(
            object_to_processing(uow, SHOP, ref, [arg], method="email").ref  # type: ignore[list-item]
        )
    elif kind == "overrule" and model.li_objections:
        decide_objection(uow, SHOP, model.li_objections.pop(), "compelling_grounds", "grounds")
    elif kind == "restrict":
        row = restrict(uow, SHOP, ref, arg, "accuracy_contested")  # type: ignore[arg-type]
        model.restrictions[row.ref] = list(arg)  # type: ignore[call-overload]
    elif kind == "lift" and model.restrictions:
        target = next(iter(model.restrictions))
        tell_before_lifting(uow, SHOP, target)
        lift_restriction(uow, SHOP, target)
        del model.restrictions[target]
    elif kind == "preference":
        set_preference(uow, SHOP, ref, "survey_invitations", bool(arg), method="portal")


def _check(uow: UnitOfWork, ref: str, model: Model) -> None:
    for purpose, channel in MARKETING:
        if model.objected & {"any", channel}:
            decision = decide(uow, SHOP, ref, purpose, channel)
            assert not decision.allow, (purpose, channel, decision)
            assert "OBJ-02" in decision.rules or "RES-01" in decision.rules
    for purposes in model.restrictions.values():
        for purpose in purposes or PURPOSES:
            for channel in [None, *CHANNELS]:
                assert not decide(uow, SHOP, ref, purpose, channel).allow


def test_no_sequence_allows_after_objection_or_during_restriction(uow: UnitOfWork) -> None:
    load_shop(uow)
    counter = iter(range(10_000))

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps)
    def run(sequence: list[tuple[str, object]]) -> None:
        ref = customer(uow, f"p{next(counter)}@example.com")
        model = Model()
        for step in sequence:
            # A refused change changes nothing; the property must hold all the same.
            with suppress(DatawardError):
                _apply(uow, ref, step, model)
            _check(uow, ref, model)

    run()
