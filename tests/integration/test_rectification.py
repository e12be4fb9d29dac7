"""REC-01 end to end from a request: the correction applied to the bound column of the
operational database (read_write), the recipients told (NOT-01) and the task done; or why
not and the subject's statement recorded. Refusals change nothing, in dataward or the
source. dataward's database is the test's backend; the source is SQLite."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from disclosure_support import (
    WITH_CONTACT,
    rights_request,
    stored_jtr_with_contacts,
    subject_of,
)
from package_build_support import CASE, ORG, Operational, build_operational
from sqlalchemy import create_engine, func, select, text

from dataward.audit.models import AuditEvent
from dataward.disclosures.errors import (
    ColumnNotBound,
    RectificationInvalid,
    RectificationRefused,
)
from dataward.disclosures.models import RecipientNotice, Rectification
from dataward.disclosures.rectification import (
    Correction,
    opened_rectifications,
    record_not_rectified,
    rectify,
)
from dataward.disclosures.service import NewDisclosure, record_disclosure
from dataward.outbox.models import OutboxMessage
from dataward.requests.models import RightsRequest
from dataward.requests.tasks import tasks_of
from dataward.sources.connectors.base import ReadOnlyConnection
from dataward.uow import UnitOfWork

FIXED = Correction("customers", "customer_ref", "C-1-CORRECTED")


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    return build_operational(tmp_path / "agency")


def _refs(agency: Operational) -> dict[int, str]:
    engine = create_engine(agency.url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, customer_ref FROM debtors")).tuples().all())
    engine.dispose()
    return rows


def _setup(
    uow: UnitOfWork, *, mode: str = "read_write", rights: tuple[str, ...] = ("rectification",)
) -> RightsRequest:
    stored_jtr_with_contacts(uow, mode=mode)
    subject = subject_of(uow)
    record_disclosure(
        uow,
        NewDisclosure(
            ORG,
            subject.ref,
            WITH_CONTACT,
            ("customers",),
            "customer_business_need",
            date(2026, 3, 2),
        ),
        actor=CASE,
    )
    row = rights_request(uow, subject, rights)
    uow.commit()
    return row


def _count(uow: UnitOfWork, model: type[object]) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_it_corrects_the_bound_column_and_tells_the_recipients(
    uow: UnitOfWork, agency: Operational
) -> None:
    row = _setup(uow)
    rect = rectify(uow, ORG, row.ref, FIXED, actor=CASE, env=agency.env)
    uow.commit()

    assert _refs(agency) == {1: "C-1-CORRECTED", 2: "C-2"}  # the stranger's row untouched
    assert (rect.outcome, rect.rows, rect.sources_version) == ("applied", 1, 1)
    [view] = opened_rectifications(uow, row)
    assert (view.value, view.why, view.statement) == ("C-1-CORRECTED", None, None)
    [notice] = uow.session.scalars(select(RecipientNotice)).all()
    assert (notice.recipient, notice.change, notice.outcome) == (
        WITH_CONTACT,
        "rectification",
        "told",
    )
    message = uow.session.get(OutboxMessage, notice.message_id)
    assert message is not None
    assert message.kind == "recipient_rectification"
    [change] = [t for t in tasks_of(uow, row) if t.kind == "execute"]
    assert change.state == "done"
    event = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.rectification_applied")
    ).one()
    assert event.details["rows"] == 1
    assert "C-1-CORRECTED" not in str(event.details)


def test_a_read_only_connection_refuses_and_nothing_changes(
    uow: UnitOfWork, agency: Operational
) -> None:
    row = _setup(uow, mode="read_only")
    events = _count(uow, AuditEvent)
    with pytest.raises(ReadOnlyConnection):
        rectify(uow, ORG, row.ref, FIXED, actor=CASE, env=agency.env)
    assert _refs(agency) == {1: "C-1", 2: "C-2"}
    assert _count(uow, Rectification) == 0
    assert _count(uow, RecipientNotice) == 0
    assert _count(uow, AuditEvent) == events


@pytest.mark.parametrize(
    ("correction", "error", "message"),
    [
        (Correction("customers", "name", "Mary Q Subject"), ColumnNotBound, "binds no column"),
        (Correction("call_recordings", "x", "y"), ColumnNotBound, "binds no column"),
        (Correction("no_such", "x", "y"), RectificationInvalid, "no dataset 'no_such'"),
        (Correction("customers", "customer_ref", "  "), RectificationInvalid, "give the"),
        (Correction("customers", "customer_ref", "a\x00b"), RectificationInvalid, "too long"),
    ],
)
def test_it_refuses_a_bad_correction_and_changes_nothing(
    uow: UnitOfWork,
    agency: Operational,
    correction: Correction,
    error: type[Exception],
    message: str,
) -> None:
    row = _setup(uow)
    with pytest.raises(error, match=message):
        rectify(uow, ORG, row.ref, correction, actor=CASE, env=agency.env)
    assert _refs(agency) == {1: "C-1", 2: "C-2"}
    assert _count(uow, Rectification) == 0


def test_it_refuses_a_request_that_does_not_ask_for_rectification(
    uow: UnitOfWork, agency: Operational
) -> None:
    row = _setup(uow, rights=("access",))
    with pytest.raises(RectificationRefused, match="does not ask for rectification"):
        rectify(uow, ORG, row.ref, FIXED, actor=CASE, env=agency.env)
    assert _refs(agency) == {1: "C-1", 2: "C-2"}


def test_it_records_why_not_and_the_subjects_statement(
    uow: UnitOfWork, agency: Operational
) -> None:
    row = _setup(uow)
    rect = record_not_rectified(
        uow,
        ORG,
        row.ref,
        Correction("visits", "note", "I was at home"),
        reason="opinion",
        why="The note records what the agent saw.",
        statement="I was at home all day and nobody knocked.",
        actor=CASE,
    )
    uow.commit()
    assert (rect.outcome, rect.reason, rect.rows) == ("not_applied", "opinion", 0)
    assert b"nobody knocked" not in (rect.statement_sealed or b"")
    [view] = opened_rectifications(uow, row)
    assert view.statement == "I was at home all day and nobody knocked."
    assert view.why == "The note records what the agent saw."
    [change] = [t for t in tasks_of(uow, row) if t.kind == "execute"]
    assert change.state == "not_needed"
    assert _count(uow, RecipientNotice) == 0  # nothing changed: nobody to tell
    with pytest.raises(RectificationInvalid, match="reason must be one of"):
        record_not_rectified(
            uow, ORG, row.ref, FIXED, reason="busy", why="x", statement="y", actor=CASE
        )
    with pytest.raises(RectificationInvalid, match="supplementary statement"):
        record_not_rectified(
            uow, ORG, row.ref, FIXED, reason="opinion", why="x", statement=" ", actor=CASE
        )
    assert _count(uow, Rectification) == 1
