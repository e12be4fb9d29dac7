"""Consent and decisions never read silence as permission (issue 13, both backends).

Each test loads the shop register with one value left out that it used to get from a
default, and checks what the engine now does with the silence.
"""

from __future__ import annotations

import pytest
from consent_support import SHOP, SHOP_FILE, customer, load_shop

from dataward.consent.decisions import decide
from dataward.consent.errors import ConsentInvalid, SoftOptInRefused
from dataward.consent.preferences import record_soft_opt_in, set_preference
from dataward.consent.records import give_consent
from dataward.uow import UnitOfWork

SHOP_TEXT = SHOP_FILE.read_text(encoding="utf-8")


def shop_with(uow: UnitOfWork, old: str, new: str) -> str:
    """The shop register with ``old`` (which must occur once) replaced, and a customer."""
    assert SHOP_TEXT.count(old) == 1, old
    load_shop(uow, SHOP_TEXT.replace(old, new))
    ref = customer(uow)
    uow.commit()
    return ref


def test_it_refuses_the_soft_opt_in_when_the_register_does_not_say_whose_marketing_it_is(
    uow: UnitOfWork,
) -> None:
    # RULES: MKT-01 (the soft opt-in covers the organisation's own products only)
    ann = shop_with(
        uow, "channel: email, sender: own, basis: soft_opt_in", "channel: email, basis: soft_opt_in"
    )
    with pytest.raises(SoftOptInRefused):
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
    assert not decide(uow, SHOP, ann, "offers", "email").allow


def test_it_refuses_marketing_when_the_register_does_not_say_it_markets(uow: UnitOfWork) -> None:
    # RULES: MKT-04, OBJ-02 (post on legitimate interests ran by default before)
    ann = shop_with(uow, "marketing:\n  carried_out: true\n", "marketing:\n")
    decision = decide(uow, SHOP, ann, "offers", "post")
    assert not decision.allow
    assert decision.reasons[0] == (
        "the register does not say this organisation does direct marketing"
    )


def test_it_keeps_a_preference_off_until_chosen_when_the_register_gives_no_default(
    uow: UnitOfWork,
) -> None:
    # RULES: LAW-05 (no default "included unless you opt out" where the register is silent)
    ann = shop_with(uow, "default: ask, purposes: [surveys]", "purposes: [surveys]")
    decision = decide(uow, SHOP, ann, "surveys")
    assert not decision.allow
    assert "is off until the person turns it on" in decision.reasons[-1]
    # Silence on `optional` does not stop a person turning it off again.
    set_preference(uow, SHOP, ann, "survey_invitations", True, method="portal")
    assert decide(uow, SHOP, ann, "surveys").allow
    set_preference(uow, SHOP, ann, "survey_invitations", False, method="portal")
    assert not decide(uow, SHOP, ann, "surveys").allow


def test_it_refuses_a_preference_turned_off_only_where_the_register_says_it_is_not_optional(
    uow: UnitOfWork,
) -> None:
    ann = shop_with(
        uow,
        "default: ask, purposes: [surveys]",
        "default: ask, optional: false, purposes: [surveys]",
    )
    with pytest.raises(ConsentInvalid):
        set_preference(uow, SHOP, ann, "survey_invitations", False, method="portal")


def test_it_refuses_consent_a_register_without_a_notice_version_cannot_tie_to_a_notice(
    uow: UnitOfWork,
) -> None:
    # RULES: LAW-05 (a consent record names the notice the person was shown)
    ann = shop_with(
        uow,
        'versions: [{id: "1.0", date: 2024-01-10}, {id: "2.0", date: 2024-02-20}]',
        "versions: []",
    )
    with pytest.raises(ConsentInvalid) as caught:
        give_consent(uow, SHOP, ann, "loyalty_photos", method="web_form", evidence="form")
    assert "states no notice version" in caught.value.message
    assert not decide(uow, SHOP, ann, "loyalty_photos").allow
