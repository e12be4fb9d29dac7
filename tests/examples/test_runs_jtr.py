"""JTR Collections' rule facts, run in the engines on the example's own register.

Each test stores examples/jtr-collections.yaml, makes a person of one of its groups, records
what they do, moves the clock and checks what the notice promises. The runs file beside
the fact sheet (examples/notices/runs-000-jtr.yaml) lists every rule fact: the test here
that runs it, or what it waits for.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from access_support import (
    CONTROLLER,
    STAFF,
    Agency,
    assembled_letter,
    claims_only_the_register,
    count,
    demo_agency,
    rows_found,
    searches,
    sent_to_controller,
    store_sources_file,
    verified_access_request,
)
from runs_support import JTR, disclosures_logged, person, runs, runs_problems, store_example
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from dataward.access.review import exemptions
from dataward.accounts.passwords import Passwords
from dataward.accounts.service import create_user, user_actor
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.complaints.service import NewComplaint, open_complaint
from dataward.complaints.steps import Step as ComplaintStep
from dataward.complaints.steps import close
from dataward.config import Settings
from dataward.consent.decisions import decide
from dataward.consent.errors import (
    AlreadyWithdrawn,
    ConsentInvalid,
    ConsentNotBasis,
    ConsentNotFound,
    ObjectionInvalid,
    RestrictionInvalid,
)
from dataward.consent.objections import (
    decide_objection,
    lift_restriction,
    object_to_processing,
    restrict,
    tell_before_lifting,
)
from dataward.consent.policy import CONTACT_CHANNELS
from dataward.consent.records import give_consent, withdraw_consent
from dataward.crypto.keystore import Vault
from dataward.demo.sources import sources_document, sources_text
from dataward.disclosures.errors import DisclosureNotAuthorised
from dataward.disclosures.models import RecipientNotice
from dataward.disclosures.rectification import Correction, rectify
from dataward.disclosures.service import NewDisclosure, record_disclosure
from dataward.erasure.errors import ErasureInvalid
from dataward.erasure.executor import execute_plan
from dataward.erasure.plan import plan_erasure, record_ground
from dataward.erasure.service import approve_erasure
from dataward.holds.engine import HeldRecord, deletable_dates, holds_in_force
from dataward.holds.service import NewHold, after, get_hold, place_hold
from dataward.notify.decisions import approve_campaign
from dataward.notify.models import NoticeCampaign
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.publication.notices import list_notice_versions, recorded_change, register_of
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.register.models import LawfulBasis, Register
from dataward.register.models.retention import Offset
from dataward.requests.audit_actions import REQUEST_RESPONDED
from dataward.requests.errors import TransitionRefused
from dataward.requests.letters import issue_letter, letter_for
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import search_sources
from dataward.requests.split import split_request
from dataward.requests.transitions import Step, link_subject, refuse, respond, verify_identity
from dataward.sources.loader import LoadedSources, parse_sources
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork
from dataward.workers import build_worker

ORG = "jtr_collections"
MARCH_2 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def consent_purposes(register: Register, group: str) -> list[str]:
    """The group's purposes that rest on consent alone in the register."""
    return [
        p.id
        for p in register.purposes
        if group in p.subject_groups and {b.basis for b in p.bases} == {LawfulBasis.CONSENT}
    ]


def test_every_rule_fact_runs_here_or_names_what_it_waits_for() -> None:
    # The retention rules run in their own module, on the example's own data (issue 20).
    import test_retention_jtr
    import test_retention_jtr_every_store

    modules = (test_retention_jtr, test_retention_jtr_every_store)
    assert runs_problems(JTR, sys.modules[__name__], *modules) == []


@runs("recipients.r24")
def test_it_discusses_a_customers_circumstances_only_with_parties_they_authorised(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: NTC-01, NTC-03. JTR's register sends customers' data to other third parties
    ``only_if_authorised_by_subject``: a disclosure to them is refused, changing nothing,
    until the customer's authorisation is recorded (the day, and the evidence's reference);
    a recipient the register does not so condition needs none."""
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    ref = person(uow, register, "customers", "dana@example.com")
    uow.commit()

    def new(recipient: str, **more: object) -> NewDisclosure:
        fields: dict[str, object] = {
            "organisation": ORG,
            "subject_ref": ref,
            "recipient": recipient,
            "datasets": ("customers", "cases"),
            "purpose": "customer_business_need",
            "disclosed_on": MARCH_2.date(),
            **more,
        }
        return NewDisclosure(**fields)  # type: ignore[arg-type]

    with pytest.raises(DisclosureNotAuthorised, match="'authorised_third_parties' only where"):
        record_disclosure(uow, new("authorised_third_parties"), actor=STAFF)
    with pytest.raises(DisclosureNotAuthorised, match="give both"):
        record_disclosure(
            uow, new("authorised_third_parties", authorisation_ref="CALL-0412"), actor=STAFF
        )
    assert disclosures_logged(uow) == (0, 0)
    kept = record_disclosure(
        uow,
        new(
            "authorised_third_parties",
            authorised_on=date(2026, 2, 20),
            authorisation_ref="CALL-0412",
        ),
        actor=STAFF,
    )
    other = record_disclosure(uow, new("experian"), actor=STAFF)
    uow.commit()
    assert (kept.authorised_on, kept.authorisation_ref) == (date(2026, 2, 20), "CALL-0412")
    assert (other.authorised_on, other.authorisation_ref) == (None, None)
    assert disclosures_logged(uow) == (2, 2)


@runs("purposes.p14", "purposes.p25")
def test_it_needs_consent_for_what_people_add_on_the_customer_portal(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-01, LAW-05
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    assert "customer_portal" in consent_purposes(register, "customers")
    ref = person(uow, register, "customers", "dana@example.com")
    before = decide(uow, ORG, ref, "customer_portal")
    assert not before.allow
    assert before.rules == ["LAW-05"]
    assert "none is recorded" in before.reasons[-1]
    clock.advance(timedelta(minutes=5))
    row = give_consent(
        uow, ORG, ref, "customer_portal", method="portal", evidence="ticked on the portal"
    )
    after = decide(uow, ORG, ref, "customer_portal")
    assert after.allow
    assert after.records == [row.ref]
    assert after.reasons == ["the person consented"]


@runs("purposes.p15", "purposes.p26", "recipients.r26")
def test_it_shares_with_the_money_and_pensions_service_only_with_consent(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-05 (the recipient's own purposes, as the register ties them to MAPS)
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    maps = next(r for r in register.recipients if r.id == "money_and_pensions_service")
    assert maps.condition == "only_with_consent"
    assert maps.purposes == ["debt_advice"]
    ref = person(uow, register, "customers", "dana@example.com")
    for purpose in maps.purposes:
        refused = decide(uow, ORG, ref, purpose)
        assert not refused.allow
        assert refused.rules == ["LAW-05"]
        give_consent(uow, ORG, ref, purpose, method="phone", evidence="agreed on the call")
        assert decide(uow, ORG, ref, purpose).allow


@runs("purposes.p16", "rights.g18")
def test_it_lets_customers_refuse_or_withdraw_consent_at_any_time(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-05 (as easy to withdraw as to give; refusing costs nothing else)
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    purposes = consent_purposes(register, "customers")
    assert sorted(purposes) == ["customer_portal", "debt_advice"]
    refuser = person(uow, register, "customers", "rae@example.com")
    giver = person(uow, register, "customers", "gil@example.com")
    for purpose in purposes:
        give_consent(uow, ORG, giver, purpose, method="portal", evidence="ticked on the portal")
    # Optional: a customer who never consents is refused those uses and nothing else.
    assert not any(decide(uow, ORG, refuser, p).allow for p in purposes)
    assert decide(uow, ORG, refuser, "enforcement_and_collection").allow
    clock.set(datetime(2027, 1, 15, 16, 45, tzinfo=UTC))
    withdraw_consent(uow, ORG, giver, "customer_portal", method="email")
    withdrawn = decide(uow, ORG, giver, "customer_portal")
    assert not withdrawn.allow
    assert "withdrawn on 2027-01-15 16:45" in withdrawn.reasons[-1]
    assert decide(uow, ORG, giver, "debt_advice").allow
    with pytest.raises(AlreadyWithdrawn):
        withdraw_consent(uow, ORG, giver, "customer_portal", method="email")
    # No consent to withdraw where consent is not relied on.
    with pytest.raises(ConsentNotBasis):
        give_consent(uow, ORG, giver, "enforcement_and_collection", method="portal", evidence="x")


@runs("rights.g17")
def test_it_keeps_data_from_the_client_out_of_consent_withdrawal(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-01, LAW-05
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    client = next(s for s in register.sources if s.id == "clients")
    # The purposes that use what the client supplies without relying on consent (those on
    # special category data are left to LAW-03's own tests).
    from_client = [
        p.id
        for p in register.purposes
        if "customers" in p.subject_groups
        and set(p.categories) & set(client.categories)
        and LawfulBasis.CONSENT not in {b.basis for b in p.bases}
        and not p.special_conditions
    ]
    assert {"enforcement_and_collection", "customer_business_need"} <= set(from_client)
    ref = person(uow, register, "customers", "dana@example.com")
    give_consent(uow, ORG, ref, "customer_portal", method="portal", evidence="ticked")
    clock.advance(timedelta(days=40))
    withdraw_consent(uow, ORG, ref, "customer_portal", method="paper")
    for purpose in from_client:
        assert decide(uow, ORG, ref, purpose).allow, purpose
        with pytest.raises(ConsentNotFound):
            withdraw_consent(uow, ORG, ref, purpose, method="paper")


@runs("purposes.p38", "purposes.p41")
def test_it_needs_consent_for_new_occupier_evidence_and_lets_it_be_withdrawn(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-05
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    assert consent_purposes(register, "new_occupiers") == ["new_occupier_evidence_review"]
    ref = person(uow, register, "new_occupiers", "occupier@example.com")
    assert not decide(uow, ORG, ref, "new_occupier_evidence_review").allow
    give_consent(
        uow,
        ORG,
        ref,
        "new_occupier_evidence_review",
        method="paper",
        evidence="tenancy agreement sent by post with the signed evidence form",
    )
    assert decide(uow, ORG, ref, "new_occupier_evidence_review").allow
    clock.advance(timedelta(days=3))
    withdraw_consent(uow, ORG, ref, "new_occupier_evidence_review", method="web_form")
    assert not decide(uow, ORG, ref, "new_occupier_evidence_review").allow
    # The rest of what JTR does about a New Occupier does not rest on consent.
    assert decide(uow, ORG, ref, "new_occupier_business_need").allow
    with pytest.raises(ConsentNotBasis):
        give_consent(uow, ORG, ref, "new_occupier_business_need", method="web_form", evidence="x")


@runs("marketing.m1")
def test_it_refuses_every_marketing_use(uow: UnitOfWork, clock: FixedClock) -> None:
    # RULES: MKT-01, MKT-02, MKT-03, MKT-04
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    assert not [p.id for p in register.purposes if p.marketing]
    ref = person(uow, register, "customers", "dana@example.com", phone="07911 123456")
    for channel in CONTACT_CHANNELS:
        refused = decide(uow, ORG, ref, "direct_marketing", channel)
        assert not refused.allow, channel
        assert "no direct marketing" in refused.reasons[0]
    with pytest.raises(ConsentInvalid):
        give_consent(
            uow, ORG, ref, "direct_marketing", channel="email", method="web_form", evidence="x"
        )


@runs("rights.g11")
def test_it_stops_using_a_customers_data_while_it_is_restricted(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: RES-01
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    ref = person(uow, register, "customers", "dana@example.com")
    for purpose in consent_purposes(register, "customers"):
        give_consent(uow, ORG, ref, purpose, method="portal", evidence="ticked")
    # Purposes on special category data are left to LAW-03's own tests.
    purposes = [
        p.id
        for p in register.purposes
        if "customers" in p.subject_groups and not p.special_conditions
    ]
    assert all(decide(uow, ORG, ref, p).allow for p in purposes)
    # "Where you believe we no longer need it": Art 18(1)(c), kept for the person's claims.
    row = restrict(uow, ORG, ref, [], "legal_claims")
    for purpose in purposes:
        restricted = decide(uow, ORG, ref, purpose)
        assert not restricted.allow, purpose
        assert restricted.rules == ["RES-01"]
    clock.advance(timedelta(days=21))
    with pytest.raises(RestrictionInvalid):
        lift_restriction(uow, ORG, row.ref)
    tell_before_lifting(uow, ORG, row.ref)
    lift_restriction(uow, ORG, row.ref)
    assert decide(uow, ORG, ref, "enforcement_and_collection").allow


@runs("rights.g14")
def test_it_stops_business_need_processing_when_a_customer_objects(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: OBJ-01
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    ref = person(uow, register, "customers", "dana@example.com")
    objection = object_to_processing(uow, ORG, ref, ["enforcement_and_collection"], method="paper")
    pending = decide(uow, ORG, ref, "enforcement_and_collection")
    assert not pending.allow
    assert pending.rules == ["OBJ-01"]
    assert "is being considered" in pending.reasons[-1]
    assert decide(uow, ORG, ref, "customer_business_need").allow  # not objected to
    clock.advance(timedelta(days=14))
    decide_objection(uow, ORG, objection.ref, "upheld", "no compelling grounds outweigh it")
    assert "was upheld" in decide(uow, ORG, ref, "enforcement_and_collection").reasons[-1]
    # Only processing that rests on a legitimate business need can be objected to.
    with pytest.raises(ObjectionInvalid):
        object_to_processing(uow, ORG, ref, ["customer_portal"], method="paper")


class KeptMessages:
    """A sender that keeps what the worker sends."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.messages.append(message)

    def close(self) -> None:
        return None


@runs("transfers.x2", "other.o8")
def test_it_tells_customers_when_the_transfer_position_changes_with_a_link_to_the_notice(
    uow: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
) -> None:
    # RULES: NTC-03
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    assert register.transfers.policy.outside_uk == "eea_only"
    person(uow, register, "customers", "dana@example.com")
    uow.commit()
    clock.advance(timedelta(days=30))
    text = JTR.register_path.read_text(encoding="utf-8")
    changed = text.replace("outside_uk: eea_only", "outside_uk: sometimes", 1)
    assert changed != text
    store_register(uow, parse_register(changed, str(JTR.register_path)), actor="test")
    uow.commit()
    change = recorded_change(uow, ORG, 1, 2)
    assert change is not None
    assert any("new_transfer" in c["reasons"] for c in change.significant)
    kept = KeptMessages()
    mail = MailSettings(public_url="https://privacy.jtr.example", mail_from="dpo@jtr.example")
    build_worker(session_factory, clock, vault, mail, sender=kept).run(once=True)
    assert kept.messages == []  # issue 14, item 9: a draft until the DPO approves it
    campaign = uow.session.scalars(select(NoticeCampaign)).one()
    approve_campaign(uow, campaign.id, actor="user:dpo", mail=mail)
    uow.commit()
    build_worker(session_factory, clock, vault, mail, sender=kept).run(once=True)
    assert [str(m["To"]) for m in kept.messages] == ["dana@example.com"]
    body = kept.messages[0].get_body(("plain",))
    assert body is not None
    content = body.get_content()
    assert "new transfer outside the UK" in content
    # o8: the newest notice is the one published, and the message signposts it.
    assert "https://privacy.jtr.example/orgs/jtr_collections/notice.html" in content
    uow.session.expire_all()
    newest = list_notice_versions(uow, ORG)[0]
    assert newest.version == 2
    assert register_of(uow, newest).transfers.policy.outside_uk == "sometimes"


@runs("purposes.p1")
def test_it_refuses_special_category_data_without_its_conditions_and_allows_a_stated_basis(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-01, LAW-03
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    ref = person(uow, register, "customers", "dana@example.com")
    # The vulnerability assessment uses health data under Art 9(2)(g); the notice names no
    # DPA 2018 Schedule 1 condition, so the engine refuses to run it on the notice's word.
    assessment = decide(uow, ORG, ref, "vulnerability_assessment")
    assert not assessment.allow
    assert assessment.code == "no_schedule_1_condition"
    assert "LAW-03" in assessment.rules
    # A purpose on ordinary data with a stated lawful basis runs.
    enforcement = next(p for p in register.purposes if p.id == "enforcement_and_collection")
    assert not enforcement.special_conditions
    assert [b.basis for b in enforcement.bases] == [LawfulBasis.LEGITIMATE_INTERESTS]
    assert decide(uow, ORG, ref, "enforcement_and_collection").allow


@runs("rights.g16")
def test_it_flags_starting_automated_decisions_and_says_people_are_told_first(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: NTC-03
    clock.set(MARCH_2)
    register = store_example(uow, JTR)
    assert register.automated_decisions.notify_before_starting is True
    assert register.automated_decisions.in_use is False
    uow.commit()
    clock.advance(timedelta(days=30))
    text = JTR.register_path.read_text(encoding="utf-8")
    changed = text.replace(
        "  in_use: false\n  notify_before_starting: true",
        "  in_use: true\n  notify_before_starting: true",
        1,
    )
    assert changed != text
    store_register(uow, parse_register(changed, str(JTR.register_path)), actor="test")
    uow.commit()
    change = recorded_change(uow, ORG, 1, 2)
    assert change is not None
    starts = [c for c in change.significant if "automated_decisions" in c["reasons"]]
    assert starts, change.significant
    assert any("told before automated decision-making starts" in d for d in starts[0]["details"])


def _open_request(
    uow: UnitOfWork, org: str, rights: tuple[str, ...], channel: str
) -> RightsRequest:
    new = NewRequest(org, rights, channel, uow.clock.today(), Requester(name="A Customer"))
    return open_request(uow, new, actor="user:u_case")


@runs("rights.g3")
def test_it_takes_an_access_request_free_of_charge_on_the_english_clock(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: SAR-01, SAR-03, SAR-05 on JTR's own register (ENG)."""
    store_example(uow, JTR)
    clock.set(datetime(2026, 4, 3, 10, 0, tzinfo=UTC))
    row = _open_request(uow, ORG, ("access",), "email")
    # g6: a person can ask for a copy; g3: normally free, so no fee stops the clock.
    assert (row.state, row.nation) == ("received", "ENG")
    assert row.due_on is not None
    assert row.due_on.isoformat() == "2026-05-05"  # 3 May a Sunday, 4 May a bank holiday
    with pytest.raises(TransitionRefused):
        respond(uow, ORG, row.ref, Step("user:u_case", clock.today()))


def test_it_sends_the_access_response_by_email_and_by_post_where_no_email_is_held(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """rights.g7: electronically (``electronic_unless_requested``) unless the person asks
    otherwise; no email held: post. The letter is the one the respond step sends
    (``transitions._done`` calls ``issue_letter`` in the step's unit of work); the step's
    own rules (identity, searches) are other tests' business."""
    store_example(uow, JTR)
    clock.set(datetime(2026, 4, 3, 10, 0, tzinfo=UTC))
    by_email = open_request(
        uow,
        NewRequest(ORG, ("access",), "email", clock.today(), Requester("A Customer", "a@x.org")),
        actor="user:u_case",
    )
    by_post = _open_request(uow, ORG, ("access",), "post")  # no email address held
    asked = Requester("A Customer", "b@x.org", reply_by="post")  # "unless asked otherwise"
    asked_for_post = open_request(
        uow, NewRequest(ORG, ("access",), "phone", clock.today(), asked), actor="user:u_case"
    )
    for row in (by_email, by_post, asked_for_post):
        assert issue_letter(uow, row, REQUEST_RESPONDED, actor="user:u_case") == "response"
    uow.commit()
    message = uow.session.scalars(select(OutboxMessage)).one()
    assert (message.request_id, message.kind) == (by_email.id, "request_letter_response")
    mime = open_message(uow, message, MailSettings(mail_from="privacy@jtr.example"))
    body = mime.get_body(("plain",)).get_content()
    assert "How we provide it: electronically, unless you ask otherwise." in body
    posted = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.letter_to_post")
    ).all()
    assert {(p.entity_id, p.details["why"]) for p in posted} == {
        (by_post.ref, "no_email"),
        (asked_for_post.ref, "asked_for_post"),
    }
    # The letter to post is the same letter, ready to print.
    assert "OUR ANSWER TO YOUR REQUEST" in letter_for(uow, by_post, "response").text


# -- RET-02: the complaint hold on BWV footage and call recordings ---------------------------

CASE_REF = "JTR-CASE-1001"
OTHER_CASE = "JTR-CASE-2002"


def _rule_due(register: Register, rule_id: str, made: date) -> date:
    """The day the example's own rule makes a record made on ``made`` due."""
    rule = next(r for r in register.retention_rules if r.id == rule_id)
    assert isinstance(rule.offset, Offset)
    due = after(rule.offset, made, register)
    assert due is not None
    return due


def _complaint_on_case(uow: UnitOfWork, register: Register, opened: date) -> tuple[str, str]:
    """A customer complains about the case; the complaint places the register's hold."""
    ref = person(uow, register, "customers", "dana@example.com")
    complaint = open_complaint(
        uow,
        NewComplaint(
            ORG,
            "email",
            opened,
            Requester(name="Dana", email="dana@example.com", words="The agent was rude."),
            subject_ref=ref,
        ),
        actor="user:caseworker",
    )
    hold = place_hold(
        uow,
        NewHold(
            organisation=ORG,
            scope="case",
            owner="dpo@jtr.example",
            review_on=opened + timedelta(days=90),
            hold_id="complaint_on_case",
            case_ref=CASE_REF,
            complaint_id=complaint.id,
        ),
        actor="user:caseworker",
    )
    return complaint.ref, hold.ref


def _held_then_released(
    uow: UnitOfWork, clock: FixedClock, dataset: str, rule_id: str, made: date, days: int
) -> None:
    """Made on ``made``, due ``days`` later; a complaint opened before that holds it; closed
    on C, it may go on C + 90 (the register's restart_after), not on its own date."""
    clock.set(datetime.combine(made, time(10, 0), tzinfo=UTC))
    register = store_example(uow, JTR)
    due = _rule_due(register, rule_id, made)
    assert due == made + timedelta(days=days)
    opened = due - timedelta(days=10)
    clock.set(datetime.combine(opened, time(10, 0), tzinfo=UTC))
    complaint_ref, hold_ref = _complaint_on_case(uow, register, opened)
    hold = get_hold(uow, ORG, hold_ref)
    assert dataset in hold.datasets
    assert hold.on_close == "restart_after"

    held = HeldRecord(dataset, due, case_ref=CASE_REF, record_ref="rec-1")
    free = HeldRecord(dataset, due, case_ref=OTHER_CASE, record_ref="rec-2")
    clock.set(datetime.combine(due, time(10, 0), tzinfo=UTC))
    assert [h.ref for h in holds_in_force(uow, ORG, dataset, case_ref=CASE_REF, on=due)] == [
        hold_ref
    ]
    assert holds_in_force(uow, ORG, dataset, case_ref=OTHER_CASE, on=due) == []
    # On the due day the footage on the complained-of case is held; the other case's goes.
    assert deletable_dates(uow, ORG, [held, free], on=due) == [None, due]

    closed = due + timedelta(days=30)
    clock.set(datetime.combine(closed, time(10, 0), tzinfo=UTC))
    close(
        uow,
        ORG,
        complaint_ref,
        "not_upheld",
        "We found no fault.",
        ComplaintStep("user:dpo", closed),
    )
    hold = get_hold(uow, ORG, hold_ref)
    assert hold.closed_on == closed
    assert hold.release_on == closed + timedelta(days=90)
    assert holds_in_force(uow, ORG, dataset, case_ref=CASE_REF, on=closed) == []
    assert deletable_dates(uow, ORG, [held, free], on=closed) == [
        closed + timedelta(days=90),
        due,
    ]


@runs("retention.t5")
def test_it_keeps_bwv_footage_of_a_complained_of_case_until_90_days_after_closure(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RET-02: BWV is deleted 90 days after it was made unless the case is under complaint
    then; the footage goes 90 days after the complaint is closed."""
    _held_then_released(uow, clock, "body_worn_video", "body_worn_video", date(2026, 3, 2), 90)


@runs("retention.t6")
def test_it_holds_bwv_footage_shared_with_researchers_the_same_way(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RET-02: the BWV rule and its hold cover the footage shared with research companies."""
    _held_then_released(uow, clock, "research_bwv_footage", "body_worn_video", date(2026, 3, 2), 90)


@runs("retention.t8")
def test_it_keeps_call_recordings_of_a_complained_of_case_until_90_days_after_closure(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RET-02: calls go after 30 days unless there is a complaint; then 90 days after it
    closes."""
    _held_then_released(uow, clock, "call_recordings", "call_recordings", date(2026, 4, 1), 30)


# -- Access (ACC-01, SAR-07): the customer's data found in the agency's own database ---------

# A debtor's rows per bound dataset, written by hand (:d the debtor's id, :e the email,
# :r the customer reference).
_BY_CASE = "JOIN cases c ON x.case_id = c.id WHERE c.debtor_id = :d"
HAND_COUNTS = {
    "customers": ["SELECT COUNT(*) FROM debtors WHERE id = :d"],
    "cases": ["SELECT COUNT(*) FROM cases WHERE debtor_id = :d"],
    "payments": [f"SELECT COUNT(*) FROM payments x {_BY_CASE}"],
    "visits": [
        f"SELECT COUNT(*) FROM agent_visits x {_BY_CASE}",
        f"SELECT COUNT(*) FROM notes x {_BY_CASE}",
    ],
    "body_worn_video": [f"SELECT COUNT(*) FROM body_worn_video x {_BY_CASE}"],
    "call_recordings": [f"SELECT COUNT(*) FROM call_recordings x {_BY_CASE}"],
    "vulnerability_evidence": ["SELECT COUNT(*) FROM vulnerability_evidence WHERE debtor_id = :d"],
    "new_occupier_evidence": [
        "SELECT COUNT(*) FROM new_occupiers WHERE email = :e OR occupier_ref = :r",
        "SELECT COUNT(*) FROM new_occupier_evidence x JOIN new_occupiers o "
        "ON x.new_occupier_id = o.id WHERE o.email = :e OR o.occupier_ref = :r",
    ],
    "complaints": [f"SELECT COUNT(*) FROM complaints x {_BY_CASE}"],
}
NOT_IN_DEMO = ["portal_accounts", "research_bwv_footage", "vehicle_camera_footage", "web_enquiries"]


@runs("rights.g6")
def test_it_finds_a_customers_own_rows_in_the_agencys_database_for_an_access_request(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ACC-01, SAR-07 on JTR's register and the demo agency's operational database
    and sources file (``dataward.demo``), built small."""
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    agency = demo_agency(tmp_path, JTR)
    register = store_example(uow, JTR)
    assert store_sources_file(uow, ORG, agency.loaded) == 1
    # The customer with the most cases among those with an email address.
    busiest = count(
        agency.url,
        "SELECT d.id FROM debtors d JOIN cases c ON c.debtor_id = d.id WHERE d.email IS NOT "
        "NULL GROUP BY d.id ORDER BY COUNT(*) DESC, d.id LIMIT 1",
    )
    debtor = next(d for d in agency.people.debtors if d.id == busiest)
    other = next(d for d in agency.people.debtors if d.id != busiest and d.email)
    assert debtor.email
    assert other.email
    ref = person(uow, register, "customers", debtor.email, customer_ref=debtor.customer_ref)
    row = verified_access_request(uow, ORG, ref, "email")
    uow.commit()

    result = search_sources(uow, ORG, row.ref, actor=STAFF, env=agency.env)
    uow.commit()

    params = {"d": debtor.id, "e": debtor.email, "r": debtor.customer_ref}
    expected = {
        dataset: sum(count(agency.url, sql, **params) for sql in queries)
        for dataset, queries in HAND_COUNTS.items()
    }
    assert {d: c.rows for d, c in result.searched.items()} == expected
    assert expected["cases"] >= 2
    assert expected["payments"] + expected["visits"] >= 1
    # SAR-07: what the agency's database holds is searched and recorded; what it does not
    # hold (no portal, no research footage, no vehicle cameras, enquiries by email) waits.
    assert result.not_bound == NOT_IN_DEMO
    assert {d: t.state for d, t in searches(uow, row).items()} == {
        **dict.fromkeys(HAND_COUNTS, "done"),
        **dict.fromkeys(NOT_IN_DEMO, "open"),
    }
    # Every row found is the customer's own, never another debtor's.
    found = rows_found(uow, ORG, ref, agency.loaded, agency.env)
    assert [r["id"] for r in found["customers/debtors"]] == [debtor.id]
    cases = {r["id"] for r in found["cases/cases"]}
    assert {r["debtor_id"] for r in found["cases/cases"]} == {debtor.id}
    for table in ("payments/payments", "visits/agent_visits", "visits/notes"):
        assert {r["case_id"] for r in found[table]} <= cases
    others = rows_found(
        uow,
        ORG,
        person(uow, register, "customers", other.email, customer_ref=other.customer_ref),
        agency.loaded,
        agency.env,
    )
    assert not cases & {r["id"] for r in others["cases/cases"]}

    # ACC-01: the package's cover letter speaks for these datasets from JTR's register.
    archive, letter = assembled_letter(uow, row, agency.env, tmp_path / "packages")
    found = [d for d, n in expected.items() if n]
    claims_only_the_register(letter, register, found)
    assert f"data/{found[0]}.json" in archive.namelist()
    assert [line.split(" (lawful basis")[0] for line in letter["Why we use it"][:2]] == [
        "Everyday business activities: We have a legitimate business need to use your "
        "personal information. Such need will cover all activities required to carry out "
        "everyday business activities.",
        "To carry out enforcement action and collect debt on behalf of our clients",
    ]
    kept = letter["How long we keep it"]
    assert kept[0] == (
        "Customer records (Single Customer View): Customer data: 6 years after the end of the "
        "year in which the starting event happens (starting event: case returned to the "
        "client, counting from the latest one)"
    )
    assert (
        "Body worn video recordings: BWV recordings of visit interactions: 90 days after BWV "
        "recording made"
    ) in kept
    # The register's own words on transfers, nothing more; nothing kept where nothing is.
    assert letter["Transfers outside the UK"] == [
        "Our privacy notice says: “We do not send your personal information outside of the UK "
        "(other than to countries within the EEA). In the event that this changes, we will "
        "notify you.”"
    ]
    assert not [line for line in kept if "Vehicle camera" in line or "portal" in line.lower()]


@runs("rights.g12")
def test_it_sends_what_a_customer_provided_to_the_third_party_they_name(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: POR-01 (Art 20(2)) on JTR's register and the demo agency's database: the
    customer's provided contact details go, machine-readable, to the organisation they
    name; they are told where it went, and only they get the one-time code to pass on."""
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    agency = demo_agency(tmp_path, JTR)
    register = store_example(uow, JTR)
    store_sources_file(uow, ORG, agency.loaded)
    debtor = next(d for d in agency.people.debtors if d.email)
    assert debtor.email
    ref = person(uow, register, "customers", debtor.email, customer_ref=debtor.customer_ref)
    row = verified_access_request(
        uow, ORG, ref, "email", email=debtor.email, rights=("portability",)
    )
    uow.commit()

    mails = sent_to_controller(uow, row, agency.env, tmp_path / "packages")

    to_controller = mails["portability_package_to_controller"]
    assert to_controller["To"] == CONTROLLER[1]
    body = to_controller.get_body(("plain",)).get_content()
    assert "JSON and CSV" in body
    assert debtor.email not in body  # the link, not the data
    assert mails["portability_package_sent"]["To"] == debtor.email
    assert mails["package_code"]["To"] == debtor.email
    assert "portability_package_ready" not in mails


@runs("rights.g7")
def test_it_answers_a_searched_access_request_by_email_or_by_post_where_no_email_is_held(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """rights.g7 after the search of the agency's database: the customer who gave an email
    address is answered electronically; the one the agency holds no email for, by post."""
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    agency = demo_agency(tmp_path, JTR)
    register = store_example(uow, JTR)
    store_sources_file(uow, ORG, agency.loaded)
    with_cases = {
        d.id
        for d in agency.people.debtors
        if count(agency.url, "SELECT COUNT(*) FROM cases WHERE debtor_id = :d", d=d.id)
    }
    emailed = next(d for d in agency.people.debtors if d.email and d.id in with_cases)
    posted = next(d for d in agency.people.debtors if not d.email and d.id in with_cases)
    assert emailed.email
    by_email = verified_access_request(
        uow,
        ORG,
        person(uow, register, "customers", emailed.email, customer_ref=emailed.customer_ref),
        "email",
        email=emailed.email,
    )
    no_email = add_subject(
        uow, ORG, ["customers"], [("customer_ref", posted.customer_ref)], actor=STAFF
    )
    by_post = verified_access_request(uow, ORG, no_email.ref, "post", email="")
    uow.commit()
    for row, debtor in ((by_email, emailed), (by_post, posted)):
        result = search_sources(uow, ORG, row.ref, actor=STAFF, env=agency.env)
        assert result.searched["customers"].rows == 1
        cases = count(agency.url, "SELECT COUNT(*) FROM cases WHERE debtor_id = :d", d=debtor.id)
        assert result.searched["cases"].rows == cases >= 1
    for row in (by_email, by_post):
        assert issue_letter(uow, row, REQUEST_RESPONDED, actor=STAFF) == "response"
    uow.commit()
    message = uow.session.scalars(select(OutboxMessage)).one()
    assert (message.request_id, message.kind) == (by_email.id, "request_letter_response")
    mime = open_message(uow, message, MailSettings(mail_from="privacy@jtr.example"))
    assert mime["To"] == emailed.email
    assert "How we provide it: electronically, unless you ask otherwise." in (
        mime.get_body(("plain",)).get_content()
    )
    (to_post,) = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.letter_to_post")
    ).all()
    assert (to_post.entity_id, to_post.details["why"]) == (by_post.ref, "no_email")


# -- Erasure (ERA-01..03) and its refusal on the agency's own data (issue 19) ------------------

# The demo's sources file names no erasure strategy except the NI number's keep ("needed to
# trace the debt while it is owed"). For a customer whose every case has gone back to the
# client, nothing is owed to JTR's collection: this copy erases each of their rows whole.
_ERASED_TABLES = (
    "debtors",
    "cases",
    "payments",
    "agent_visits",
    "notes",
    "body_worn_video",
    "call_recordings",
    "vulnerability_evidence",
    "complaints",
)
# A customer with cases, every one returned to the client, and no complaint or
# investigation open on any: no hold of the sources file is open on their rows.
_NOTHING_OPEN = (
    "SELECT d.id FROM debtors d WHERE EXISTS (SELECT 1 FROM cases c WHERE c.debtor_id = d.id) "
    "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.debtor_id = d.id AND c.returned_on IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM complaints k JOIN cases c ON k.case_id = c.id "
    "WHERE c.debtor_id = d.id AND k.closed_on IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM investigations i JOIN cases c ON i.case_id = c.id "
    "WHERE c.debtor_id = d.id AND i.closed_on IS NULL) ORDER BY d.id LIMIT 1"
)


def _erasable(agency: Agency, register: Register) -> LoadedSources:
    document = sources_document(
        organisation=ORG,
        files_dir=None,
        register_datasets={d.id for d in register.datasets},
    )
    for bindings in document["datasets"].values():
        for binding in bindings:
            if binding["table"] in _ERASED_TABLES:
                columns = binding.setdefault("columns", {})
                # The whole row goes: no column of it can say it is kept or emptied.
                for info in columns.values():
                    info.pop("erasure", None)
                columns.setdefault("id", {})["erasure"] = "delete_row"
    text = sources_text(document, operational_url=agency.url, files_dir=None, seed=18, subjects=40)
    return parse_sources(text, "jtr-erasable.yaml")


def _jtr_dpo(uow: UnitOfWork) -> str:
    settings = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    user, _ = create_user(uow, Passwords(settings), "dpo@jtr.example", "dpo", actor="test")
    return user_actor(user)


def _erasure_request(uow: UnitOfWork, subject: str, *, words: str = "Delete my data.") -> str:
    today = uow.clock.today()
    requester = Requester(name="A Customer", address="1 Any Street, Anytown", words=words)
    row = open_request(uow, NewRequest(ORG, ("erasure",), "post", today, requester), actor=STAFF)
    link_subject(uow, ORG, row.ref, subject, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, today))
    return row.ref


@runs("rights.g10")
def test_it_assesses_an_erasure_request_and_erases_exactly_the_customers_rows(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ERA-01..03 on JTR's register and the demo agency's database: a customer whose
    data JTR no longer needs asks for deletion; the request is assessed (the ground is
    recorded, the plan is a dry run the DPO approves) and executed; their rows go in every
    table the agency holds them in, and no other customer's."""
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    agency = demo_agency(tmp_path, JTR)
    register = store_example(uow, JTR)
    store_sources_file(uow, ORG, _erasable(agency, register))
    gone = count(agency.url, _NOTHING_OPEN)
    debtor = next(d for d in agency.people.debtors if d.id == gone)
    params = {"d": debtor.id, "e": debtor.email or "", "r": debtor.customer_ref}
    theirs = {
        dataset: sum(count(agency.url, sql, **params) for sql in queries)
        for dataset, queries in HAND_COUNTS.items()
    }
    assert theirs["cases"] >= 1
    before = {t: count(agency.url, f"SELECT COUNT(*) FROM {t}") for t in _ERASED_TABLES}
    subject = add_subject(
        uow, ORG, ["customers"], [("customer_ref", debtor.customer_ref)], actor=STAFF
    ).ref
    ref = _erasure_request(uow, subject)
    uow.commit()
    with pytest.raises(ErasureInvalid):  # assessed: no plan without a ground (ERA-01)
        plan_erasure(uow, ORG, ref, actor=STAFF, env=agency.env)
    uow.rollback()
    # g10's example: "no longer needed for its original purpose".
    assert (
        "no longer need"
        in next(i for i in register.rights.items if i.right.value == "erasure").grounds[0]
    )
    record_ground(uow, ORG, ref, "no_longer_necessary", actor=STAFF)
    plan = plan_erasure(uow, ORG, ref, actor=STAFF, env=agency.env)
    uow.commit()
    assert count(agency.url, "SELECT COUNT(*) FROM debtors WHERE id = :d", d=debtor.id) == 1
    approve_erasure(uow, ORG, ref, actor=_jtr_dpo(uow))
    uow.commit()
    for _ in range(10):
        step = execute_plan(uow, plan.id, worker="worker:jtr", env=agency.env)
        uow.commit()
        if step.state != "running":
            break
    uow.session.refresh(plan)
    assert plan.state == "done"
    assert plan.rows_erased == sum(theirs.values()) - theirs["new_occupier_evidence"]
    for dataset, queries in HAND_COUNTS.items():
        if dataset != "new_occupier_evidence":
            assert sum(count(agency.url, sql, **params) for sql in queries) == 0, dataset
    after = {t: count(agency.url, f"SELECT COUNT(*) FROM {t}") for t in _ERASED_TABLES}
    assert before["debtors"] - after["debtors"] == 1
    assert before["cases"] - after["cases"] == theirs["cases"]
    assert sum(before.values()) - sum(after.values()) == plan.rows_erased
    # Datasets the agency's database does not hold are searched by hand: JTR's own copy of
    # the person stays until that is done.
    assert not plan.shredded


@runs("rights.g5")
def test_it_refuses_a_deletion_the_law_or_the_purpose_needs_kept_and_says_why(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ERA-02, SAR-08 on JTR's register and the demo agency: two customers with a case
    still live ask for deletion. One is refused because the law requires the records kept
    (Art 17(3)(b)); the other because deleting would leave JTR without what the purpose
    needs (no ground of Art 17(1) applies). Each letter names the reason and the law, quotes
    JTR's notice and the ICO; nothing is erased."""
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    agency = demo_agency(tmp_path, JTR)
    store_example(uow, JTR)
    store_sources_file(uow, ORG, agency.loaded)
    live = [
        d
        for d in agency.people.debtors
        if count(
            agency.url,
            "SELECT COUNT(*) FROM cases WHERE debtor_id = :d AND returned_on IS NULL",
            d=d.id,
        )
    ][:2]
    assert len(live) == 2
    rows_before = count(agency.url, "SELECT COUNT(*) FROM cases")
    cases = (
        ("legal_obligation_to_keep", "the law requires us to keep the data (Article 17(3)(b)"),
        ("no_erasure_ground", "we still need the data for the purpose we collected it for"),
    )
    for debtor, (reason, says) in zip(live, cases, strict=True):
        subject = add_subject(
            uow, ORG, ["customers"], [("customer_ref", debtor.customer_ref)], actor=STAFF
        ).ref
        ref = _erasure_request(uow, subject)
        note = "Your case for the client is still open."
        refuse(uow, ORG, ref, Step(STAFF, clock.today(), note), reason=reason)
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        text = " ".join(letter_for(uow, row, "refusal").text.split())
        assert says in text, reason
        assert f"Our reason: {note}" in text
        # JTR's notice: "we may refuse ... if we are required by law to keep it ..."
        assert "if we are required by law to keep it for a longer period of time" in text
        assert "we would not have the necessary information we need" in text
        assert "https://ico.org.uk" in text
        assert "ask a court" in text
        assert not re.search(r"\d+ (years?|months?|days?)", text)  # no period invented
    uow.commit()
    assert count(agency.url, "SELECT COUNT(*) FROM cases") == rows_before


@runs("rights.g4")
def test_it_refuses_rights_over_research_footage_under_the_research_exemption(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: ACC-03, ERA-02 on JTR's register: the research and statistics exemption (DPA
    2018 Sch 2 para 27) recorded on the rights it disapplies. A customer's request to
    correct and restrict body worn video used for research is refused for that use, citing
    the exemption and quoting JTR's notice; the same exemption is one an access package may
    withhold research footage under (one list). The register records it on access,
    rectification, restriction and objection; the request to erase the footage is answered
    for erasure on its own (Art 17(3)(d) is erasure's research exception)."""
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    register = store_example(uow, JTR)
    on_rights = {
        i.right.value
        for i in register.rights.items
        if any("research and statistics" in e.name.lower() for e in i.exemptions)
    }
    assert on_rights == {"access", "rectification", "restriction", "objection"}
    assert "Research and statistics exemption" in exemptions(uow, ORG)
    subject = person(uow, register, "customers", "bwv.customer@example.com")
    today = clock.today()
    requester = Requester(name="A Customer", address="1 Any Street", words="The BWV footage.")
    row = open_request(
        uow,
        NewRequest(ORG, ("rectification", "restriction", "erasure"), "post", today, requester),
        actor=STAFF,
    )
    link_subject(uow, ORG, row.ref, subject, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, today))
    note = "The footage of your visit is used only in our research into agent safety."
    # Erasure's research exception is its own: the erasure part goes on its own request.
    erasure = split_request(uow, ORG, row.ref, ["erasure"], Step(STAFF, today))
    refuse(uow, ORG, row.ref, Step(STAFF, today, note), reason="dpa_research_statistics")
    refuse(uow, ORG, erasure.ref, Step(STAFF, today, note), reason="archiving_research_statistics")
    uow.commit()
    text = " ".join(letter_for(uow, row, "refusal").text.split())
    assert (
        "an exemption in the Data Protection Act 2018 applies: research and statistics "
        "(DPA 2018 Sch 2 para 27)" in text
    )
    assert "Where we use BWV footage for research purposes, some of your rights may not apply" in (
        text
    )
    assert f"Our reason: {note}" in text
    erased = " ".join(letter_for(uow, erasure, "refusal").text.split())
    assert "research or statistics" in erased
    assert "(Article 17(3)(d) UK GDPR)" in erased
    audited = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.refused")
    ).all()
    assert sorted(str(a.details["reason"]) for a in audited) == [
        "archiving_research_statistics",
        "dpa_research_statistics",
    ]


# JTR's register names no email for its recipients; an operator adds the one it writes to
# (as tests/integration/disclosure_support.py does). Experian stays without one.
_ASCENDANT_URL = "    privacy_notice_url: https://www.ascendantsol.co.uk/privacy-policy/\n"
_ASCENDANT_EMAIL = "data.protection@ascendant.example"


def _column(url: str, sql: str, debtor: int) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), {"d": debtor}).scalars())
    finally:
        engine.dispose()


@runs("rights.g9")
def test_it_corrects_a_customers_phone_in_the_agencys_database_and_tells_the_recipients(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: REC-01, NOT-01 on JTR's register and the demo agency's database (its sources
    file binds ``debtors.phone``, read_write): the customer's wrong phone number is corrected
    in their row only; each recipient the disclosure log says received their customer record
    is told, or why not is recorded (no email for Experian in the register)."""
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    agency = demo_agency(tmp_path, JTR)
    written = JTR.register_path.read_text(encoding="utf-8")
    assert written.count(_ASCENDANT_URL) == 1
    contact = f"    contacts: [{{kind: email, value: {_ASCENDANT_EMAIL}}}]\n"
    written = written.replace(_ASCENDANT_URL, _ASCENDANT_URL + contact)
    store_register(uow, parse_register(written, str(JTR.register_path)), actor="test")
    store_sources_file(uow, ORG, agency.loaded)
    debtor = next(d for d in agency.people.debtors if d.phone)
    subject = add_subject(
        uow, ORG, ["customers"], [("customer_ref", debtor.customer_ref)], actor=STAFF
    ).ref
    for recipient in ("ascendant_solutions", "experian"):
        record_disclosure(
            uow,
            NewDisclosure(
                ORG, subject, recipient, ("customers",), "customer_business_need", date(2026, 3, 2)
            ),
            actor=STAFF,
        )
    today = clock.today()
    requester = Requester(name="A Customer", address="1 Any Street", words="My phone is wrong.")
    row = open_request(
        uow, NewRequest(ORG, ("rectification",), "post", today, requester), actor=STAFF
    )
    link_subject(uow, ORG, row.ref, subject, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "document", Step(STAFF, today))
    uow.commit()
    phones = "SELECT COUNT(*) FROM debtors WHERE phone = :p"
    others = count(
        agency.url, "SELECT COUNT(*) FROM debtors WHERE id != :d AND phone IS NOT NULL", d=debtor.id
    )
    new_phone = "+447700900555"
    rect = rectify(
        uow, ORG, row.ref, Correction("customers", "phone", new_phone), actor=STAFF, env=agency.env
    )
    uow.commit()
    assert (rect.outcome, rect.rows) == ("applied", 1)
    assert (
        count(
            agency.url,
            "SELECT COUNT(*) FROM debtors WHERE id = :d AND phone = :p",
            d=debtor.id,
            p=new_phone,
        )
        == 1
    )
    assert count(agency.url, phones, p=new_phone) == 1  # nobody else's row
    assert count(agency.url, phones, p=debtor.phone) == 0
    assert others == count(
        agency.url, "SELECT COUNT(*) FROM debtors WHERE id != :d AND phone IS NOT NULL", d=debtor.id
    )
    told = {
        n.recipient: (n.outcome, n.reason) for n in uow.session.scalars(select(RecipientNotice))
    }
    assert told == {
        "ascendant_solutions": ("told", None),
        "experian": ("impossible", "no_contact"),
    }
    message = uow.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "recipient_rectification")
    ).one()
    mime = open_message(uow, message, MailSettings(mail_from="privacy@jtr.example"))
    assert mime["To"] == _ASCENDANT_EMAIL
    assert new_phone in mime.get_body(("plain",)).get_content()
