"""Johnnie Johnson Housing's rule facts, run in the engines on the example's own register.

Each test stores examples/johnnie-johnson-housing.yaml, makes a person of one of its
groups, records what they choose, moves the clock and checks what the notice promises.
examples/notices/runs-001-jjh.yaml lists every rule fact: the test here that runs it, or
what it waits for.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from access_support import (
    AYO,
    AYO_ROWS,
    JJH_SOURCES,
    JJH_URL_FROM,
    STAFF,
    assembled_letter,
    claims_only_the_register,
    count,
    jjh_housing,
    rows_found,
    searches,
    store_sources_file,
    verified_access_request,
)
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from runs_support import (
    EXAMPLES,
    JJH,
    disclosures_logged,
    person,
    runs,
    runs_problems,
    store_example,
)
from sqlalchemy import create_engine, select, text

from dataward.accounts.passwords import Passwords
from dataward.accounts.service import create_user, user_actor
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.config import Settings
from dataward.consent.choices import apply_choices, choice_rows
from dataward.consent.decisions import decide
from dataward.consent.errors import ConsentInvalid, ConsentNotBasis, ObjectionInvalid
from dataward.consent.objections import (
    decide_objection,
    lift_restriction,
    object_to_marketing,
    object_to_processing,
    restrict,
    tell_before_lifting,
)
from dataward.consent.preferences import opt_out, set_preference
from dataward.consent.records import give_consent, withdraw_consent
from dataward.crypto.keystore import Vault
from dataward.disclosures.errors import (
    ColumnNotBound,
    DisclosureNotAuthorised,
    ForOthersMarketing,
    TransferNotListed,
    TransferUnsafeguarded,
)
from dataward.disclosures.rectification import Correction, rectify
from dataward.disclosures.service import NewDisclosure, check_transfer, record_disclosure
from dataward.erasure.executor import execute_plan
from dataward.erasure.plan import plan_erasure, record_ground
from dataward.erasure.service import approve_erasure
from dataward.notice.render import render_html
from dataward.outbox.models import OutboxMessage
from dataward.publication.notices import list_notice_versions, register_of
from dataward.register.models import Right
from dataward.requests.errors import TransitionRefused
from dataward.requests.letters import letter_for
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import search_sources
from dataward.requests.tasks import finish_task, record_review, record_search, tasks_of
from dataward.requests.transitions import Step, link_subject, refuse, respond, verify_identity
from dataward.sources.loader import LoadedSources, load_sources, parse_sources
from dataward.uow import UnitOfWork

ORG = "johnnie_johnson_housing"
APRIL_7 = datetime(2026, 4, 7, 11, 0, tzinfo=UTC)
# How a route the register names for a right reaches dataward as a method of recording.
METHOD_OF_ROUTE = {"post": "paper", "email": "email", "phone": "phone", "portal": "portal"}


def test_every_rule_fact_runs_here_or_names_what_it_waits_for() -> None:
    # The retention rules run in their own module, on the example's own data (issue 20).
    import test_retention_jjh

    assert runs_problems(JJH, sys.modules[__name__], test_retention_jjh) == []


def _disclosure(ref: str, recipient: str, purpose: str, **more: object) -> NewDisclosure:
    fields: dict[str, object] = {
        "organisation": ORG,
        "subject_ref": ref,
        "recipient": recipient,
        "datasets": ("tenancy_records",),
        "purpose": purpose,
        "disclosed_on": APRIL_7.date(),
        **more,
    }
    return NewDisclosure(**fields)  # type: ignore[arg-type]


@runs("recipients.x13")
def test_it_shares_tenancy_information_with_a_representative_only_with_permission(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: NTC-01, NOT-01. JJH's register shares tenancy information with a customer's
    nominated representative ``only_if_authorised_by_subject``: a disclosure is refused
    until the customer's permission is recorded (when, and the evidence), and then kept."""
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    rep = next(r for r in register.recipients if r.id == "nominated_representative")
    assert rep.condition == "only_if_authorised_by_subject"
    ref = person(uow, register, "customers", "ayo@example.com")
    uow.commit()
    plain = _disclosure(ref, "nominated_representative", "tenancy_obligations")
    with pytest.raises(DisclosureNotAuthorised, match="only where the person has authorised"):
        record_disclosure(uow, plain, actor=STAFF)
    with pytest.raises(DisclosureNotAuthorised, match="before the disclosure"):
        record_disclosure(
            uow,
            _disclosure(
                ref,
                "nominated_representative",
                "tenancy_obligations",
                disclosed_on=APRIL_7.date() - timedelta(days=1),
                authorised_on=APRIL_7.date(),
                authorisation_ref="PERM-17",
            ),
            actor=STAFF,
        )
    with pytest.raises(DisclosureNotAuthorised, match="give both"):
        record_disclosure(
            uow,
            _disclosure(
                ref,
                "nominated_representative",
                "tenancy_obligations",
                authorised_on=APRIL_7.date(),
            ),
            actor=STAFF,
        )
    assert disclosures_logged(uow) == (0, 0)
    row = record_disclosure(
        uow,
        _disclosure(
            ref,
            "nominated_representative",
            "tenancy_obligations",
            authorised_on=APRIL_7.date() - timedelta(days=20),
            authorisation_ref="PERM-17",
        ),
        actor=STAFF,
    )
    uow.commit()
    assert (row.authorised_on, row.authorisation_ref) == (
        APRIL_7.date() - timedelta(days=20),
        "PERM-17",
    )
    assert disclosures_logged(uow) == (1, 1)
    event = uow.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == row.ref)).one()
    assert event.details["authorised_on"] == "2026-03-18"
    assert "PERM-17" not in str(event.details)  # the evidence's reference stays out


@runs("transfers.t2")
def test_it_sends_data_overseas_only_under_a_listed_transfer_with_its_safeguard(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: NTC-01, NTC-03, ROP-01. JJH's register places its overseas suppliers outside the UK
    and lists one transfer to them, safeguarded by contract, with safeguards always in
    place before any transfer: a disclosure to them must name that transfer; a transfer
    the register does not list, or one to another recipient, is refused; and a transfer
    whose safeguard the register leaves unstated is refused too."""
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    assert register.transfers.policy is not None
    assert register.transfers.policy.safeguards_always_before_transfer is True
    ref = person(uow, register, "customers", "ayo@example.com")
    uow.commit()
    abroad = _disclosure(ref, "overseas_suppliers", "rent_and_repairs")
    with pytest.raises(TransferNotListed, match="outside the UK: name the register's transfer"):
        record_disclosure(uow, abroad, actor=STAFF)
    with pytest.raises(TransferNotListed, match="lists no transfer 'cloud_hosting'"):
        record_disclosure(
            uow,
            _disclosure(ref, "overseas_suppliers", "rent_and_repairs", transfer="cloud_hosting"),
            actor=STAFF,
        )
    with pytest.raises(TransferNotListed, match="is not to recipient 'service_providers'"):
        record_disclosure(
            uow,
            _disclosure(
                ref, "service_providers", "rent_and_repairs", transfer="overseas_suppliers"
            ),
            actor=STAFF,
        )
    with pytest.raises(TransferNotListed, match="outside the UK"):
        record_disclosure(
            uow,
            _disclosure(ref, "service_providers", "rent_and_repairs", destination="India"),
            actor=STAFF,
        )
    assert disclosures_logged(uow) == (0, 0)
    item = register.transfers.items[0]
    unsafe = register.model_copy(
        update={
            "transfers": register.transfers.model_copy(
                update={"items": [item.model_copy(update={"safeguard": None})]}
            )
        }
    )
    recipient = next(r for r in register.recipients if r.id == "overseas_suppliers")
    new = _disclosure(ref, "overseas_suppliers", "rent_and_repairs", transfer=item.id)
    with pytest.raises(TransferUnsafeguarded, match="states no safeguard"):
        check_transfer(new, unsafe, recipient)
    row = record_disclosure(uow, replace_destination(new, "India"), actor=STAFF)
    uow.commit()
    assert (row.transfer, row.destination) == ("overseas_suppliers", "India")
    assert item.safeguard == "contract"
    assert disclosures_logged(uow) == (1, 1)


def replace_destination(new: NewDisclosure, destination: str) -> NewDisclosure:
    from dataclasses import replace

    return replace(new, destination=destination)


@runs("marketing.m5")
def test_it_never_shares_with_other_organisations_for_their_marketing(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: NTC-01, NTC-03. JJH's register says it never shares for other organisations'
    marketing: a disclosure for the recipient's own marketing is refused and changes
    nothing; the same disclosure for JJH's own purpose is kept."""
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    assert register.marketing.shares_for_third_party_marketing is False
    ref = person(uow, register, "customers", "ayo@example.com")
    uow.commit()
    for recipient in ("service_providers", "bills_council_tax_utilities"):
        with pytest.raises(ForOthersMarketing, match="never shared"):
            record_disclosure(
                uow,
                _disclosure(ref, recipient, "rent_and_repairs", for_recipient_marketing=True),
                actor=STAFF,
            )
    assert disclosures_logged(uow) == (0, 0)
    row = record_disclosure(
        uow, _disclosure(ref, "service_providers", "rent_and_repairs"), actor=STAFF
    )
    uow.commit()
    assert row.for_recipient_marketing is False
    assert disclosures_logged(uow) == (1, 1)


@runs("purposes.p15")
def test_it_checks_the_right_to_rent_as_a_legal_duty(uow: UnitOfWork, clock: FixedClock) -> None:
    # RULES: LAW-01, OBJ-01 (a legal duty rests on neither consent nor an objectable interest)
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    ref = person(uow, register, "applicants", "ayo@example.com")
    decision = decide(uow, ORG, ref, "right_to_rent_check")
    assert decision.allow
    assert decision.rules == ["LAW-01"]
    assert "legal obligation" in decision.reasons[-1]
    with pytest.raises(ConsentNotBasis):
        give_consent(uow, ORG, ref, "right_to_rent_check", method="in_person", evidence="x")
    with pytest.raises(ObjectionInvalid):
        object_to_processing(uow, ORG, ref, ["right_to_rent_check"], method="in_person")


@runs("marketing.m1")
def test_it_sends_promotional_messages_only_to_people_who_opted_in(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: MKT-01
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    assert {c.channel: c.basis for c in register.marketing.channels} == {
        "email": "consent",
        "sms": "consent",
    }
    tenant = person(uow, register, "customers", "tia@example.com", phone="07911 123456")
    contact = person(uow, register, "other_contacts", "oli@example.com")
    for ref in (tenant, contact):
        for channel in ("email", "sms"):
            refused = decide(uow, ORG, ref, "homes_marketing", channel)
            assert not refused.allow
            assert "needs consent and none is recorded" in refused.reasons[-1]
    give_consent(
        uow,
        ORG,
        contact,
        "homes_marketing",
        channel="email",
        method="web_form",
        evidence="asked to join the homes marketing list on the website",
    )
    assert decide(uow, ORG, contact, "homes_marketing", "email").allow
    assert not decide(uow, ORG, contact, "homes_marketing", "sms").allow
    assert not decide(uow, ORG, tenant, "homes_marketing", "email").allow
    # Neither post nor calls are marketing channels of this notice.
    for channel in ("post", "live_call"):
        assert not decide(uow, ORG, contact, "homes_marketing", channel).allow


def _opted_in(uow: UnitOfWork, ref: str) -> None:
    for channel in ("email", "sms"):
        give_consent(
            uow,
            ORG,
            ref,
            "homes_marketing",
            channel=channel,
            method="portal",
            evidence="opted in to promotional messages in the Resident Portal",
        )


@runs("marketing.m3")
def test_it_stops_marketing_emails_when_the_person_unsubscribes(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: MKT-01 (a chance to refuse in every message)
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    email = next(c for c in register.marketing.channels if c.channel == "email")
    assert "unsubscribe_link" in email.opt_out_routes
    ref = person(uow, register, "customers", "tia@example.com", phone="07911 123456")
    _opted_in(uow, ref)
    assert decide(uow, ORG, ref, "homes_marketing", "email").allow
    clock.set(datetime(2026, 12, 24, 23, 10, tzinfo=UTC))  # at any time
    opt_out(uow, ORG, ref, "homes_marketing", "email", method="web_form")
    stopped = decide(uow, ORG, ref, "homes_marketing", "email")
    assert not stopped.allow
    assert "withdrawn on 2026-12-24 23:10" in stopped.reasons[-1]
    # The link in an email stops emails; texts have routes of their own.
    assert decide(uow, ORG, ref, "homes_marketing", "sms").allow


@runs("marketing.m4")
def test_it_stops_marketing_when_asked_or_when_portal_preferences_change(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: MKT-01, LAW-05
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    for channel in register.marketing.channels:
        assert {"contact_us", "portal"} <= set(channel.opt_out_routes), channel.id
    caller = person(uow, register, "customers", "cal@example.com")
    portal_user = person(uow, register, "customers", "pat@example.com")
    for ref in (caller, portal_user):
        _opted_in(uow, ref)
    clock.advance(timedelta(days=60))
    # Getting in touch: staff record the opt-out from the call.
    for channel in ("email", "sms"):
        opt_out(uow, ORG, caller, "homes_marketing", channel, method="phone")
    # The Resident Portal's contact preferences: untick both marketing boxes, keep the rest.
    rows = choice_rows(uow, ORG, portal_user)
    marketing = {r.key for r in rows if r.key.startswith("m:homes_marketing:")}
    assert marketing == {"m:homes_marketing:email", "m:homes_marketing:sms"}
    kept = {r.key for r in rows if r.on} - marketing
    assert apply_choices(uow, ORG, portal_user, kept, actor="subject") == 2
    for ref in (caller, portal_user):
        for channel in ("email", "sms"):
            assert not decide(uow, ORG, ref, "homes_marketing", channel).allow


@runs("marketing.m8")
def test_it_treats_satisfaction_surveys_as_optional(uow: UnitOfWork, clock: FixedClock) -> None:
    # RULES: OBJ-01 (a survey is an interest the person may decline)
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    surveys = next(p for p in register.preferences if p.id == "surveys")
    assert surveys.optional is True
    ref = person(uow, register, "customers", "tia@example.com")
    assert decide(uow, ORG, ref, "satisfaction_surveys").allow
    set_preference(uow, ORG, ref, "surveys", False, method="web_form")
    declined = decide(uow, ORG, ref, "satisfaction_surveys")
    assert not declined.allow
    assert "turned off" in declined.reasons[-1]
    # Declining costs nothing else, and can be undone.
    assert decide(uow, ORG, ref, "tenancy_obligations").allow
    clock.advance(timedelta(days=200))
    set_preference(uow, ORG, ref, "surveys", True, method="phone")
    assert decide(uow, ORG, ref, "satisfaction_surveys").allow
    # Unlike service messages, which the register does not make optional.
    with pytest.raises(ConsentInvalid):
        set_preference(uow, ORG, ref, "service_messages", False, method="phone")


@runs("marketing.m9")
def test_it_leaves_people_out_of_future_surveys_by_link_or_on_request(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    surveys = next(p for p in register.preferences if p.id == "surveys")
    assert set(surveys.opt_out_routes) == {"survey_opt_out_link", "contact_us"}
    by_link = person(uow, register, "survey_respondents", "rob@example.com")
    by_contact = person(uow, register, "customers", "cas@example.com")
    assert decide(uow, ORG, by_link, "satisfaction_surveys").allow
    clock.advance(timedelta(days=2))
    set_preference(uow, ORG, by_link, "surveys", False, method="web_form")
    set_preference(uow, ORG, by_contact, "surveys", False, method="email")
    for ref in (by_link, by_contact):
        assert not decide(uow, ORG, ref, "satisfaction_surveys").allow


@runs("marketing.m11")
def test_it_uses_photographs_in_publications_only_with_permission(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-05
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    ref = person(uow, register, "publication_subjects", "pia@example.com")
    assert not decide(uow, ORG, ref, "publication_images").allow
    give_consent(
        uow,
        ORG,
        ref,
        "publication_images",
        method="paper",
        evidence="signed the photography permission form at the open day",
    )
    set_preference(uow, ORG, ref, "publication_images", True, method="paper")
    assert decide(uow, ORG, ref, "publication_images").allow
    clock.advance(timedelta(days=90))
    withdraw_consent(uow, ORG, ref, "publication_images", method="email")
    stopped = decide(uow, ORG, ref, "publication_images")
    assert not stopped.allow
    assert stopped.rules == ["LAW-05"]


@runs("rights.g1")
def test_it_publishes_the_notice_that_tells_each_group_why_its_information_is_used(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: NTC-01
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    [published] = list_notice_versions(uow, ORG)
    assert published.declared_id == register.notice.versions[-1].id
    assert published.published_at == APRIL_7
    stored = register_of(uow, published)
    for group in ("applicants", "customers", "callers", "publication_subjects"):
        page = BeautifulSoup(render_html(stored, group=group), "html.parser")
        text = re.sub(r"\s+", " ", page.get_text(" "))
        for purpose in stored.purposes:
            if group in purpose.subject_groups:
                assert purpose.name in text, f"{group}: {purpose.name}"


@runs("rights.g5")
def test_it_restricts_how_a_customers_information_is_used_on_request(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: RES-01
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    ref = person(uow, register, "customers", "tia@example.com")
    used = ["tenancy_obligations", "fraud_investigation", "satisfaction_surveys"]
    assert all(decide(uow, ORG, ref, p).allow for p in used)
    row = restrict(uow, ORG, ref, [], "accuracy_contested")
    for purpose in used:
        restricted = decide(uow, ORG, ref, purpose)
        assert not restricted.allow
        assert restricted.rules == ["RES-01"]
    clock.advance(timedelta(days=10))
    tell_before_lifting(uow, ORG, row.ref)
    lift_restriction(uow, ORG, row.ref)
    assert all(decide(uow, ORG, ref, p).allow for p in used)


@runs("rights.g6")
def test_it_stops_using_information_when_a_customer_objects(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: OBJ-01, OBJ-02
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    ref = person(uow, register, "customers", "tia@example.com")
    _opted_in(uow, ref)
    objection = object_to_processing(uow, ORG, ref, ["fraud_investigation"], method="email")
    assert not decide(uow, ORG, ref, "fraud_investigation").allow
    clock.advance(timedelta(days=20))
    decide_objection(uow, ORG, objection.ref, "upheld", "the interest does not outweigh hers")
    assert "was upheld" in decide(uow, ORG, ref, "fraud_investigation").reasons[-1]
    object_to_marketing(uow, ORG, ref, ["any"], method="phone")
    for channel in ("email", "sms"):
        refused = decide(uow, ORG, ref, "homes_marketing", channel)
        assert not refused.allow
        assert refused.rules == ["OBJ-02"]


@runs("rights.g9")
def test_it_lets_consent_be_withdrawn_by_post_or_email_at_any_time(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: LAW-05
    clock.set(APRIL_7)
    register = store_example(uow, JJH)
    right = next(r for r in register.rights.items if r.right is Right.WITHDRAW_CONSENT)
    methods = [METHOD_OF_ROUTE[route.kind] for route in right.routes]
    assert methods == ["paper", "email"]
    people = [
        person(uow, register, "customers", f"tenant{n}@example.com") for n in range(len(methods))
    ]
    for ref in people:
        _opted_in(uow, ref)
    clock.set(datetime(2027, 8, 1, 7, 5, tzinfo=UTC))
    for ref, method in zip(people, methods, strict=True):
        withdraw_consent(uow, ORG, ref, "homes_marketing", channel="email", method=method)
        withdrawn = decide(uow, ORG, ref, "homes_marketing", "email")
        assert not withdrawn.allow
        assert "withdrawn on 2027-08-01 07:05" in withdrawn.reasons[-1]


@runs("rights.g8", "security.s7")
def test_it_takes_access_and_automated_decision_requests_after_security_questions(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: SAR-01, SAR-05, ADM-01 on JJH's own register."""
    store_example(uow, JJH)
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    new = NewRequest(
        ORG, ("access", "automated_decisions"), "phone", clock.today(), Requester(name="A Tenant")
    )
    row = open_request(uow, new, actor="user:u_contact_centre")
    # g2: usually free (no fee asked, the clock runs); g8: challenging an automated decision
    # is a request like any other, on the same clock.
    assert row.rights == ["access", "automated_decisions"]
    assert row.not_offered == []
    assert row.due_on is not None
    # s7: callers answer security questions before anything is checked or disclosed.
    with pytest.raises(TransitionRefused):
        respond(uow, ORG, row.ref, Step("user:u_contact_centre", clock.today()))
    verify_identity(
        uow, ORG, row.ref, "knowledge_check", Step("user:u_contact_centre", clock.today())
    )
    # SAR-07, ADM-01: each of JJH's datasets searched, the response packaged, and the
    # decision reviewed by a person with the tenant's view, before the answer goes out.
    staff = "user:u_contact_centre"
    for task in tasks_of(uow, row):
        if task.kind == "manual_search":
            record_search(uow, ORG, row.ref, task.id, False, "", actor=staff)
        elif task.kind == "package":
            finish_task(uow, ORG, row.ref, task.id, "", actor=staff)
        elif task.kind == "human_review":
            record_review(uow, ORG, row.ref, task.id, "Income changed", "Upheld", actor=staff)
    assert respond(uow, ORG, row.ref, Step("user:u_contact_centre", clock.today())).outcome == (
        "responded"
    )


# -- Access (ACC-01, SAR-07): the tenant's data found in JJH's own housing system ------------


@runs("rights.g2")
def test_it_finds_a_tenants_own_rows_in_the_housing_system_and_leaves_paper_to_hand_search(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ACC-01, SAR-05, SAR-07 on JJH's register, its sources file
    (examples/sources/johnnie-johnson-housing.yaml) and a small housing database."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, JJH)
    loaded = load_sources(JJH_SOURCES)
    assert store_sources_file(uow, ORG, loaded) == 1
    env = {JJH_URL_FROM: jjh_housing(tmp_path)}
    ayo = person(uow, register, "customers", "ayo@example.com", **AYO)
    bea = person(
        uow,
        register,
        "customers",
        "bea@example.com",
        customer_ref="JJH-T-1002",
        phone="+447911123202",
    )
    # g2: the tenant asks by phone and answers the security questions first (s7).
    row = verified_access_request(uow, ORG, ayo, "phone", method="knowledge_check")
    uow.commit()

    result = search_sources(uow, ORG, row.ref, actor=STAFF, env=env)
    uow.commit()

    assert {d: c.rows for d, c in result.searched.items()} == AYO_ROWS
    by_hand = ["cctv_footage", "publication_images", "tenancy_files"]
    assert result.not_bound == by_hand
    # SAR-07: every bound dataset's search is recorded; the paper files, CCTV and the photo
    # library stay open for someone to search by hand before the response can go.
    assert {d: t.state for d, t in searches(uow, row).items()} == {
        **dict.fromkeys(AYO_ROWS, "done"),
        **dict.fromkeys(by_hand, "open"),
    }
    # The rows are Ayo's: both tenancies, their rent and repairs, the application that led to
    # the first, Ayo's calls; not Bea's, though Bea lives at Ayo's old address.
    found = rows_found(uow, ORG, ayo, loaded, env)
    assert [r["tenant_ref"] for r in found["tenancy_records/tenants"]] == ["JJH-T-1001"]
    assert [r["id"] for r in found["tenancy_records/tenancies"]] == [10, 11]
    assert [r["id"] for r in found["tenancy_records/rent_transactions"]] == [100, 101, 102]
    assert [r["id"] for r in found["tenancy_records/repairs"]] == [200]
    assert [r["id"] for r in found["housing_applications/applications"]] == [300]
    assert [r["id"] for r in found["call_recordings/calls"]] == [400, 401]
    theirs = rows_found(uow, ORG, bea, loaded, env)
    assert [r["id"] for r in theirs["tenancy_records/tenancies"]] == [12]
    assert [r["id"] for r in theirs["call_recordings/calls"]] == [402]

    # ACC-01: the package's cover letter speaks for these datasets from the register.
    archive, letter = assembled_letter(uow, row, env, tmp_path / "packages")
    found = [d for d, n in result.searched.items() if n.rows]
    claims_only_the_register(letter, register, found)
    assert found == list(AYO_ROWS)
    assert "data/tenancy_records.json" in archive.namelist()
    assert letter["Why we use it"][0].startswith("Managing your tenancy or lease: ")
    assert letter["How long we keep it"][0] == (
        "Tenancy and lease records (electronic): Tenancy and lease records kept six years: "
        "6 years after tenancy ended or Home sold (whichever comes first)"
    )
    # The register names no destination ("unknown"): the letter names none either.
    assert letter["Transfers outside the UK"] == [
        "Suppliers or service providers based overseas; the safeguards will be listed in the "
        "contracts that we use, to countries our privacy notice does not name; safeguard: "
        "contract (The safeguards will be listed in the contracts that we use.)"
    ]


# -- Rectification and erasure on the housing database (issue 19) ------------------------------


def _writable_sources() -> LoadedSources:
    """JJH's own sources file with its housing database bound read_write and every column
    erased by deleting its row (the notice states no column JJH keeps once a person is
    erased)."""
    text = JJH_SOURCES.read_text(encoding="utf-8")
    line = "    url_from: JJH_HOUSING_DB_URL\n"
    assert text.count(line) == 1
    text = text.replace(line, line + "    mode: read_write\n")
    for ending in ("provenance: provided}", "provenance: observed}", "provenance: derived}"):
        text = text.replace(ending, ending[:-1] + ", erasure: delete_row}")
    text = text.replace("free_text: true}", "free_text: true, erasure: delete_row}")
    return parse_sources(text, "jjh-writable.yaml")


def _verified(
    uow: UnitOfWork, subject: str, rights: tuple[str, ...], channel: str = "phone"
) -> RightsRequest:
    today = uow.clock.today()
    requester = Requester(name="A Tenant", address="4 Oak Court, Worcester", words="Please.")
    row = open_request(uow, NewRequest(ORG, rights, channel, today, requester), actor=STAFF)
    link_subject(uow, ORG, row.ref, subject, Step(STAFF, today))
    # JJH's security questions (security.s7).
    verify_identity(uow, ORG, row.ref, "knowledge_check", Step(STAFF, today))
    return row


def _tenant_phones(url: str) -> dict[int, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, phone FROM tenants ORDER BY id")).tuples()
            return {int(key): str(phone) for key, phone in rows}
    finally:
        engine.dispose()


@runs("rights.g3")
def test_it_corrects_a_tenants_inaccurate_phone_number_in_the_housing_system(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: REC-01 on JJH's register, its sources file (tenants.phone is bound) and the
    small housing database: Ayo's wrong phone number is corrected in Ayo's row only, and
    the request's "make the change" task is done. An unbound column is refused, changing
    nothing."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, JJH)
    store_sources_file(uow, ORG, _writable_sources())
    url = jjh_housing(tmp_path)
    env = {JJH_URL_FROM: url}
    ayo = person(uow, register, "customers", "ayo@example.com", **AYO)
    row = _verified(uow, ayo, ("rectification",))
    uow.commit()
    with pytest.raises(ColumnNotBound):
        rectify(
            uow,
            ORG,
            row.ref,
            Correction("tenancy_records", "vulnerable", "no"),
            actor=STAFF,
            env=env,
        )
    uow.rollback()
    assert _tenant_phones(url) == {1: "+447911123101", 2: "+447911123202"}
    fixed = Correction("tenancy_records", "phone", "+447911123999")
    rect = rectify(uow, ORG, row.ref, fixed, actor=STAFF, env=env)
    uow.commit()
    assert (rect.outcome, rect.rows) == ("applied", 1)
    assert _tenant_phones(url) == {1: "+447911123999", 2: "+447911123202"}
    change = [t for t in tasks_of(uow, row) if t.kind == "execute"]
    assert [t.state for t in change] == ["done"]


@runs("rights.g4")
def test_it_deletes_a_callers_recording_it_no_longer_needs_and_refuses_a_tenants_it_does(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """RULES: ERA-01..03, ERA-02 on JJH's register ("when we don't need it anymore") and the
    small housing database: a caller whose enquiry is dealt with asks for deletion; the
    ground is recorded, the plan approved by the DPO and executed: exactly the caller's
    recording row goes. A tenant with a live tenancy is refused (no ground applies), with
    the reason, the law and the routes to complain; nothing of theirs is erased."""
    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, JJH)
    store_sources_file(uow, ORG, _writable_sources())
    url = jjh_housing(tmp_path)
    env = {JJH_URL_FROM: url}
    erasure = next(i for i in register.rights.items if i.right is Right.ERASURE)
    assert erasure.grounds == ["we don't need it anymore", "we are using it based on your consent"]
    caller = person(uow, register, "callers", "cy@example.com", phone="+441905000000")
    row = _verified(uow, caller, ("erasure",))
    record_ground(uow, ORG, row.ref, "no_longer_necessary", actor=STAFF)
    plan = plan_erasure(uow, ORG, row.ref, actor=STAFF, env=env)
    uow.commit()
    settings = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    dpo, _ = create_user(uow, Passwords(settings), "dpo@jjh.example", "dpo", actor="test")
    approve_erasure(uow, ORG, row.ref, actor=user_actor(dpo))
    uow.commit()
    for _ in range(10):
        step = execute_plan(uow, plan.id, worker="worker:jjh", env=env)
        uow.commit()
        if step.state != "running":
            break
    uow.session.refresh(plan)
    assert (plan.state, plan.rows_erased) == ("done", 1)
    assert count(url, "SELECT count(*) FROM calls WHERE id = 403") == 0
    assert count(url, "SELECT count(*) FROM calls") == 3  # Ayo's two and Bea's stay
    assert count(url, "SELECT count(*) FROM tenants") == 2

    ayo = person(uow, register, "customers", "ayo@example.com", **AYO)
    tenant = _verified(uow, ayo, ("erasure",))
    note = "You still hold your tenancy of 4 Oak Court with us."
    refuse(uow, ORG, tenant.ref, Step(STAFF, clock.today(), note), reason="no_erasure_ground")
    uow.commit()
    words = " ".join(letter_for(uow, tenant, "refusal").text.split())
    assert "none of the grounds for erasure applies" in words
    assert "(Article 17(1) UK GDPR)" in words
    assert f"Our reason: {note}" in words
    assert "https://ico.org.uk/make-a-complaint/" in words
    assert count(url, "SELECT count(*) FROM tenancies WHERE tenant_id = 1") == 2


@runs("rights.g12")
def test_a_change_of_details_sent_through_the_portal_form_is_applied_to_the_housing_system(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path, database_url: str, vault: Vault
) -> None:
    """RULES: REC-01 on JJH's register, its sources file and the small housing database: Ayo
    tells JJH of a new phone number through dataward's public request form for JJH (the
    register's rectification routes: the contact centre or the portal). It opens a
    rectification request from the portal, acknowledged; once the caseworker has found Ayo
    and asked the security questions, the new number is written to Ayo's row in the housing
    system, and only there."""
    from dataward.web.app import create_app

    clock.set(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    register = store_example(uow, JJH)
    rectification = next(i for i in register.rights.items if i.right is Right.RECTIFICATION)
    assert "portal" in [route.kind for route in rectification.routes]
    store_sources_file(uow, ORG, _writable_sources())
    url = jjh_housing(tmp_path)
    ayo = person(uow, register, "customers", "ayo@example.com", **AYO)
    uow.commit()
    settings = Settings(
        database_url=database_url,
        examples_dir=EXAMPLES,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        argon2_parallelism=1,
        cookie_secure=False,
        secret_key="test-secret-key-for-signing-links-0123456789",
        refusal_window_seconds=0,
    )
    app = create_app(settings, clock, vault)
    try:
        client = TestClient(app, follow_redirects=False)
        form = client.get(f"/orgs/{ORG}/request")
        assert form.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        sent = client.post(
            f"/orgs/{ORG}/request",
            data={
                "rights": ["rectification"],
                "for_whom": "self",
                "name": "Ayo Bello",
                "email": "ayo@example.com",
                "words": "My phone number has changed to +447911555000.",
                "csrf_token": token.group(1),
            },
        )
        assert sent.status_code == 303, sent.text
    finally:
        app.state.engine.dispose()
    row = uow.session.scalars(select(RightsRequest)).one()
    assert (row.channel, row.rights, row.state) == ("portal", ["rectification"], "received")
    acknowledged = uow.session.scalars(
        select(OutboxMessage).where(OutboxMessage.request_id == row.id)
    ).all()
    assert [m.kind for m in acknowledged] == ["request_acknowledged"]
    today = clock.today()
    link_subject(uow, ORG, row.ref, ayo, Step(STAFF, today))
    verify_identity(uow, ORG, row.ref, "knowledge_check", Step(STAFF, today))
    fixed = Correction("tenancy_records", "phone", "+447911555000")
    rect = rectify(uow, ORG, row.ref, fixed, actor=STAFF, env={JJH_URL_FROM: url})
    uow.commit()
    assert (rect.outcome, rect.rows) == ("applied", 1)
    assert _tenant_phones(url) == {1: "+447911555000", 2: "+447911123202"}
