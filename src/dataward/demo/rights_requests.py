"""The demo agency's request queue: a handful of rights requests in every state. Never commits.

A new user of ``make run`` should find a living queue, not an empty one: something overdue,
something due this week, requests waiting for identity, for a representative's authority
or for clarification, one extended, one objection to marketing that took effect at once,
and a few finished (answered and closed, refused, about a person who has died).

Every request is opened and moved through the services a caseworker's clicks run
(``open_request``, ``transitions.take_step``, ``tasks.*``, ``authority.*``), as
``system:demo``, so each step is checked by the rules, sends its letter and appends to the
audit chain like any other. Days are counted back from the clock's today, so the queue
looks the same whatever day the demo is loaded. Names and the subjects chosen come from a
seed; the references are random, as for every request.

Idempotent: the marker is the queue itself. If any request of the organisation was opened
by ``system:demo`` (its ``request.received`` event says so), nothing is opened again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from dataward.accounts.models import User
from dataward.accounts.service import user_actor
from dataward.audit.service import record
from dataward.clock import in_uk_time
from dataward.demo.audit_actions import DEMO_REQUESTS_OPENED
from dataward.demo.disclosures import seed_demo_disclosures
from dataward.requests import authority, tasks
from dataward.requests.audit_actions import REQUEST_RECEIVED
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.rights_applied import APPLIED_RIGHTS, APPLY_TASK, apply_right
from dataward.requests.service import NewRequest, Requester, open_request, register_of
from dataward.requests.transitions import Step, take_step
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

ACTOR = "system:demo"
_FIRST = ("Amira", "Ben", "Chloe", "Dev", "Ellen", "Finn", "Grace", "Hamza", "Isla", "Jack")
_LAST = ("Okafor", "Pritchard", "Nowak", "Lewis", "MacLeod", "Shah", "Evans", "Byrne")
_STREETS = ("Mill Lane", "Station Road", "Church Street", "Victoria Road", "Park Avenue")


@dataclass(frozen=True)
class DemoRequests:
    organisation: str
    opened: int  # 0 when the demo requests were there already
    existing: int


@dataclass(frozen=True)
class _Plan:
    """One demo request: what was asked, how, how many days ago, and what happened since."""

    rights: tuple[str, ...]
    channel: str
    days_ago: int
    words: str
    kind: str = "self"
    by_post: bool = False
    linked: bool = True
    # The steps after opening: (name, days ago, note, details) for ``take_step``.
    steps: tuple[tuple[str, int, str | None, str | None], ...] = ()
    # A service step of its own (tasks, authority) run before ``steps``.
    before: Callable[[UnitOfWork, RightsRequest, date], None] | None = None
    assign: bool = False


def _finish_tasks(uow: UnitOfWork, row: RightsRequest, today: date) -> None:
    """SAR-07: every dataset searched (nothing found) and every other task done."""
    for task in tasks.holding_up_response(uow, row):
        if task.kind in tasks.SEARCH_KINDS:
            tasks.record_search(uow, row.organisation, row.ref, task.id, False, "", actor=ACTOR)
        else:
            tasks.finish_task(uow, row.organisation, row.ref, task.id, "", actor=ACTOR)


def _restricted(uow: UnitOfWork, row: RightsRequest, today: date) -> None:
    """RES-01: identity known to staff, the restriction applied while the debt is checked
    (``requests.rights_applied``), then the rest of the tasks done."""
    on = today - timedelta(days=15)
    take_step(uow, row.organisation, row.ref, "verify_identity", Step(ACTOR, on), "known_to_staff")
    for task in tasks.holding_up_response(uow, row):
        if task.kind == APPLY_TASK and task.right in APPLIED_RIGHTS:
            apply_right(
                uow, row.organisation, row.ref, task.id, ground="accuracy_contested", actor=ACTOR
            )
    _finish_tasks(uow, row, today)


def _one_search(uow: UnitOfWork, row: RightsRequest, today: date) -> None:
    """Work under way: the first dataset searched, with something found."""
    for task in tasks.holding_up_response(uow, row):
        if task.kind in tasks.SEARCH_KINDS:
            tasks.record_search(
                uow,
                row.organisation,
                row.ref,
                task.id,
                True,
                "Account notes and two call recordings found (demo).",
                actor=ACTOR,
            )
            return


def _solicitor_authority(uow: UnitOfWork, row: RightsRequest, today: date) -> None:
    """SAR-10: the solicitor's letter came with an authority the caseworker must check."""
    authority.receive_authority(
        uow,
        row,
        authority.Evidence("signed_authority", "Form of authority signed by the client (demo)."),
        actor=ACTOR,
    )
    authority.ask_for_authority(
        uow, row.organisation, row.ref, Step(ACTOR, today - timedelta(days=7), None)
    )


# Received N days before today; the due dates follow (one calendar month, SAR-01), so e.g.
# 40 days ago is overdue, 28 days ago is due within a week, whatever the month.
PLANS: tuple[_Plan, ...] = (
    _Plan(
        ("access",),
        "email",
        40,
        "Please send me copies of everything you hold about me.",
        steps=(("verify_identity", 38, None, "email_code"),),
        assign=True,
    ),
    _Plan(
        ("rectification",),
        "phone",
        28,
        "My address on your letters is wrong: I moved in March.",
        steps=(("verify_identity", 27, None, "known_to_staff"),),
        assign=True,
    ),
    _Plan(("erasure",), "portal", 3, "I paid in full; please delete my details.", linked=False),
    _Plan(
        ("access",),
        "post",
        10,
        "Subject access request: all recordings of my calls.",
        by_post=True,
        steps=(("verify_identity", 9, None, "document"),),
        before=_one_search,
        assign=True,
    ),
    _Plan(
        ("access",),
        "email",
        5,
        "What data do you have on me and where did you get it?",
        linked=False,
        steps=(("ask_identity", 4, None, None),),
    ),
    _Plan(
        ("access",),
        "email",
        12,
        "Send me my data.",
        steps=(
            ("verify_identity", 11, None, "email_code"),
            ("ask_clarification", 6, "Which of the three accounts do you mean?", None),
        ),
    ),
    _Plan(
        ("access", "portability"),
        "post",
        20,
        "All my records since 2015, in a file I can take to another lender.",
        by_post=True,
        steps=(
            ("verify_identity", 19, None, "document"),
            ("extend", 15, "Ten years of records across four systems: a complex request.", None),
        ),
    ),
    _Plan(
        ("access",),
        "email",
        8,
        "We act for our client and ask for a copy of their personal data.",
        kind="solicitor",
        before=_solicitor_authority,
    ),
    _Plan(
        ("objection_direct_marketing",),
        "social_media",
        2,
        "Stop sending me offers. Now.",
    ),
    _Plan(
        ("access",),
        "email",
        45,
        "A copy of my data, please.",
        steps=(
            ("verify_identity", 44, None, "document"),
            ("ready_for_review", 20, None, None),
            ("respond", 18, "Your data was sent by secure email.", None),
            ("close", 17, None, None),
        ),
        before=_finish_tasks,
    ),
    _Plan(
        ("erasure",),
        "email",
        30,
        "Delete everything, as I asked last week and the week before.",
        steps=(
            (
                "refuse",
                25,
                "The same request answered twice this month (demo).",
                "manifestly_excessive",
            ),
        ),
    ),
    _Plan(
        ("access",),
        "post",
        14,
        "I write about my late father's account.",
        kind="other_representative",
        by_post=True,
        linked=False,
        steps=(("deceased", 9, "The subject has died; his executor was told.", None),),
    ),
    _Plan(
        ("restriction",),
        "in_person",
        15,
        "Please stop using my data while you check the debt.",
        steps=(("ready_for_review", 2, None, None),),
        before=_restricted,
    ),
)


def demo_requests_exist(uow: UnitOfWork, organisation: str) -> int:
    """How many requests of ``organisation`` the demo opened (the idempotency marker)."""
    return len(
        uow.session.scalars(
            select(RequestEvent.id)
            .join(RightsRequest, RightsRequest.id == RequestEvent.request_id)
            .where(
                RightsRequest.organisation == organisation,
                RequestEvent.action == REQUEST_RECEIVED,
                RequestEvent.actor == ACTOR,
            )
        ).all()
    )


def _caseworker(uow: UnitOfWork) -> str | None:
    """The first enabled user (on a first start, ``admin``): some requests are theirs."""
    user = uow.session.scalars(
        select(User).where(User.disabled_at.is_(None)).order_by(User.created_at, User.ref)
    ).first()
    return user_actor(user) if user is not None else None


# Who acts for the subject in the demo, and the authority they showed (SAR-10).
_ACTING = {
    "solicitor": ("Byrne & Co Solicitors", "Signed form of authority"),
    "other_representative": ("the subject's son", "Executor of the estate"),
}


def _requester(rng: random.Random, plan: _Plan) -> Requester:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    name = f"{first} {last}"
    address = f"{rng.randint(2, 98)} {rng.choice(_STREETS)}, Leeds LS{rng.randint(1, 28)}"
    acting, authority_shown = _ACTING.get(plan.kind, ("", ""))
    return Requester(
        name=f"{name}, {acting}" if acting else name,
        email="" if plan.by_post else f"{first}.{last}@example.com".lower(),
        address=address,
        words=plan.words,
        on_behalf_of=f"{rng.choice(_FIRST)} {last}" if acting else "",
        authority=authority_shown,
        reply_by="post" if plan.by_post else "",
    )


def open_demo_requests(uow: UnitOfWork, organisation: str, *, seed: int = 1) -> DemoRequests:
    """Open the demo's requests in ``organisation`` unless the demo opened some already."""
    existing = demo_requests_exist(uow, organisation)
    if existing:
        return DemoRequests(organisation, 0, existing)
    rng = random.Random(seed)
    # The UK's day, and never after the clock's: steps may not take effect after today.
    today = min(uow.clock.today(), in_uk_time(uow.clock.now()).date())
    register = register_of(uow, organisation)
    refs = list(
        uow.session.scalars(
            select(Subject.ref)
            .where(Subject.organisation == organisation)
            .order_by(Subject.ref)
            .limit(200)
        )
    )
    caseworker = _caseworker(uow)
    disclosed = 0
    for plan in PLANS:
        subject_ref = rng.choice(refs) if refs and plan.linked else None
        new = NewRequest(
            organisation=organisation,
            rights=plan.rights,
            channel=plan.channel,
            received_on=today - timedelta(days=plan.days_ago),
            requester=_requester(rng, plan),
            requester_kind=plan.kind,
            subject_ref=subject_ref,
        )
        row = open_request(uow, new, actor=ACTOR, register=register)
        # NOT-01: recipients to tell when a demo request corrects, erases or restricts
        # (logged before any such change is applied below).
        disclosed += seed_demo_disclosures(uow, register, [row], today)
        if plan.assign and caseworker is not None:
            take_step(
                uow, organisation, row.ref, "assign", Step(ACTOR, new.received_on), caseworker
            )
        if plan.before is not None:
            plan.before(uow, row, today)
        for name, days_ago, note, details in plan.steps:
            take_step(
                uow,
                organisation,
                row.ref,
                name,
                Step(ACTOR, today - timedelta(days=days_ago), note),
                details,
            )
    record(
        uow,
        actor=ACTOR,
        action=DEMO_REQUESTS_OPENED,
        entity_type="organisation",
        entity_id=organisation,
        details={"requests": len(PLANS), "seed": seed, "disclosures": disclosed},
    )
    return DemoRequests(organisation, len(PLANS), 0)
