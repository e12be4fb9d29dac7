"""R3 Repairs' rule facts, run in the engines on the example's own register.

Each test stores examples/r3-repairs.yaml (a Scottish controller), makes a person of one of
its groups, records what they do, moves the clock and checks what the notice promises.
examples/notices/runs-004-r3.yaml lists every rule fact: the test here that runs it, or
what it waits for.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from access_support import (
    ALI,
    ALI_ROWS,
    CONTROLLER,
    R3_SOURCES,
    R3_URL_FROM,
    STAFF,
    assembled_letter,
    claims_only_the_register,
    count,
    r3_jobs,
    rows_found,
    searches,
    sent_to_controller,
    store_sources_file,
    verified_access_request,
)
from runs_support import (
    R3,
    disclosures_logged,
    person,
    register_of,
    runs,
    runs_problems,
    store_example,
)
from sqlalchemy import select

from dataward.access.assemble import assemble_package
from dataward.access.build import build_package
from dataward.access.models import PORTABILITY, REVIEW
from dataward.access.review import approve_package
from dataward.access.service import queue_package
from dataward.access.staging import PACKAGE_FILE, read_file
from dataward.accounts.passwords import Passwords
from dataward.accounts.service import create_user, user_actor
from dataward.audit.models import AuditEvent
from dataward.calendar import statutory_deadline
from dataward.clock import FixedClock
from dataward.complaints.service import NewComplaint, open_complaint
from dataward.complaints.steps import Step as ComplaintStep
from dataward.complaints.steps import close
from dataward.config import Settings
from dataward.consent.decisions import decide
from dataward.consent.errors import ConsentWithdrawn, RestrictionInvalid
from dataward.consent.objections import (
    decide_objection,
    lift_restriction,
    object_to_marketing,
    object_to_processing,
    restrict,
    tell_before_lifting,
)
from dataward.consent.preferences import opt_out, record_soft_opt_in
from dataward.consent.records import consent_records, give_consent, withdraw_consent
from dataward.disclosures.errors import (
    AccuracyNotVerified,
    ForOthersMarketing,
    RectificationInvalid,
)
from dataward.disclosures.rectification import Correction, rectify
from dataward.disclosures.service import NewDisclosure, record_disclosure
from dataward.erasure.errors import ErasureInvalid
from dataward.erasure.executor import execute_plan
from dataward.erasure.plan import plan_erasure, record_ground
from dataward.erasure.service import approve_erasure
from dataward.holds.engine import HeldRecord, deletable_dates
from dataward.holds.service import NewHold, get_hold, place_hold
from dataward.outbox.models import OutboxMessage
from dataward.publication.sources import store_sources
from dataward.register.models.retention import RestartAfter, RestartRule
from dataward.requests.errors import RequestInvalid, TransitionRefused
from dataward.requests.letters import letter_for
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import IdentityNotProven, search_sources
from dataward.requests.transitions import (
    Step,
    ask_for_clarification,
    ask_for_fee,
    ask_for_identity,
    clarification_received,
    extend,
    link_subject,
    refuse,
    respond,
    verify_identity,
)
from dataward.sources.loader import load_sources, parse_sources
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

ORG = "r3_repairs"
JUNE_1 = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


def test_every_rule_fact_runs_here_or_names_what_it_waits_for() -> None:
    # The retention rules run in their own module, on the example's own data (issue 20).
    import test_retention_r3

    assert runs_problems(R3, sys.modules[__name__], test_retention_r3) == []


@runs("marketing.m6")
def test_it_shares_no_personal_data_with_any_third_party_for_marketing(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: NTC-01, NTC-03. R3's register says it shares no personal data with any third
    party for marketing: a disclosure for the recipient's own marketing is refused and
    changes nothing, even where the person agreed to hear of partners' offers (R3 sends
    those itself); the same recipient for R3's own contract is kept."""
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    assert register.marketing.shares_for_third_party_marketing is False
    ref = person(uow, register, "customers", "ali@example.com")
    _consented_to_partners(uow, ref)
    uow.commit()

    def new(purpose: str, **more: object) -> NewDisclosure:
        fields: dict[str, object] = {
            "organisation": ORG,
            "subject_ref": ref,
            "recipient": "suppliers_joint_controllers",
            "datasets": ("customer_accounts",),
            "purpose": purpose,
            "basis": "contract" if purpose == "perform_contract" else None,
            "disclosed_on": JUNE_1.date(),
            **more,
        }
        return NewDisclosure(**fields)  # type: ignore[arg-type]

    for purpose in ("perform_contract", "third_party_marketing"):
        with pytest.raises(ForOthersMarketing, match="never shared"):
            record_disclosure(uow, new(purpose, for_recipient_marketing=True), actor=STAFF)
    assert disclosures_logged(uow) == (0, 0)
    row = record_disclosure(uow, new("perform_contract"), actor=STAFF)
    uow.commit()
    assert (row.recipient, row.for_recipient_marketing) == ("suppliers_joint_controllers", False)
    assert disclosures_logged(uow) == (1, 1)


def _bought_a_repair(uow: UnitOfWork, ref: str, *, refused: bool = False) -> None:
    """MKT-01 soft opt-in as the notice's 9.2 describes it: a purchase, a chance to refuse."""
    record_soft_opt_in(
        uow,
        ORG,
        ref,
        "own_marketing",
        "email",
        sale_or_negotiation="bought a boiler repair on the website",
        refusal_offered=True,
        refused=refused,
        method="web_form",
    )


def _consented_to_partners(uow: UnitOfWork, ref: str, channel: str = "email") -> str:
    row = give_consent(
        uow,
        ORG,
        ref,
        "third_party_marketing",
        channel=channel,
        method="web_form",
        evidence="ticked 'offers from our partners' at checkout",
    )
    return row.ref


@runs("marketing.m3")
def test_it_sends_its_own_marketing_only_after_a_purchase_or_enquiry_without_an_opt_out(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: MKT-01 (soft opt-in)
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    [own] = [c for c in register.marketing.channels if "own_marketing" in c.purposes]
    assert (own.basis, own.sender) == ("soft_opt_in", "own")
    stranger = person(uow, register, "customers", "sam@example.com")
    buyer = person(uow, register, "customers", "bea@example.com")
    refuser = person(uow, register, "customers", "rex@example.com")
    assert not decide(uow, ORG, stranger, "own_marketing", "email").allow
    _bought_a_repair(uow, buyer)
    _bought_a_repair(uow, refuser, refused=True)
    allowed = decide(uow, ORG, buyer, "own_marketing", "email")
    assert allowed.allow
    assert allowed.rules == ["MKT-01"]
    assert "soft opt-in" in allowed.reasons[-1]
    assert not decide(uow, ORG, refuser, "own_marketing", "email").allow


@runs("marketing.m4")
def test_it_gets_consent_before_third_party_marketing_by_email_or_text(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: MKT-01
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    partners = [c for c in register.marketing.channels if c.sender == "third_party"]
    assert {(c.channel, c.basis) for c in partners} == {("email", "consent"), ("sms", "consent")}
    ref = person(uow, register, "marketing_requesters", "mo@example.com", phone="07911 123456")
    for channel in ("email", "sms"):
        refused = decide(uow, ORG, ref, "third_party_marketing", channel)
        assert not refused.allow
        assert "needs consent" in refused.reasons[-1]
    _consented_to_partners(uow, ref, "email")
    assert decide(uow, ORG, ref, "third_party_marketing", "email").allow
    assert not decide(uow, ORG, ref, "third_party_marketing", "sms").allow
    assert not decide(uow, ORG, ref, "third_party_marketing", "post").allow


@runs("marketing.m5")
def test_it_lets_people_withdraw_consent_to_marketing_at_any_time(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-05
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    ref = person(uow, register, "customers", "mo@example.com", phone="07911 123456")
    for channel in ("email", "sms"):
        _consented_to_partners(uow, ref, channel)
    clock.set(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    for channel, method in (("email", "email"), ("sms", "phone")):
        withdraw_consent(uow, ORG, ref, "third_party_marketing", channel=channel, method=method)
        withdrawn = decide(uow, ORG, ref, "third_party_marketing", channel)
        assert not withdrawn.allow
        assert "withdrawn on 2027-01-01 00:30" in withdrawn.reasons[-1]


@runs("marketing.m7")
def test_it_stops_marketing_on_the_opt_out_link_or_when_asked(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: MKT-01, OBJ-02
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    for channel in register.marketing.channels:
        assert {"unsubscribe_link", "contact_us"} <= set(channel.opt_out_routes)
    by_link = person(uow, register, "customers", "lin@example.com")
    by_asking = person(uow, register, "customers", "ash@example.com")
    for ref in (by_link, by_asking):
        _bought_a_repair(uow, ref)
        _consented_to_partners(uow, ref)
    clock.advance(timedelta(days=45))
    opt_out(uow, ORG, by_link, "own_marketing", "email", method="web_form")
    assert not decide(uow, ORG, by_link, "own_marketing", "email").allow
    # A link in R3's own message stops R3's own marketing; partners' offers have their own.
    assert decide(uow, ORG, by_link, "third_party_marketing", "email").allow
    object_to_marketing(uow, ORG, by_asking, ["any"], method="phone")
    for purpose in ("own_marketing", "third_party_marketing"):
        assert not decide(uow, ORG, by_asking, purpose, "email").allow


@runs("marketing.m8")
def test_it_keeps_using_purchase_data_after_a_marketing_opt_out(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: OBJ-02 (covers marketing only), LAW-01
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    assert register.marketing.opt_out_excludes
    ref = person(uow, register, "customers", "bea@example.com")
    _bought_a_repair(uow, ref)
    clock.advance(timedelta(days=1))
    object_to_marketing(uow, ORG, ref, ["any"], method="email")
    assert not decide(uow, ORG, ref, "own_marketing", "email").allow
    for purpose in ("register_customer", "perform_contract"):
        kept = decide(uow, ORG, ref, purpose)
        assert kept.allow, purpose
        assert "contract" in kept.reasons[-1]


@runs("rights.x7")
def test_it_stops_legitimate_interest_processing_when_a_person_objects(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: OBJ-01
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    ref = person(uow, register, "visitors", "vic@example.com")
    assert decide(uow, ORG, ref, "data_analytics").allow
    objection = object_to_processing(uow, ORG, ref, ["data_analytics"], method="email")
    pending = decide(uow, ORG, ref, "data_analytics")
    assert not pending.allow
    assert pending.rules == ["OBJ-01"]
    clock.advance(timedelta(days=12))
    decide_objection(uow, ORG, objection.ref, "upheld", "her situation outweighs the interest")
    assert not decide(uow, ORG, ref, "data_analytics").allow
    assert decide(uow, ORG, ref, "administer_protect").allow  # not objected to


@runs("rights.x8")
def test_it_stops_every_direct_marketing_on_objection_whatever_was_agreed(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: OBJ-02 (absolute and immediate)
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    ref = person(uow, register, "customers", "bea@example.com", phone="07911 123456")
    _bought_a_repair(uow, ref)
    _consented_to_partners(uow, ref, "email")
    _consented_to_partners(uow, ref, "sms")
    clock.advance(timedelta(minutes=1))
    object_to_marketing(uow, ORG, ref, ["any"], method="web_form")
    for purpose, channel in (
        ("own_marketing", "email"),
        ("third_party_marketing", "email"),
        ("third_party_marketing", "sms"),
    ):
        refused = decide(uow, ORG, ref, purpose, channel)
        assert not refused.allow
        assert refused.rules == ["OBJ-02"]


@runs("rights.x9")
def test_it_may_go_on_where_compelling_legitimate_grounds_override_an_objection(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: OBJ-01
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    ref = person(uow, register, "customers", "cy@example.com")
    objection = object_to_processing(uow, ORG, ref, ["administer_protect"], method="paper")
    assert not decide(uow, ORG, ref, "administer_protect").allow
    clock.advance(timedelta(days=25))
    decide_objection(
        uow,
        ORG,
        objection.ref,
        "compelling_grounds",
        "network security logs are needed to investigate an attack on the website",
    )
    overruled = decide(uow, ORG, ref, "administer_protect")
    assert overruled.allow
    assert "overruled on compelling legitimate grounds" in overruled.reasons[0]


@pytest.mark.parametrize(
    "ground",
    ["accuracy_contested", "unlawful", "legal_claims", "objection_pending"],
)
@runs("rights.x10", "rights.x11", "rights.x12", "rights.x13")
def test_it_suspends_processing_but_keeps_the_data_on_each_ground_of_restriction(
    uow: UnitOfWork, clock: FixedClock, ground: str
) -> None:
    # RULES: RES-01 (x10 accuracy, x11 unlawful use, x12 legal claims, x13 objection pending)
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    ref = person(uow, register, "customers", "ria@example.com")
    row = restrict(uow, ORG, ref, [], ground)
    for purpose in ("perform_contract", "administer_protect", "website_content_adverts"):
        restricted = decide(uow, ORG, ref, purpose)
        assert not restricted.allow
        assert restricted.rules == ["RES-01"]
    # Suspended, not erased: the person and their details are still held.
    assert get_subject(uow, ORG, ref).identities
    clock.advance(timedelta(days=30))
    with pytest.raises(RestrictionInvalid):
        lift_restriction(uow, ORG, row.ref)
    tell_before_lifting(uow, ORG, row.ref)
    lift_restriction(uow, ORG, row.ref)
    assert decide(uow, ORG, ref, "perform_contract").allow


@runs("rights.x16")
def test_it_stops_at_withdrawal_and_keeps_what_was_consented_before(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-05
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    ref = person(uow, register, "customers", "bea@example.com")
    consent = _consented_to_partners(uow, ref)
    clock.advance(timedelta(days=7))
    assert decide(uow, ORG, ref, "third_party_marketing", "email", consent_ref=consent).allow
    clock.set(datetime(2026, 9, 15, 8, 0, tzinfo=UTC))
    withdraw_consent(uow, ORG, ref, "third_party_marketing", channel="email", method="email")
    with pytest.raises(ConsentWithdrawn):
        decide(uow, ORG, ref, "third_party_marketing", "email", consent_ref=consent)
    # What went before stays on record: given on 1 June, withdrawn on 15 September.
    [record] = consent_records(uow, ORG, ref)
    assert [(e.event, e.at) for e in record.history] == [
        ("given", JUNE_1),
        ("withdrawn", datetime(2026, 9, 15, 8, 0, tzinfo=UTC)),
    ]
    assert record.notice_version == register.notice.versions[-1].id


@runs("rights.x24")
def test_it_answers_a_request_within_one_month_by_scottish_bank_holidays() -> None:
    # RULES: SAR-01, SAR-03 (the register's own period and nation)
    register = register_of(R3)
    months = register.rights.response.months
    nation = register.controller.nation
    # St Andrew's Day (Monday 30 November 2026) is a Scottish bank holiday only.
    assert statutory_deadline(date(2026, 10, 30), nation, months) == date(2026, 12, 1)
    # 2 January is one too: its substitute day is Monday 4 January 2027.
    assert statutory_deadline(date(2026, 12, 1), nation, months) == date(2027, 1, 5)


def _request(uow: UnitOfWork, received: date, *rights: str) -> str:
    new = NewRequest(ORG, rights or ("access",), "email", received, Requester(name="A Tenant"))
    return open_request(uow, new, actor="user:u_case").ref


@runs("rights.x20", "rights.x25")
def test_it_runs_an_access_request_on_the_scottish_clock(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: SAR-01, SAR-03, SAR-04, SAR-05, SAR-06 on R3's own register (SCT)."""
    store_example(uow, R3)
    clock.set(datetime(2027, 1, 20, 9, 0, tzinfo=UTC))
    # x2: a subject access request opens; due by Scotland's bank holidays.
    ref = _request(uow, date(2026, 12, 1))
    row = open_rows(uow, ref)
    assert (row.nation, row.due_on) == ("SCT", date(2027, 1, 5))
    # x19: identity is checked before anything is disclosed; asking stops the clock.
    with pytest.raises(TransitionRefused):
        respond(uow, ORG, ref, Step("user:u_case", date(2026, 12, 2)))
    ask_for_identity(uow, ORG, ref, Step("user:u_case", date(2026, 12, 2)))
    verify_identity(uow, ORG, ref, "document", Step("user:u_case", date(2026, 12, 7)))
    assert open_rows(uow, ref).due_on == date(2027, 1, 7)
    # x20: R3 may contact the person for more information: the clock stands still meanwhile.
    ask_for_clarification(uow, ORG, ref, Step("user:u_case", date(2026, 12, 8), "Which jobs?"))
    clarification_received(uow, ORG, ref, Step("user:u_case", date(2026, 12, 10)))
    assert open_rows(uow, ref).due_on == date(2027, 1, 11)  # 9 Jan Sat -> Mon 11
    # x25: longer than a month when complex; R3 tells the person (within the first month).
    extend(uow, ORG, ref, Step("user:u_case", date(2026, 12, 20), "Several requests at once"))
    assert open_rows(uow, ref).due_on == date(2027, 3, 9)


@runs("rights.x21", "rights.x22", "rights.x23")
def test_it_charges_no_fee_unless_a_request_is_unfounded_and_may_refuse_instead(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: SAR-05, SAR-08."""
    store_example(uow, R3)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    # x21: a request opens with no fee asked and its clock running.
    ref = _request(uow, date(2026, 11, 2), "access", "rectification")
    assert (open_rows(uow, ref).state, open_rows(uow, ref).due_on) == (
        "received",
        date(2026, 12, 2),
    )
    # x22: a fee only with its reason (unfounded, repetitive or excessive); the clock waits.
    with pytest.raises(RequestInvalid):
        ask_for_fee(uow, ORG, ref, Step("user:u_case", date(2026, 11, 3)))
    ask_for_fee(uow, ORG, ref, Step("user:u_case", date(2026, 11, 3), "Fourth copy this month"))
    assert open_rows(uow, ref).due_on is None
    # x23: or refuse instead, with the reason the person is told.
    other = _request(uow, date(2026, 11, 2))
    with pytest.raises(RequestInvalid):
        refuse(
            uow, ORG, other, Step("user:u_case", date(2026, 11, 4)), reason="manifestly_unfounded"
        )
    refuse(
        uow,
        ORG,
        other,
        Step("user:u_case", date(2026, 11, 4), "Manifestly excessive"),
        reason="manifestly_excessive",
    )
    assert open_rows(uow, other).outcome == "refused"


def open_rows(uow: UnitOfWork, ref: str) -> RightsRequest:
    from sqlalchemy import select

    return uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()


@runs("retention.g2")
def test_it_keeps_a_complainants_data_while_the_complaint_is_open_then_the_rule_resumes(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RET-02: "we may retain your personal data for longer in the event of a complaint".
    The notice gives no end point: while the complaint is open nothing goes; once it closes
    the rule's own date stands again, with no period invented after the closure."""
    clock.set(JUNE_1)
    register = store_example(uow, R3)
    hold_of_register = next(h for h in register.holds if h.id == "complaint")
    assert not isinstance(hold_of_register.on_close, RestartAfter | RestartRule)
    ref = person(uow, register, "customers", "ewan@example.com")
    other = person(uow, register, "customers", "fiona@example.com")
    complaint = open_complaint(
        uow,
        NewComplaint(
            ORG,
            "email",
            date(2026, 6, 1),
            Requester(name="Ewan", email="ewan@example.com", words="The repair was not done."),
            subject_ref=ref,
        ),
        actor="user:caseworker",
    )
    hold = place_hold(
        uow,
        NewHold(
            organisation=ORG,
            scope="subject",
            owner="dpo@r3.example",
            review_on=date(2026, 9, 1),
            hold_id="complaint",
            subject_ref=ref,
            complaint_id=complaint.id,
        ),
        actor="user:caseworker",
    )
    assert hold.on_close == "unspecified"
    assert "customer_accounts" in hold.datasets
    subject_id = get_subject(uow, ORG, ref).id
    other_id = get_subject(uow, ORG, other).id
    # The rule (its set time is not in the notice) makes both accounts due on 1 July.
    due = date(2026, 7, 1)
    held = HeldRecord("customer_accounts", due, subject_id=subject_id)
    free = HeldRecord("customer_accounts", due, subject_id=other_id)
    assert deletable_dates(uow, ORG, [held, free], on=due) == [None, due]

    clock.set(datetime(2026, 7, 20, 10, 0, tzinfo=UTC))
    close(
        uow,
        ORG,
        complaint.ref,
        "upheld",
        "We will redo the repair.",
        ComplaintStep("user:dpo", date(2026, 7, 20)),
    )
    hold = get_hold(uow, ORG, hold.ref)
    assert (hold.closed_on, hold.release_on) == (date(2026, 7, 20), None)
    # Kept past its date while held, it may go on the closure day, not some period later.
    assert deletable_dates(uow, ORG, [held, free], on=date(2026, 7, 20)) == [
        date(2026, 7, 20),
        due,
    ]
    # A rule date after the closure is the rule's own: the closed hold adds nothing.
    later = HeldRecord("customer_accounts", date(2026, 12, 1), subject_id=subject_id)
    assert deletable_dates(uow, ORG, [later], on=date(2026, 7, 20)) == [date(2026, 12, 1)]


# -- Access (ACC-01, SAR-07): the customer's data found in R3's own jobs system --------------


@runs("rights.x2", "rights.x19")
def test_it_searches_a_customers_own_rows_only_once_their_identity_is_confirmed(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ACC-01, SAR-05, SAR-07 on R3's register, its sources file
    (examples/sources/r3-repairs.yaml) and a small jobs database."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, R3)
    loaded = load_sources(R3_SOURCES)
    assert store_sources_file(uow, ORG, loaded) == 1
    env = {R3_URL_FROM: r3_jobs(tmp_path)}
    ali = person(uow, register, "customers", ALI["email"], phone=ALI["phone"])
    bo = person(uow, register, "customers", "bo.muir@example.com")
    row = verified_access_request(uow, ORG, ali, "email", verified=False)
    uow.commit()
    before = {d: t.state for d, t in searches(uow, row).items()}
    assert set(before.values()) == {"open"}

    # x19: nothing is looked up, let alone disclosed, before the identity is confirmed.
    with pytest.raises(IdentityNotProven):
        search_sources(uow, ORG, row.ref, actor=STAFF, env=env)
    assert {d: t.state for d, t in searches(uow, row).items()} == before

    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, clock.today()))
    # x2: a copy of what R3 holds: every dataset a source binds is searched.
    result = search_sources(uow, ORG, row.ref, actor=STAFF, env=env)
    uow.commit()
    assert {d: c.rows for d, c in result.searched.items()} == ALI_ROWS
    by_hand = ["opayo_payments", "paper_records"]
    assert result.not_bound == by_hand
    assert {d: t.state for d, t in searches(uow, row).items()} == {
        **dict.fromkeys(ALI_ROWS, "done"),
        **dict.fromkeys(by_hand, "open"),  # SAR-07: Opayo's portal and the paper files
    }
    # Ali's rows only: Ali's jobs and their visits, the membership found by the same email,
    # the logged-in web sessions of Ali's account; none of Bo's, none anonymous.
    found = rows_found(uow, ORG, ali, loaded, env)
    assert [r["account_id"] for r in found["customer_accounts/customers"]] == ["ACC-501"]
    assert [r["id"] for r in found["service_records/jobs"]] == [10, 11]
    assert [r["id"] for r in found["service_records/job_visits"]] == [20, 21]
    assert [r["id"] for r in found["r3_direct_members/members"]] == [30]
    assert [r["id"] for r in found["website_logs/web_sessions"]] == [40, 41]
    theirs = rows_found(uow, ORG, bo, loaded, env)
    assert [r["id"] for r in theirs["service_records/jobs"]] == [12]
    assert [r["id"] for r in theirs["website_logs/web_sessions"]] == [42]
    assert theirs["r3_direct_members/members"] == []

    # ACC-01: the package's cover letter speaks for these datasets from the register.
    archive, letter = assembled_letter(uow, row, env, tmp_path / "packages")
    found = [d for d, n in result.searched.items() if n.rows]
    claims_only_the_register(letter, register, found)
    assert found == list(ALI_ROWS)
    assert "data/service_records.csv" in archive.namelist()
    assert (
        letter["Why we use it"][0] == "To register you as a new customer (lawful basis: contract)"
    )
    assert letter["How long we keep it"][-1] == (
        "Website server logs and cookies: Only as long as reasonably necessary: as soon as "
        "reasonably necessary after the purposes we collected the data for are fulfilled"
    )
    assert letter["Automated decisions"] == [
        "We do not make decisions about you by automated means alone."
    ]
    (transfer,) = letter["Transfers outside the UK"]
    assert "to countries our privacy notice does not name; safeguard: contract" in transfer


@runs("rights.x14")
def test_it_sends_the_customers_data_to_a_third_party_they_choose(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: POR-01 (Art 20(2)) on R3's register, sources file and jobs database: Ali
    names another company and the address to send to; the link goes there, Ali is told
    where it went, and the one-time code the download needs goes to Ali only."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, R3)
    store_sources_file(uow, ORG, load_sources(R3_SOURCES))
    ali = person(uow, register, "customers", ALI["email"], phone=ALI["phone"])
    row = verified_access_request(
        uow, ORG, ali, "email", email=ALI["email"], rights=("portability",)
    )
    uow.commit()
    env = {R3_URL_FROM: r3_jobs(tmp_path)}

    mails = sent_to_controller(uow, row, env, tmp_path / "packages")

    assert sorted(mails) == [
        "package_code",
        "portability_package_sent",
        "portability_package_to_controller",
    ]
    to_controller = mails["portability_package_to_controller"]
    assert to_controller["To"] == CONTROLLER[1]
    assert "https://dw.example/packages/" in to_controller.get_body(("plain",)).get_content()
    assert mails["portability_package_sent"]["To"] == ALI["email"]
    assert CONTROLLER[0] in mails["portability_package_sent"]["Subject"]
    assert mails["package_code"]["To"] == ALI["email"]


@runs("rights.x15")
def test_it_gives_only_what_the_customer_provided_under_consent_or_contract_to_take_elsewhere(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: POR-01 on R3's register (contract and consent purposes use identity, contact,
    transaction and usage data), its sources file (what the customer provided) and a small
    jobs database. Ali's portability package holds Ali's provided columns only: no
    engineer's visit notes, no web logs (observed), no account number (R3's own)."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, R3)
    store_sources_file(uow, ORG, load_sources(R3_SOURCES))
    env = {R3_URL_FROM: r3_jobs(tmp_path)}
    ali = person(uow, register, "customers", ALI["email"], phone=ALI["phone"])
    today = clock.today()
    requester = Requester(name="Ali Reid", email=ALI["email"], words="My data, to move.")
    row = open_request(
        uow, NewRequest(ORG, ("portability",), "email", today, requester), actor=STAFF
    )
    link_subject(uow, ORG, row.ref, ali, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, today))
    package = queue_package(uow, ORG, row.ref, actor=STAFF, kind=PORTABILITY)
    uow.commit()
    root = tmp_path / "packages"
    while build_package(uow, package.id, env=env, root=root).state != REVIEW:
        uow.commit()
    approve_package(uow, ORG, row.ref, actor=STAFF, kind=PORTABILITY)
    assemble_package(uow, package.id, root=root)
    uow.commit()
    archive = zipfile.ZipFile(io.BytesIO(read_file(uow, package, PACKAGE_FILE, root).read()))

    assert sorted(n for n in archive.namelist() if n.endswith(".json")) == [
        "data/customer_accounts.json",
        "data/r3_direct_members.json",
        "data/service_records.json",
    ]
    account = json.loads(archive.read("data/customer_accounts.json"))
    assert account == [
        {
            "full_name": "Ali Reid",
            "email": ALI["email"],
            "phone": ALI["phone"],
            "address": "2 Court St",
        }
    ]
    jobs = json.loads(archive.read("data/service_records.json"))
    assert [sorted(j) for j in jobs] == [["fault", "property_address"]] * 2
    assert "Engineer" not in archive.read("data/service_records.json").decode()
    assert "index.html" in archive.namelist()


def _r3_erasure_sources() -> str:
    """R3's own sources file, its jobs database bound read_write and every column erased by
    deleting the row (R3's notice states no column it keeps once a person is erased)."""
    text = R3_SOURCES.read_text(encoding="utf-8")
    text = text.replace(
        "    url_from: R3_JOBS_DB_URL\n", "    url_from: R3_JOBS_DB_URL\n    mode: read_write\n"
    )
    for ending in ("provenance: provided}", "provenance: observed}", "free_text: true}"):
        text = text.replace(ending, ending[:-1] + ", erasure: delete_row}")
    return text


def _dpo(uow: UnitOfWork) -> str:
    settings = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    user, _ = create_user(uow, Passwords(settings), "dpo@r3.example", "dpo", actor="test")
    return user_actor(user)


@runs("rights.x4", "rights.x5")
def test_it_erases_exactly_the_persons_rows_on_each_ground_of_erasure(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ERA-01, ERA-03 on R3's register, its sources file bound read_write and the small
    jobs database: a verified erasure request with its ground is planned, approved by the
    DPO and executed; Ali's rows go, nobody else's."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, R3)
    store_sources(uow, parse_sources(_r3_erasure_sources(), "r3.yaml"), organisation=ORG)
    url = r3_jobs(tmp_path)
    env = {R3_URL_FROM: url}
    ali = person(uow, register, "customers", ALI["email"], phone=ALI["phone"])
    today = clock.today()
    requester = Requester(name="Ali Reid", email=ALI["email"], words="Delete my data.")
    row = open_request(uow, NewRequest(ORG, ("erasure",), "email", today, requester), actor=STAFF)
    link_subject(uow, ORG, row.ref, ali, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, today))
    # x5: the grounds the notice names are each accepted (and may change before approval);
    # x4: "no good reason to keep processing it" is the last one recorded.
    for ground in (
        "objection_upheld",
        "unlawful_processing",
        "legal_obligation_to_erase",
        "no_longer_necessary",
    ):
        assert record_ground(uow, ORG, row.ref, ground, actor=STAFF).ground == ground
    with pytest.raises(ErasureInvalid):
        record_ground(uow, ORG, row.ref, "because", actor=STAFF)
    plan = plan_erasure(uow, ORG, row.ref, actor=STAFF, env=env)
    uow.commit()
    approve_erasure(uow, ORG, row.ref, actor=_dpo(uow))
    uow.commit()
    for _ in range(10):
        step = execute_plan(uow, plan.id, worker="worker:r3", env=env)
        uow.commit()
        if step.state != "running":
            break
    uow.session.refresh(plan)
    assert plan.state == "done"
    # Exactly Ali's rows went: account, 2 jobs and their 2 visits, membership, 2 sessions.
    assert plan.rows_erased == sum(ALI_ROWS.values())
    assert count(url, "SELECT count(*) FROM customers WHERE id = 1") == 0
    assert count(url, "SELECT count(*) FROM customers WHERE id = 2") == 1
    assert count(url, "SELECT count(*) FROM jobs") == 1  # Bo's job 12
    assert count(url, "SELECT count(*) FROM job_visits WHERE id = 22") == 1
    assert count(url, "SELECT count(*) FROM job_visits") == 1
    assert count(url, "SELECT count(*) FROM members") == 1  # Cara's
    assert count(url, "SELECT count(*) FROM web_sessions WHERE id IN (42, 43)") == 2
    assert count(url, "SELECT count(*) FROM web_sessions") == 2
    # Opayo and the paper files are searched by hand: dataward's own copy stays until then.
    assert not plan.shredded


@runs("rights.x6")
def test_it_refuses_an_erasure_for_a_legal_reason_and_tells_the_person_at_once(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ERA-02, SAR-08 on R3's register and its jobs database: Ali's erasure is refused
    because R3 needs the records to defend a warranty claim (Art 17(3)(e)); the letter, sent
    by email with the refusal step itself, names that reason and the law, quotes R3's notice
    and gives the routes to complain. Nothing is erased."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, R3)
    url = r3_jobs(tmp_path)
    ali = person(uow, register, "customers", ALI["email"], phone=ALI["phone"])
    today = clock.today()
    requester = Requester(name="Ali Reid", email=ALI["email"], words="Delete my data.")
    row = open_request(uow, NewRequest(ORG, ("erasure",), "email", today, requester), actor=STAFF)
    link_subject(uow, ORG, row.ref, ali, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, today))
    note = "Your claim about the washing machine repair (job 11) is still open."
    with pytest.raises(RequestInvalid):  # a reason the law does not give is no reason
        refuse(uow, ORG, row.ref, Step(STAFF, today, note), reason="we_would_rather_not")
    refuse(uow, ORG, row.ref, Step(STAFF, today, note), reason="legal_claims")
    uow.commit()
    assert (row.state, row.refusal_reason) == ("refused", "legal_claims")
    # x6: told at the time: the letter goes by email in the refusal's own transaction.
    sent = uow.session.scalars(
        select(OutboxMessage).where(OutboxMessage.request_id == row.id)
    ).all()
    assert "request_letter_refusal" in [m.kind for m in sent]
    text = " ".join(letter_for(uow, row, "refusal").text.split())
    assert (
        "because we need the data to establish, exercise or defend legal claims "
        "(Article 17(3)(e) UK GDPR)" in text
    )
    assert f"Our reason: {note}" in text
    assert "specific legal reasons, which will be notified to you" in text  # R3's notice
    assert "mailbox@R3repairs.co.uk" in text  # R3's route first (its register asks)
    assert "Information Commissioner's Office" in text
    assert "ask a court to order us to comply" in text
    # Nothing erased: Ali's rows are all still there.
    assert count(url, "SELECT count(*) FROM customers WHERE id = 1") == 1
    assert count(url, "SELECT count(*) FROM jobs WHERE customer_id = 1") == 2


@runs("rights.x3")
def test_it_corrects_a_customers_data_only_once_the_new_datas_accuracy_is_checked(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: REC-01 on R3's register (``verify_accuracy: true``: "we may need to verify the
    accuracy of the new data you provide") and its jobs database bound read_write: the
    correction is refused until the caseworker records how the new address was checked,
    then it changes Ali's row only."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, R3)
    store_sources(uow, parse_sources(_r3_erasure_sources(), "r3.yaml"), organisation=ORG)
    url = r3_jobs(tmp_path)
    env = {R3_URL_FROM: url}
    ali = person(uow, register, "customers", ALI["email"], phone=ALI["phone"])
    today = clock.today()
    requester = Requester(name="Ali Reid", email=ALI["email"], words="My address is wrong.")
    row = open_request(
        uow, NewRequest(ORG, ("rectification",), "email", today, requester), actor=STAFF
    )
    link_subject(uow, ORG, row.ref, ali, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, today))
    uow.commit()
    new_address = "2 Court Street, Haddington EH41 3JD"
    fixed = Correction("customer_accounts", "address", new_address)
    address = "SELECT count(*) FROM customers WHERE address = :a"
    for check, error in ((None, AccuracyNotVerified), ("trust_me", RectificationInvalid)):
        with pytest.raises(error):
            rectify(uow, ORG, row.ref, fixed, actor=STAFF, env=env, accuracy_check=check)
        uow.rollback()
        assert count(url, address, a="2 Court St") == 1  # the source is untouched
    rect = rectify(uow, ORG, row.ref, fixed, actor=STAFF, env=env, accuracy_check="document_seen")
    uow.commit()
    assert (rect.outcome, rect.rows, rect.accuracy_check) == ("applied", 1, "document_seen")
    assert count(url, address, a=new_address) == 1
    assert count(url, "SELECT count(*) FROM customers WHERE id = 2 AND address = '9 Hardgate'") == 1
    applied = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.rectification_applied")
    ).one()
    assert applied.details["accuracy_check"] == "document_seen"
    assert "Court Street" not in str(applied.details)
