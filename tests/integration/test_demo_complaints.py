"""The demo's complaints (issue 17): every state the brief asks for, opened once, through the
services. Rules: CMP-01 (complaints and their clocks), RET-02 (the hold on the case's
body-worn video), SAR-10 (someone acting for the person)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, select, text
from test_demo_requests import ORG, _demo, runner

from dataward.audit.models import AuditEvent
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.complaints.models import Complaint
from dataward.complaints.queue import counts
from dataward.complaints.service import complainant_of
from dataward.demo.complaints import ACTOR, PLANS, open_demo_complaints
from dataward.demo.rights_requests import open_demo_requests
from dataward.demo.sources import OPERATIONAL, OPERATIONAL_URL_FROM
from dataward.erasure.evidence import steps_of
from dataward.erasure.models import ErasureStepKey
from dataward.erasure.plan import plan_erasure, record_ground
from dataward.erasure.survey import key_digest
from dataward.holds.models import LegalHold
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import subject_identities
from dataward.requests.transitions import Step, verify_identity
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork


def _agency(tmp_path: Path) -> dict[str, str]:
    """The demo agency of ``_demo``, by the variable its sources file names (no files)."""
    return {OPERATIONAL_URL_FROM: f"sqlite:///{tmp_path / 'operational.db'}"}


def _footage_by_case(
    tmp_path: Path, subject_id: str | None, uow: UnitOfWork
) -> dict[str, set[int]]:
    """Body-worn video row ids per case reference of the subject's own debtor row, read
    straight from the agency's database by the subject's customer reference."""
    subject = uow.session.get(Subject, subject_id)
    assert subject is not None
    customer_ref = subject_identities(uow, subject)["customer_ref"][0]
    engine = create_engine(_agency(tmp_path)[OPERATIONAL_URL_FROM])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.case_ref, b.id FROM body_worn_video b "
                    "JOIN cases c ON c.id = b.case_id JOIN debtors d ON d.id = c.debtor_id "
                    "WHERE d.customer_ref = :ref"
                ),
                {"ref": customer_ref},
            ).all()
    finally:
        engine.dispose()
    found: dict[str, set[int]] = {}
    for case_ref, video_id in rows:
        found.setdefault(case_ref, set()).add(video_id)
    return found


def _complaints(uow: UnitOfWork) -> list[Complaint]:
    query = select(Complaint).where(Complaint.organisation == ORG)
    return list(uow.session.scalars(query.order_by(Complaint.received_on)))


def test_the_demo_complaints_hold_every_state_once(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path, database_url: str
) -> None:
    """CMP-01: one acknowledgement overdue, one upheld, one with a legal hold on a visit's
    body-worn video, one from a solicitor, one linked to a demo request; opened once."""
    _demo(uow, tmp_path)
    open_demo_requests(uow, ORG, seed=1)
    uow.commit()
    first = open_demo_complaints(uow, ORG, seed=1, env=_agency(tmp_path))
    uow.commit()
    assert first.opened == len(PLANS) == 8
    again = open_demo_complaints(uow, ORG, seed=1, env=_agency(tmp_path))
    uow.commit()
    assert (again.opened, again.existing) == (0, 8)

    rows = _complaints(uow)
    assert len(rows) == 8
    assert counts(uow, ORG)["acknowledgement_overdue"] == 1
    assert Counter(r.outcome for r in rows if r.state == "closed") == {
        "upheld": 1,
        "not_upheld": 1,
        "withdrawn": 1,
    }
    assert {r.state for r in rows} == {"received", "acknowledged", "investigating", "closed"}
    assert len({r.theme for r in rows}) >= 6
    assert None in {r.theme for r in rows}

    # SAR-10's kinds: a solicitor acts for the person, and says whom for (sealed).
    solicitor = next(r for r in rows if r.complainant_kind == "solicitor")
    assert complainant_of(uow, solicitor).on_behalf_of

    # Linked to the demo's oldest (overdue) request.
    oldest = uow.session.scalars(
        select(RightsRequest.ref)
        .where(RightsRequest.organisation == ORG)
        .order_by(RightsRequest.received_on)
    ).first()
    linked = [r for r in rows if r.request_refs]
    assert [r.request_refs for r in linked] == [[oldest]]

    # RET-02: the visit's complaint keeps the case's body-worn video.
    hold = uow.session.scalars(select(LegalHold)).one()
    about = next(r for r in rows if r.id == hold.complaint_id)
    assert (about.theme, about.state) == ("recording", "investigating")
    assert (hold.hold_id, hold.scope, hold.datasets) == (
        "complaint_on_case",
        "case",
        ["body_worn_video"],
    )
    assert hold.case_ref
    assert hold.closed_on is None
    # A real case of the complaint's own subject, with footage (not a made-up reference).
    assert hold.case_ref in _footage_by_case(tmp_path, about.subject_id, uow)

    # The chain: the demo's steps and one marker, no complainant's words; and it holds.
    opened = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "demo.complaints_opened")
    ).all()
    assert [(e.entity_id, e.details["complaints"]) for e in opened] == [(ORG, 8)]
    demo_details = uow.session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.actor == ACTOR, AuditEvent.entity_type == "complaint"
        )
    ).all()
    assert len(demo_details) > 8 * 2
    chain_text = json.dumps(list(demo_details))
    for row in rows:
        assert complainant_of(uow, row).words not in chain_text
    verified = runner.invoke(app, ["audit", "verify", "--url", database_url])
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output


def test_without_demo_requests_the_complaint_is_simply_not_linked(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    _demo(uow, tmp_path)
    assert open_demo_complaints(uow, ORG, seed=1).opened == 8
    uow.commit()
    assert all(not r.request_refs for r in _complaints(uow))


def test_an_erasure_plan_keeps_exactly_the_held_cases_footage(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    """ERA-02, RET-02: the visit's complaint holds a real case of its subject; erasing that
    person keeps that case's body-worn video (legal_hold, the hold named) and nothing else."""
    _demo(uow, tmp_path)
    open_demo_complaints(uow, ORG, seed=1, env=_agency(tmp_path))
    uow.commit()
    hold = uow.session.scalars(select(LegalHold)).one()
    about = uow.session.get(Complaint, hold.complaint_id)
    assert about is not None
    assert about.subject_id is not None
    subject = uow.session.get(Subject, about.subject_id)
    assert subject is not None
    footage = _footage_by_case(tmp_path, subject.id, uow)
    row = open_request(
        uow,
        NewRequest(
            ORG,
            ("erasure",),
            "email",
            date(2026, 11, 24),
            Requester(name="Demo Person", words="Delete my data."),
            subject_ref=subject.ref,
        ),
        actor="case@jtr.example",
    )
    verify_identity(uow, ORG, row.ref, "document", Step("case@jtr.example", date(2026, 11, 24)))
    record_ground(uow, ORG, row.ref, "no_longer_necessary", actor="case@jtr.example")

    plan = plan_erasure(uow, ORG, row.ref, actor="case@jtr.example", env=_agency(tmp_path))
    uow.commit()

    (video,) = [s for s in steps_of(uow, plan) if s.dataset == "body_worn_video"]
    held = footage[hold.case_ref]
    others = set().union(*(ids for case, ids in footage.items() if case != hold.case_ref))
    assert others  # the demo holds a case of someone filmed in another case too
    assert (video.kept_reason, video.kept_detail) == ("legal_hold", f"case hold {hold.ref}")
    assert video.rows_kept == len(held)
    gone = set(
        uow.session.scalars(select(ErasureStepKey.digest).where(ErasureStepKey.step_id == video.id))
    )
    assert not {key_digest(OPERATIONAL, "body_worn_video", i) for i in held} & gone
    assert {key_digest(OPERATIONAL, "body_worn_video", i) for i in others} <= gone


def test_without_the_agency_the_visit_complaint_holds_no_made_up_case(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    _demo(uow, tmp_path)
    opened = open_demo_complaints(uow, ORG, seed=1, env={})  # its database named nowhere
    uow.commit()

    assert opened.opened == 8
    assert uow.session.scalars(select(LegalHold)).all() == []
    about = next(r for r in _complaints(uow) if r.theme == "recording")
    assert about.state == "investigating"
