"""Holds on a subject keeping rows in a RUN, not only in the plan (RULES: RET-02, RES-01,
ERA-02), on the SQL site of the run's tests (25 November 2026). Body-worn video 1 and 5 are
due and free; customer C2 (debtor 2) owns recording 5 (case 3) and 4 (case 2, held anyway by
the investigation's 90 days)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from retention_site import ORG, build_site, finish, ids, store
from sqlalchemy import select

from dataward.clock import FixedClock
from dataward.consent.objections import lift_restriction, restrict, tell_before_lifting
from dataward.holds.service import NewHold, place_hold
from dataward.retention.models import RetentionEvidence
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_retention_plan import _restricting_register


def _bwv(uow: UnitOfWork) -> RetentionEvidence:
    found = uow.session.scalars(
        select(RetentionEvidence).where(
            RetentionEvidence.rule == "body_worn_video",
            RetentionEvidence.dataset == "body_worn_video",
        )
    ).all()
    assert len(found) == 1
    return found[0]


# RULES: RET-02, ERA-02 (a legal hold on a subject keeps every row of theirs in a run)
def test_a_subject_legal_hold_keeps_the_subjects_rows_in_a_run(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    site = build_site(tmp_path)
    store(uow, site)
    person = add_subject(uow, ORG, ["customers"], [("customer_ref", "C2")], actor="test")
    hold = place_hold(
        uow,
        NewHold(
            ORG,
            "subject",
            "DPO",
            date(2027, 1, 1),
            reason="litigation",
            subject_ref=person.ref,
            datasets=("body_worn_video",),
        ),
        actor="dpo",
    )
    uow.commit()
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3, 4, 5}
    bwv = _bwv(uow)
    assert (bwv.status, bwv.rows) == ("done", 1)
    assert bwv.held[f"legal_hold:{hold.ref}"] == 2


# RULES: RES-01 (restriction_is_hold: true keeps a restricted subject's rows in a run)
def test_a_restriction_keeps_the_subjects_rows_where_the_rule_says_so(
    uow: UnitOfWork, tmp_path: Path, clock: FixedClock
) -> None:
    site = build_site(tmp_path)
    store(uow, site, _restricting_register(tmp_path))
    person = add_subject(uow, ORG, ["customers"], [("customer_ref", "C2")], actor="test")
    restriction = restrict(uow, ORG, person.ref, [], "legal_claims", actor="dpo")
    uow.commit()
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3, 4, 5}
    assert _bwv(uow).held["restriction"] == 2
    # Lifted (the subject told first): the next day's run deletes the recording.
    tell_before_lifting(uow, ORG, restriction.ref, actor="dpo")
    lift_restriction(uow, ORG, restriction.ref, actor="dpo")
    uow.commit()
    clock.advance(timedelta(days=1))
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3, 4}


# RULES: RES-01 (silence is not a hold: a rule that does not say so deletes)
def test_a_restriction_does_not_keep_rows_where_the_register_is_silent(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    site = build_site(tmp_path)
    store(uow, site)
    person = add_subject(uow, ORG, ["customers"], [("customer_ref", "C2")], actor="test")
    restrict(uow, ORG, person.ref, [], "legal_claims", actor="dpo")
    uow.commit()
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3, 4}
