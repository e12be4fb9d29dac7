"""The demo's complaints (issue 17): every state the brief asks for, opened once, through the
services. Rules: CMP-01 (complaints and their clocks), RET-02 (the hold on the case's
body-worn video), SAR-10 (someone acting for the person)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from test_demo_requests import ORG, _demo, runner

from dataward.audit.models import AuditEvent
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.complaints.models import Complaint
from dataward.complaints.queue import counts
from dataward.complaints.service import complainant_of
from dataward.demo.complaints import ACTOR, PLANS, open_demo_complaints
from dataward.demo.rights_requests import open_demo_requests
from dataward.holds.models import LegalHold
from dataward.requests.models import RightsRequest
from dataward.uow import UnitOfWork


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
    first = open_demo_complaints(uow, ORG, seed=1)
    uow.commit()
    assert first.opened == len(PLANS) == 8
    again = open_demo_complaints(uow, ORG, seed=1)
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
