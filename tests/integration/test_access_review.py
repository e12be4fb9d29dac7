"""ACC-02 and ACC-03 on the review of an access package, on SQLite and PostgreSQL: the
redactions the detector finds through the subject store's blind index, undoing and
reapplying them, withholding items under an exemption, and approval. Refused steps change
nothing. The clock is the test's (25 November 2026)."""

from __future__ import annotations

from pathlib import Path

import pytest
from access_review_support import CASE, NOTES, ORG, Built, built_package, other_subject
from sqlalchemy import func, select

from dataward.access import audit_actions as actions
from dataward.access.errors import PackageRefused
from dataward.access.models import (
    APPLIED,
    APPROVED,
    READY,
    RELEASED,
    UNDONE,
    WITHHELD,
    Redaction,
    Withholding,
)
from dataward.access.redaction import BlindIndex, Detector, Span, detector_for
from dataward.access.review import (
    DPA_EXEMPTIONS,
    ExemptionUnknown,
    ReviewItemNotFound,
    WithholdingInvalid,
    approve_package,
    exemptions,
    reapply_redaction,
    reason_of,
    release_withholding,
    undo_redaction,
    withhold,
)
from dataward.access.service import ASSEMBLE_JOB
from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.jobs.models import Job
from dataward.requests.errors import RequestNotFound
from dataward.requests.source_search import subject_identities
from dataward.uow import UnitOfWork
from dataward.web.loading import load_examples

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "web"
LPP = "Legal professional privilege"


@pytest.fixture
def built(uow: UnitOfWork) -> Built:
    load_examples(uow, FIXTURES / "registers")
    other_subject(uow)
    made = built_package(uow)
    uow.commit()
    return made


def _redactions(uow: UnitOfWork, built: Built) -> list[Redaction]:
    return list(
        uow.session.scalars(
            select(Redaction)
            .where(Redaction.package_id == built.package.id)
            .order_by(Redaction.row_no, Redaction.start)
        )
    )


def _texts(uow: UnitOfWork, built: Built) -> list[tuple[int, str, str]]:
    return [(r.row_no, NOTES[r.row_no][r.start : r.end], r.kind) for r in _redactions(uow, built)]


def _actions(uow: UnitOfWork) -> list[str]:
    return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _state(uow: UnitOfWork) -> tuple[object, ...]:
    """What a refused step must leave alone."""
    return (
        tuple((r.id, r.state) for r in uow.session.scalars(select(Redaction))),
        tuple((w.id, w.state) for w in uow.session.scalars(select(Withholding))),
        uow.session.scalar(select(func.count()).select_from(Job)),
        len(_actions(uow)),
    )


def test_acc02_other_subjects_are_redacted_and_the_subjects_own_details_are_not(
    uow: UnitOfWork, built: Built
) -> None:
    assert _texts(uow, built) == [
        (1, "Mary Jones", "other_subject"),
        (1, "bob.other@example.com", "other_subject"),
        (3, "0113 496 0000", "phone"),
        (3, "Mary Jones", "other_subject"),
    ]
    assert built.part.redactions == 4


def test_acc02_a_batch_is_looked_up_in_one_query_and_verdicts_are_cached(
    uow: UnitOfWork, built: Built
) -> None:
    detector = detector_for(uow, built.package, subject_identities(uow, built.subject))
    assert detector.index is not None
    rows = [{"n": note} for note in NOTES * 50]
    found = detector.scan_batch(rows, ["n"])
    assert detector.index.queries == 1
    assert sum(len(spans) for spans in found) == 4 * 50
    detector.scan_batch(rows, ["n"])
    assert detector.index.queries == 1  # everything known already


def test_acc02_a_value_held_by_the_subject_and_another_stays(uow: UnitOfWork, built: Built) -> None:
    # A merged or shared value indexed under the subject's key wins over the other's.
    index = BlindIndex(uow, ORG, built.package.key_id)
    mine = index.digest("name", "jane doe")
    theirs = index.digest("name", "mary jones")
    nobody = index.digest("name", "nobody known")
    got = index.verdicts([("name", mine), ("name", theirs), ("name", nobody)])
    assert got == {mine: "own", theirs: "other", nobody: "unknown"}
    # Without the own list too, the index alone keeps the subject's name.
    spans = Detector({}, index).scan({"n": "Jane Doe met Mary Jones"}, ["n"])
    assert spans == [Span("n", 13, 23, "other_subject")]


def test_acc02_a_name_window_inside_a_longer_run_is_found(uow: UnitOfWork, built: Built) -> None:
    detector = Detector({}, BlindIndex(uow, ORG, built.package.key_id))
    text = "Yesterday Mary Jones Said hello"
    assert detector.scan({"n": text}, ["n"]) == [Span("n", 10, 20, "other_subject")]


def test_acc02_undo_and_reapply_a_redaction_each_audited(uow: UnitOfWork, built: Built) -> None:
    first = _redactions(uow, built)[0]
    undone = undo_redaction(uow, ORG, built.request.ref, first.id, actor=CASE)
    assert (undone.state, undone.changed_by, undone.changed_at) == (
        UNDONE,
        CASE,
        uow.clock.now(),
    )
    with pytest.raises(PackageRefused):
        undo_redaction(uow, ORG, built.request.ref, first.id, actor=CASE)
    assert reapply_redaction(uow, ORG, built.request.ref, first.id, actor=CASE).state == APPLIED
    uow.commit()
    assert _actions(uow)[-2:] == [actions.REDACTION_UNDONE, actions.REDACTION_REAPPLIED]
    assert verify(uow.session).intact


def test_acc03_withhold_a_row_with_a_sealed_reason_then_release_it(
    uow: UnitOfWork, built: Built
) -> None:
    reason = "Advice from our solicitor about the claim."
    item = withhold(uow, ORG, built.request.ref, built.part.id, 2, LPP, reason, actor=CASE)
    uow.commit()
    assert (item.state, item.row_no, item.exemption) == (WITHHELD, 2, LPP)
    assert reason.encode() not in item.reason_sealed
    assert reason_of(uow, built.package, item) == reason
    event = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == actions.ITEM_WITHHELD)
    ).one()
    assert reason not in str(event.details)
    released = release_withholding(uow, ORG, built.request.ref, item.id, actor=CASE)
    assert (released.state, released.released_by) == (RELEASED, CASE)
    with pytest.raises(PackageRefused):
        release_withholding(uow, ORG, built.request.ref, item.id, actor=CASE)
    # Released, the row can be withheld again; a whole part too.
    withhold(uow, ORG, built.request.ref, built.part.id, 2, LPP, "again", actor=CASE)
    withhold(uow, ORG, built.request.ref, built.part.id, None, "Negotiations", "x", actor=CASE)


def test_acc03_the_registers_own_and_the_acts_exemptions_are_offered(
    uow: UnitOfWork, built: Built
) -> None:
    offered = exemptions(uow, ORG)
    assert offered == [name for name, _ in DPA_EXEMPTIONS]  # acme's register names none
    assert {"Legal professional privilege", "Management forecasts"} <= set(offered)


@pytest.mark.parametrize(
    ("row_no", "exemption", "reason", "error"),
    [
        (0, "Because I said so", "a reason", ExemptionUnknown),
        (0, LPP, "   ", WithholdingInvalid),
        (0, LPP, "x" * 4001, WithholdingInvalid),
        (len(NOTES), LPP, "a reason", WithholdingInvalid),
        (-1, LPP, "a reason", WithholdingInvalid),
    ],
)
def test_acc03_a_bad_withholding_is_refused_and_changes_nothing(
    uow: UnitOfWork,
    built: Built,
    row_no: int,
    exemption: str,
    reason: str,
    error: type[Exception],
) -> None:
    before = _state(uow)
    with pytest.raises(error):
        withhold(uow, ORG, built.request.ref, built.part.id, row_no, exemption, reason, actor=CASE)
    assert _state(uow) == before


def test_acc03_withholding_twice_or_in_another_part_is_refused(
    uow: UnitOfWork, built: Built
) -> None:
    withhold(uow, ORG, built.request.ref, built.part.id, 1, LPP, "a reason", actor=CASE)
    before = _state(uow)
    with pytest.raises(PackageRefused):
        withhold(uow, ORG, built.request.ref, built.part.id, 1, LPP, "again", actor=CASE)
    with pytest.raises(ReviewItemNotFound):
        withhold(uow, ORG, built.request.ref, "no-such-part", 1, LPP, "x", actor=CASE)
    assert _state(uow) == before


def test_approve_queues_assembly_once_and_then_the_package_is_closed_to_changes(
    uow: UnitOfWork, built: Built
) -> None:
    first = _redactions(uow, built)[0]
    undo_redaction(uow, ORG, built.request.ref, first.id, actor=CASE)
    package = approve_package(uow, ORG, built.request.ref, actor=CASE)
    uow.commit()
    assert (package.state, package.approved_by, package.approved_at) == (
        APPROVED,
        CASE,
        uow.clock.now(),
    )
    jobs = list(uow.session.scalars(select(Job).where(Job.kind == ASSEMBLE_JOB)))
    assert [j.payload for j in jobs] == [{"package": package.id}]
    event = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == actions.PACKAGE_APPROVED)
    ).one()
    assert (event.details["redactions"], event.details["undone"]) == (3, 1)
    before = _state(uow)
    with pytest.raises(PackageRefused):
        approve_package(uow, ORG, built.request.ref, actor=CASE)
    with pytest.raises(PackageRefused):
        reapply_redaction(uow, ORG, built.request.ref, first.id, actor=CASE)
    with pytest.raises(PackageRefused):
        withhold(uow, ORG, built.request.ref, built.part.id, 0, LPP, "late", actor=CASE)
    assert _state(uow) == before


def test_undo_in_a_ready_package_is_refused(uow: UnitOfWork) -> None:
    load_examples(uow, FIXTURES / "registers")
    other_subject(uow)
    ready = built_package(uow, state=READY)
    first = _redactions(uow, ready)[0]
    before = _state(uow)
    with pytest.raises(PackageRefused):
        undo_redaction(uow, ORG, ready.request.ref, first.id, actor=CASE)
    assert _state(uow) == before


def test_another_packages_redaction_or_an_unknown_request_is_not_found(
    uow: UnitOfWork, built: Built
) -> None:
    second = built_package(uow, email="sam.second@example.com")
    theirs = _redactions(uow, second)[0]
    before = _state(uow)
    with pytest.raises(ReviewItemNotFound):
        undo_redaction(uow, ORG, built.request.ref, theirs.id, actor=CASE)
    with pytest.raises(RequestNotFound):
        approve_package(uow, "other_org", built.request.ref, actor=CASE)
    assert _state(uow) == before
