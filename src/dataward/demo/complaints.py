"""The demo agency's complaints: a handful in different states and themes. Never commits.

A new user of ``make run`` should find complaints to look at (CMP-01): one whose
acknowledgement is overdue, one closed and upheld, one about a visit with a legal hold on
the case's body-worn video (the register's ``complaint_on_case``), one from a solicitor
acting for the person, one about a demo rights request (linked to it), one withdrawn, one
not upheld, and one that arrived this week and says no theme yet.

The visit's complaint is about a real case of its subject, one with body-worn video, read
from the agency's database through the stored sources file (``held_case``): the hold then
keeps that case's footage in an erasure plan for the person and nothing else. When the
agency cannot be read, the complaint is opened without a hold: no case is made up.

Each is opened and moved through the services a caseworker's clicks run
(``open_complaint``, ``steps.*``, ``holds.service.place_hold``) as ``system:demo``, so each
step is checked by the rules and appends to the audit chain like any other. Days are
counted back from the UK's today. Names come from a seed; the references are random.

Idempotent: if any complaint of the organisation was opened by ``system:demo`` (its
``complaint.received`` step says so), nothing is opened again.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from dataward.audit.service import record
from dataward.complaints.audit_actions import COMPLAINT_RECEIVED
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.complaints.service import Complainant, NewComplaint, open_complaint, today_of
from dataward.complaints.steps import Step, acknowledge, add_note, close, investigate, link_request
from dataward.demo.audit_actions import DEMO_COMPLAINTS_OPENED
from dataward.demo.held_case import HeldCase, case_with_footage
from dataward.demo.rights_requests import _caseworker
from dataward.holds.service import NewHold, place_hold
from dataward.requests.audit_actions import REQUEST_RECEIVED
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

ACTOR = "system:demo"
HOLD_ID = "complaint_on_case"
_FIRST = ("Aisha", "Bryn", "Cara", "Declan", "Esme", "Fraser", "Gita", "Harvey")
_LAST = ("Thompson", "Kowalski", "Reid", "Adeyemi", "Hughes", "Doyle", "Patel")


@dataclass(frozen=True)
class DemoComplaints:
    organisation: str
    opened: int  # 0 when the demo complaints were there already
    existing: int


@dataclass(frozen=True)
class _Plan:
    """One demo complaint: how it came, how many days ago, and what happened since."""

    channel: str
    days_ago: int
    words: str
    theme: str | None
    kind: str = "self"
    acknowledged: int | None = None  # days ago
    investigating: int | None = None
    note: tuple[int, str] | None = None
    closed: tuple[int, str, str] | None = None  # days ago, outcome, explanation
    hold: bool = False  # a legal hold on the case's body-worn video
    link_request: bool = False  # about the demo's oldest open rights request
    linked_subject: bool = True


PLANS: tuple[_Plan, ...] = (
    _Plan(  # CMP-01: 35 days and not acknowledged: overdue
        "post",
        35,
        "I wrote in March asking you to correct my balance and nobody has replied.",
        "accuracy",
    ),
    _Plan(
        "email",
        50,
        "Your letter about my debt went to my old address and my ex-partner opened it.",
        "disclosure",
        acknowledged=48,
        investigating=40,
        note=(30, "The address was updated in one system but not the letters system (demo)."),
        closed=(20, "upheld", "We sent your letter to an old address. We have fixed it."),
    ),
    _Plan(
        "phone",
        12,
        "Your agent filmed me and my children at the door during the visit on Tuesday.",
        "recording",
        acknowledged=10,
        investigating=9,
        hold=True,
    ),
    _Plan(
        "email",
        8,
        "We act for our client, who complains that you shared her details with a neighbour.",
        "disclosure",
        kind="solicitor",
        acknowledged=6,
    ),
    _Plan(
        "portal",
        6,
        "I asked for a copy of my data over a month ago and have heard nothing.",
        "rights_request",
        acknowledged=5,
        link_request=True,
    ),
    _Plan(
        "email",
        20,
        "Someone from your company emailed me my neighbour's payment plan by mistake.",
        "security",
        closed=(15, "withdrawn", "The complainant withdrew: the email was from another firm."),
    ),
    _Plan(
        "social_media",
        70,
        "You keep texting me offers after I told you to stop.",
        "marketing",
        acknowledged=68,
        investigating=60,
        closed=(40, "not_upheld", "The texts were payment reminders, not marketing."),
    ),
    _Plan("portal", 2, "Why do you still have my details from 2012?", None, linked_subject=False),
)


def demo_complaints_exist(uow: UnitOfWork, organisation: str) -> int:
    """How many complaints of ``organisation`` the demo opened (the idempotency marker)."""
    query = (
        select(func.count(ComplaintEvent.id))
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(
            Complaint.organisation == organisation,
            ComplaintEvent.action == COMPLAINT_RECEIVED,
            ComplaintEvent.actor == ACTOR,
        )
    )
    return int(uow.session.scalar(query) or 0)


def _complainant(rng: random.Random, plan: _Plan) -> Complainant:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    if plan.kind == "solicitor":
        return Complainant(
            name=f"{first} {last}, Byrne & Co Solicitors",
            email="complaints@byrne-solicitors.example",
            words=plan.words,
            on_behalf_of=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            authority="Signed form of authority",
        )
    return Complainant(
        name=f"{first} {last}",
        email=f"{first}.{last}@example.com".lower(),
        words=plan.words,
    )


def _oldest_demo_request(uow: UnitOfWork, organisation: str) -> str | None:
    """The demo's oldest rights request (the overdue one), if the demo opened requests."""
    return uow.session.scalars(
        select(RightsRequest.ref)
        .join(RequestEvent, RequestEvent.request_id == RightsRequest.id)
        .where(
            RightsRequest.organisation == organisation,
            RequestEvent.action == REQUEST_RECEIVED,
            RequestEvent.actor == ACTOR,
        )
        .order_by(RightsRequest.received_on, RightsRequest.ref)
        .limit(1)
    ).first()


def open_demo_complaints(
    uow: UnitOfWork,
    organisation: str,
    *,
    seed: int = 1,
    env: Mapping[str, str] | None = None,
) -> DemoComplaints:
    """Open the demo's complaints in ``organisation`` unless the demo opened some already.

    ``env`` names the agency's database and files (the sources file's ``url_from``), as
    connectors read it; default: the environment and settings.
    """
    existing = demo_complaints_exist(uow, organisation)
    if existing:
        return DemoComplaints(organisation, 0, existing)
    rng = random.Random(seed)
    today = today_of(uow)
    refs = list(
        uow.session.scalars(
            select(Subject.ref)
            .where(Subject.organisation == organisation)
            .order_by(Subject.ref)
            .limit(200)
        )
    )
    held = case_with_footage(uow, organisation, env) if any(p.hold for p in PLANS) else None
    for plan in PLANS:
        received = today - timedelta(days=plan.days_ago)
        subject_ref = rng.choice(refs) if refs and plan.linked_subject else None
        if plan.hold and held is not None:
            subject_ref = held.subject_ref  # the customer whose case the hold sits on
        new = NewComplaint(
            organisation=organisation,
            channel=plan.channel,
            received_on=received,
            complainant=_complainant(rng, plan),
            complainant_kind=plan.kind,
            subject_ref=subject_ref,
            theme=plan.theme,
        )
        row = open_complaint(uow, new, actor=ACTOR)
        _follow(uow, row, plan, today, held)
    record(
        uow,
        actor=ACTOR,
        action=DEMO_COMPLAINTS_OPENED,
        entity_type="organisation",
        entity_id=organisation,
        details={"complaints": len(PLANS), "seed": seed},
    )
    return DemoComplaints(organisation, len(PLANS), 0)


def _day(today: date, days_ago: int) -> Step:
    return Step(ACTOR, today - timedelta(days=days_ago))


def _follow(
    uow: UnitOfWork, row: Complaint, plan: _Plan, today: date, held: HeldCase | None
) -> None:
    """The steps after opening, in the order a caseworker takes them."""
    org, ref = row.organisation, row.ref
    if plan.acknowledged is not None:
        acknowledge(uow, org, ref, _day(today, plan.acknowledged))
    if plan.investigating is not None:
        investigate(uow, org, ref, _day(today, plan.investigating))
    if plan.note is not None:
        add_note(uow, org, ref, plan.note[1], _day(today, plan.note[0]))
    if plan.link_request:
        request_ref = _oldest_demo_request(uow, org)
        if request_ref is not None:
            link_request(uow, org, ref, request_ref, actor=ACTOR)
    if plan.hold and held is not None:
        # The visit's case: the body-worn video is kept until 90 days after the complaint
        # closes (the register's complaint_on_case).
        place_hold(
            uow,
            NewHold(
                organisation=org,
                scope="case",
                owner=_caseworker(uow) or ACTOR,
                review_on=today + timedelta(days=90),
                hold_id=HOLD_ID,
                case_ref=held.case_ref,
                datasets=("body_worn_video",),
                complaint_id=row.id,
            ),
            actor=ACTOR,
        )
    if plan.closed is not None:
        days_ago, outcome, explanation = plan.closed
        close(uow, org, ref, outcome, explanation, _day(today, days_ago))
