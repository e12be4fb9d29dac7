"""``evaluate``, the pure core of a decision, driven with facts built here: no database.

The policy mirrors the consent tests' shop register (tests/fixtures/consent/registers): a
purpose on each kind of basis, and marketing of ``offers`` on every channel with each PECR
basis. Each test checks one outcome and cites the rule of RULES.md it stands for.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataward.consent import reason_codes
from dataward.consent.conditions import condition_gaps
from dataward.consent.errors import UnknownChannel, UnknownPurpose
from dataward.consent.policy import Policy, PurposeRules, check_channel
from dataward.consent.rules import (
    Facts,
    ObjectionFact,
    RecordFact,
    RestrictionFact,
    TpsScreening,
    evaluate,
    evaluate_stranger,
)
from dataward.register.models import Register
from dataward.register.models.choices import MarketingChannel
from dataward.register.models.processing import (
    BasisUse,
    DataCategory,
    Purpose,
    SpecialCondition,
)

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CURRENT = TpsScreening(True, "the TPS list was imported within 28 days")
DECISIONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "decisions.md"


def _purpose(purpose_id: str, *bases: str, marketing: bool = False) -> PurposeRules:
    return PurposeRules(
        id=purpose_id,
        name=purpose_id.replace("_", " "),
        bases=frozenset(bases),
        unspecified=not bases,
        marketing=marketing,
        withdrawal_route=(),
        condition_gaps=(),
    )


PURPOSES = {
    p.id: p
    for p in (
        _purpose("sales", "contract"),
        _purpose("fraud_checks", "legitimate_interests"),
        _purpose("loyalty_photos", "consent"),
        _purpose("unexplained"),
        _purpose("offers", "consent", "legitimate_interests", marketing=True),
    )
}

CHANNELS = (
    MarketingChannel(id="offers_email", channel="email", basis="soft_opt_in", purposes=["offers"]),
    MarketingChannel(id="offers_sms", channel="sms", basis="consent", purposes=["offers"]),
    MarketingChannel(
        id="offers_calls", channel="live_call", basis="legitimate_interests", purposes=["offers"]
    ),
    MarketingChannel(
        id="offers_robocalls", channel="automated_call", basis="consent", purposes=["offers"]
    ),
    MarketingChannel(
        id="offers_post", channel="post", basis="legitimate_interests", purposes=["offers"]
    ),
)


def _policy(*, marketing: bool = True) -> Policy:
    return Policy(
        organisation="corner_shop",
        register_version=1,
        notice_versions=("2026-01",),
        marketing_carried_out=marketing,
        marketing_statement=None,
        purposes=PURPOSES,
        channels=CHANNELS if marketing else (),
        preferences={},
        # evaluate reads only the parts above; the whole register is never consulted.
        register=Register.model_construct(),
    )


def _facts(
    *records: tuple[str, str, str, str, str],
    objections: tuple[ObjectionFact, ...] = (),
    restrictions: tuple[RestrictionFact, ...] = (),
    tps_lists: set[str] | None = None,
    tps_screening: TpsScreening | None = None,
) -> Facts:
    """Records as (kind, purpose, channel, state, ref); channel "" when none."""
    return Facts(
        subject_ref="s_1",
        records={(k, p, c): RecordFact(ref, state, AT) for k, p, c, state, ref in records},
        objections=list(objections),
        restrictions=list(restrictions),
        tps_lists=tps_lists,
        tps_screening=tps_screening,
    )


def _li_objection(outcome: str, *purposes: str) -> ObjectionFact:
    return ObjectionFact("o_li", "legitimate_interests", (), purposes, outcome)


def _dm_objection(*channels: str) -> ObjectionFact:
    return ObjectionFact("o_dm", "direct_marketing", channels, (), "upheld")


# Lawful basis (LAW-01, LAW-05)


def test_it_refuses_a_purpose_the_register_gives_no_basis() -> None:
    # RULES: LAW-01
    decision = evaluate(_policy(), "unexplained", None, _facts())
    assert not decision.allow
    assert decision.code == "no_lawful_basis"
    assert decision.rules == ["LAW-01"]
    assert "no lawful basis" in decision.reasons[0]


def test_it_allows_a_purpose_on_contract_and_names_the_basis() -> None:
    # RULES: LAW-01
    decision = evaluate(_policy(), "sales", None, _facts())
    assert decision.allow
    assert decision.code == "lawful_basis"
    assert decision.rules == ["LAW-01"]
    assert "rests on contract" in decision.reasons[0]
    assert decision.subject_ref == "s_1"


def test_it_refuses_an_unknown_purpose_with_a_stable_code() -> None:
    # RULES: LAW-01 (only the register's purposes have a basis to answer from)
    with pytest.raises(UnknownPurpose) as caught:
        evaluate(_policy(), "selling_lists", None, _facts())
    assert caught.value.code == "purpose_unknown"


def test_it_refuses_a_consent_purpose_when_no_consent_is_recorded() -> None:
    # RULES: LAW-05
    decision = evaluate(_policy(), "loyalty_photos", None, _facts())
    assert not decision.allow
    assert decision.code == "no_consent"
    assert decision.rules == ["LAW-05"]
    assert "none is recorded" in decision.reasons[0]


def test_it_allows_a_consent_purpose_and_cites_the_consent_record() -> None:
    # RULES: LAW-05
    facts = _facts(("consent", "loyalty_photos", "", "given", "c_photo"))
    decision = evaluate(_policy(), "loyalty_photos", None, facts)
    assert decision.allow
    assert decision.code == "consented"
    assert decision.rules == ["LAW-05"]
    assert decision.records == ["c_photo"]


def test_it_refuses_a_consent_purpose_once_consent_is_withdrawn() -> None:
    # RULES: LAW-05
    facts = _facts(("consent", "loyalty_photos", "", "withdrawn", "c_photo"))
    decision = evaluate(_policy(), "loyalty_photos", None, facts)
    assert not decision.allow
    assert decision.code == "consent_withdrawn"
    assert decision.records == ["c_photo"]
    assert "withdrawn on 2026-03-02 09:30 UTC" in decision.reasons[0]


# Objection to legitimate interests (OBJ-01)


def test_it_allows_legitimate_interests_when_nobody_objected() -> None:
    # RULES: LAW-01, OBJ-01
    decision = evaluate(_policy(), "fraud_checks", None, _facts())
    assert decision.allow
    assert decision.rules == ["LAW-01"]
    assert "legitimate interests" in decision.reasons[0]


def test_it_stops_legitimate_interests_while_an_objection_is_considered() -> None:
    # RULES: OBJ-01
    facts = _facts(objections=(_li_objection("pending", "fraud_checks"),))
    decision = evaluate(_policy(), "fraud_checks", None, facts)
    assert not decision.allow
    assert decision.code == "objected"
    assert decision.rules == ["OBJ-01"]
    assert decision.records == ["o_li"]
    assert "is being considered" in decision.reasons[0]


def test_it_goes_on_when_compelling_grounds_overrule_the_objection() -> None:
    # RULES: OBJ-01
    facts = _facts(objections=(_li_objection("compelling_grounds", "fraud_checks"),))
    decision = evaluate(_policy(), "fraud_checks", None, facts)
    assert decision.allow
    assert decision.rules == ["OBJ-01", "LAW-01"]
    assert decision.records == ["o_li"]


def test_an_objection_to_another_purpose_leaves_this_one_alone() -> None:
    # RULES: OBJ-01
    facts = _facts(objections=(_li_objection("upheld", "surveys"),))
    assert evaluate(_policy(), "fraud_checks", None, facts).allow


# Restriction (RES-01)


def test_a_restriction_refuses_the_purpose_even_with_consent_given() -> None:
    # RULES: RES-01
    facts = _facts(
        ("consent", "loyalty_photos", "", "given", "c_photo"),
        restrictions=(RestrictionFact("r_1", ("loyalty_photos",), AT),),
    )
    decision = evaluate(_policy(), "loyalty_photos", None, facts)
    assert not decision.allow
    assert decision.code == "restricted"
    assert decision.rules == ["RES-01"]
    assert decision.records == ["r_1"]
    assert "kept but not used" in decision.reasons[0]


def test_a_restriction_naming_no_purpose_covers_marketing_too() -> None:
    # RULES: RES-01
    facts = _facts(
        ("consent", "offers", "sms", "given", "c_sms"),
        restrictions=(RestrictionFact("r_all", (), AT),),
    )
    decision = evaluate(_policy(), "offers", "sms", facts)
    assert not decision.allow
    assert decision.rules == ["RES-01"]


# Direct marketing: the register's choice, objection, channel (MKT-01..04, OBJ-02)


def test_it_refuses_marketing_when_the_register_does_none() -> None:
    # RULES: MKT-04 (post: the channel's rule is the one cited)
    decision = evaluate(_policy(marketing=False), "offers", "post", _facts())
    assert not decision.allow
    assert decision.code == "no_marketing"
    assert decision.rules == ["MKT-04"]
    assert "no direct marketing" in decision.reasons[0]


def test_a_direct_marketing_objection_outranks_consent() -> None:
    # RULES: OBJ-02
    facts = _facts(
        ("consent", "offers", "sms", "given", "c_sms"), objections=(_dm_objection("sms"),)
    )
    decision = evaluate(_policy(), "offers", "sms", facts)
    assert not decision.allow
    assert decision.code == "objected_to_marketing"
    assert decision.rules == ["OBJ-02"]
    assert decision.records == ["o_dm"]
    assert "absolute" in decision.reasons[0]


def test_a_direct_marketing_objection_to_any_channel_stops_post() -> None:
    # RULES: OBJ-02, MKT-04
    facts = _facts(objections=(_dm_objection("any"),))
    decision = evaluate(_policy(), "offers", "post", facts)
    assert not decision.allow
    assert decision.rules == ["OBJ-02"]


def test_a_direct_marketing_objection_covers_only_the_channels_it_names() -> None:
    # RULES: OBJ-02 ("every channel that the objection covers")
    facts = _facts(objections=(_dm_objection("sms"),))
    assert evaluate(_policy(), "offers", "post", facts).allow


def test_marketing_without_a_channel_is_refused() -> None:
    # RULES: MKT-01
    decision = evaluate(_policy(), "offers", None, _facts())
    assert not decision.allow
    assert decision.code == "channel_missing"
    assert decision.rules == ["MKT-01"]
    assert "name a channel" in decision.reasons[0]


def test_a_channel_the_register_does_not_declare_is_refused() -> None:
    # RULES: MKT-01
    decision = evaluate(_policy(), "offers", "online_ads", _facts())
    assert not decision.allow
    assert decision.code == "channel_not_declared"
    assert decision.rules == ["MKT-01"]
    assert "declares no online ads marketing" in decision.reasons[0]


def test_an_unknown_channel_is_refused_with_a_stable_code() -> None:
    # RULES: MKT-01 (each PECR channel has its own rule; an unknown one has none)
    with pytest.raises(UnknownChannel) as caught:
        check_channel("fax")
    assert caught.value.code == "channel_unknown"
    assert check_channel("") is None


def test_sms_marketing_with_consent_is_allowed() -> None:
    # RULES: MKT-01, LAW-05
    facts = _facts(("consent", "offers", "sms", "given", "c_sms"))
    decision = evaluate(_policy(), "offers", "sms", facts)
    assert decision.allow
    assert decision.rules == ["MKT-01", "LAW-05"]
    assert decision.records == ["c_sms"]


def test_withdrawn_consent_to_marketing_refuses_even_with_soft_opt_in() -> None:
    # RULES: MKT-01, LAW-05
    facts = _facts(
        ("consent", "offers", "email", "withdrawn", "c_email"),
        ("soft_opt_in", "offers", "email", "given", "s_email"),
    )
    decision = evaluate(_policy(), "offers", "email", facts)
    assert not decision.allow
    assert decision.records == ["c_email"]
    assert "withdrawn on 2026-03-02" in decision.reasons[0]


def test_soft_opt_in_allows_email_where_the_register_declares_it() -> None:
    # RULES: MKT-01
    facts = _facts(("soft_opt_in", "offers", "email", "given", "s_email"))
    decision = evaluate(_policy(), "offers", "email", facts)
    assert decision.allow
    assert decision.code == "soft_opt_in"
    assert decision.rules == ["MKT-01"]
    assert decision.records == ["s_email"]
    assert "soft opt-in" in decision.reasons[0]


def test_a_refused_soft_opt_in_refuses_email() -> None:
    # RULES: MKT-01
    facts = _facts(("soft_opt_in", "offers", "email", "withdrawn", "s_email"))
    decision = evaluate(_policy(), "offers", "email", facts)
    assert not decision.allow
    assert decision.code == "opted_out"
    assert decision.records == ["s_email"]


def test_email_with_neither_consent_nor_soft_opt_in_is_refused() -> None:
    # RULES: MKT-01
    decision = evaluate(_policy(), "offers", "email", _facts())
    assert not decision.allow
    assert decision.code == "no_consent"
    assert decision.rules == ["MKT-01"]
    assert "needs consent" in decision.reasons[0]


def test_soft_opt_in_does_not_cover_a_channel_declared_on_consent() -> None:
    # RULES: MKT-01
    facts = _facts(("soft_opt_in", "offers", "sms", "given", "s_sms"))
    assert not evaluate(_policy(), "offers", "sms", facts).allow


def test_a_live_call_to_a_number_on_the_tps_list_is_refused() -> None:
    # RULES: MKT-02
    facts = _facts(tps_lists={"tps"}, tps_screening=CURRENT)
    decision = evaluate(_policy(), "offers", "live_call", facts)
    assert not decision.allow
    assert decision.code == "tps_listed"
    assert decision.rules == ["MKT-02"]
    assert "TPS list" in decision.reasons[0]


def test_a_live_call_with_no_number_to_screen_is_refused() -> None:
    # RULES: MKT-02 (with no screening, no marketing call)
    facts = _facts(tps_lists=None, tps_screening=CURRENT)
    decision = evaluate(_policy(), "offers", "live_call", facts)
    assert not decision.allow
    assert decision.code == "no_number"
    assert decision.rules == ["MKT-02"]


def test_a_live_call_to_a_screened_number_runs_on_legitimate_interests() -> None:
    # RULES: MKT-02, OBJ-02
    facts = _facts(tps_lists=set(), tps_screening=CURRENT)
    decision = evaluate(_policy(), "offers", "live_call", facts)
    assert decision.allow
    assert decision.code == "legitimate_interests"
    assert decision.rules == ["MKT-02", "OBJ-02"]


def test_a_live_call_is_refused_when_the_lists_are_too_old_to_screen_against() -> None:
    # RULES: MKT-02 (a copy no older than 28 days; with no screening, no marketing call)
    stale = TpsScreening(False, "the TPS list was last imported on 2026-01-01 09:00 UTC")
    facts = _facts(tps_lists=set(), tps_screening=stale)
    decision = evaluate(_policy(), "offers", "live_call", facts)
    assert not decision.allow
    assert decision.code == "tps_not_screened"
    assert decision.rules == ["MKT-02"]
    assert decision.reasons == [
        "the TPS list was last imported on 2026-01-01 09:00 UTC: with no screening, "
        "no marketing call"
    ]


def test_a_live_call_nobody_screened_is_refused_even_with_a_clean_number() -> None:
    # RULES: MKT-02 (a number found on no list proves nothing unless the lists were read)
    decision = evaluate(_policy(), "offers", "live_call", _facts(tps_lists=set()))
    assert not decision.allow
    assert decision.code == "tps_not_screened"


def test_consent_to_calls_outranks_the_tps_list() -> None:
    # RULES: MKT-02
    facts = _facts(
        ("consent", "offers", "live_call", "given", "c_call"),
        tps_lists={"ctps"},
        tps_screening=CURRENT,
    )
    decision = evaluate(_policy(), "offers", "live_call", facts)
    assert decision.allow
    assert decision.code == "consented"
    assert "TPS/CTPS list" in decision.reasons[0]
    assert decision.records == ["c_call"]


def test_consent_to_calls_needs_no_current_screening() -> None:
    # RULES: MKT-02 ("unless the person consented to calls from this organisation")
    stale = TpsScreening(False, "no TPS or CTPS list has been imported to screen against")
    facts = _facts(("consent", "offers", "live_call", "given", "c_call"), tps_screening=stale)
    decision = evaluate(_policy(), "offers", "live_call", facts)
    assert decision.allow
    assert decision.code == "consented"


def test_an_automated_call_needs_specific_consent() -> None:
    # RULES: MKT-03
    decision = evaluate(_policy(), "offers", "automated_call", _facts(tps_lists=set()))
    assert not decision.allow
    assert decision.rules == ["MKT-03"]
    assert "specific consent" in decision.reasons[0]


def test_post_marketing_runs_on_legitimate_interests_until_an_objection() -> None:
    # RULES: MKT-04
    decision = evaluate(_policy(), "offers", "post", _facts())
    assert decision.allow
    assert decision.rules == ["MKT-04", "OBJ-02"]


# Special category and criminal offence data (LAW-03, LAW-04), derived by the policy


def _sensitive_policy(*conditions: dict[str, object]) -> Policy:
    """The shop with a purpose on legitimate interests using health data, and the
    conditions the register states for it."""
    health = DataCategory(id="health", name="Health", special_category="health")
    purpose = Purpose(
        id="care_notes",
        name="Care notes",
        subject_groups=["customers"],
        categories=["health"],
        bases=[BasisUse(basis="legitimate_interests")],
        special_conditions=[SpecialCondition.model_validate(c) for c in conditions],
    )
    rules = PurposeRules(
        "care_notes",
        "Care notes",
        frozenset({"legitimate_interests"}),
        False,
        False,
        (),
        condition_gaps(purpose, {"health": health}),
    )
    return replace(_policy(), purposes={**PURPOSES, "care_notes": rules})


def test_special_category_data_without_an_art_9_condition_is_refused() -> None:
    # RULES: LAW-03
    decision = evaluate(_sensitive_policy(), "care_notes", None, _facts())
    assert not decision.allow
    assert decision.code == "no_art9_condition"
    assert decision.rules == ["LAW-03"]
    assert decision.reasons == [
        "'Care notes' uses 'Health', special category data (health), and the register "
        "states no Art 9 condition for it"
    ]


def test_an_art_9_condition_that_needs_schedule_1_is_refused_without_it() -> None:
    # RULES: LAW-03 (Art 9(2)(g) is met only with a DPA 2018 Sch 1 Part 2 condition)
    policy = _sensitive_policy(
        {"categories": ["health"], "condition": "substantial_public_interest"}
    )
    decision = evaluate(policy, "care_notes", None, _facts())
    assert not decision.allow
    assert decision.code == "no_schedule_1_condition"
    assert "needs a DPA 2018 Sch 1 Part 2 condition" in decision.reasons[0]


def test_a_stated_art_9_and_schedule_1_condition_lets_the_basis_decide() -> None:
    # RULES: LAW-03, OBJ-01 (the conditions stated, an LI objection still stops it)
    policy = _sensitive_policy(
        {
            "categories": ["health"],
            "condition": "substantial_public_interest",
            "schedule_1": {"part": 2, "paragraph": 18, "name": "Safeguarding"},
            "appropriate_policy_document": "Policy document v2",
        }
    )
    allowed = evaluate(policy, "care_notes", None, _facts())
    assert allowed.allow
    assert allowed.code == "lawful_basis"
    objected = evaluate(
        policy, "care_notes", None, _facts(objections=(_li_objection("upheld", "care_notes"),))
    )
    assert objected.code == "objected"


def test_a_missing_basis_is_reported_before_a_missing_condition() -> None:
    # RULES: LAW-01, LAW-03
    policy = _sensitive_policy()
    rules = replace(policy.purposes["care_notes"], bases=frozenset(), unspecified=True)
    policy = replace(policy, purposes={**policy.purposes, "care_notes": rules})
    decision = evaluate(policy, "care_notes", None, _facts())
    assert decision.code == "no_lawful_basis"


def test_marketing_that_uses_special_category_data_needs_its_condition() -> None:
    # RULES: LAW-03, MKT-01 (consent to the marketing is not an Art 9 condition)
    policy = _sensitive_policy()
    gaps = policy.purposes["care_notes"].condition_gaps
    offers = replace(PURPOSES["offers"], condition_gaps=gaps)
    policy = replace(policy, purposes={**policy.purposes, "offers": offers})
    facts = _facts(("consent", "offers", "sms", "given", "c_sms"))
    decision = evaluate(policy, "offers", "sms", facts)
    assert not decision.allow
    assert decision.code == "no_art9_condition"
    general = evaluate(policy, "direct_marketing", "sms", facts)
    assert general.code == "no_art9_condition"


# Identities no subject holds


def test_a_stranger_is_not_allowed_on_legitimate_interests() -> None:
    # RULES: LAW-01 (the register's bases are stated for its subjects)
    decision = evaluate_stranger(_policy(), "fraud_checks", None)
    assert not decision.allow
    assert decision.code == "no_subject"
    assert decision.subject_ref is None
    assert decision.reasons == [
        "no subject holds this identity: nothing is on record for the person",
        "'fraud checks' is stated for the register's subjects only",
    ]


def test_a_stranger_gets_no_marketing_and_the_answer_says_the_register_is_silent() -> None:
    # RULES: MKT-04 (post would run on legitimate interests for a subject)
    decision = evaluate_stranger(_policy(), "offers", "post")
    assert not decision.allow
    assert decision.code == "no_subject"
    assert decision.rules == ["MKT-04"]
    assert "silent about marketing to people it does not know" in decision.reasons[1]
    none = evaluate_stranger(_policy(marketing=False), "direct_marketing", "email")
    assert none.code == "no_subject"
    assert "does no direct marketing" in none.reasons[1]


# The codes are a contract


def test_every_reason_code_is_documented_and_every_documented_code_exists() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", DECISIONS_DOC.read_text(), re.M))
    assert documented == reason_codes.REFUSALS | reason_codes.PERMISSIONS
    assert not reason_codes.REFUSALS & reason_codes.PERMISSIONS
