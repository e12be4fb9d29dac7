"""NOT-01: every recipient the disclosure log names is told of a change through the outbox,
or why not is recorded; once per request and change; the subject can be told who was told."""

from __future__ import annotations

import json
from datetime import date

import pytest
from disclosure_support import (
    NEVER_SENT,
    TOLD_AT,
    WITH_CONTACT,
    WITHOUT_CONTACT,
    rights_request,
    stored_jtr_with_contacts,
    subject_of,
)
from package_build_support import CASE, EMAIL, ORG
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.crypto.keyring import decrypt_for
from dataward.disclosures.errors import NoticeInvalid
from dataward.disclosures.models import Disclosure, RecipientNotice
from dataward.disclosures.notices import recipients_told, tell_recipients
from dataward.disclosures.service import NewDisclosure, record_disclosure
from dataward.outbox.models import OutboxMessage
from dataward.requests.models import RightsRequest
from dataward.requests.rights_applied import apply_right
from dataward.requests.tasks import result_of, tasks_of
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork


def _disclose(
    uow: UnitOfWork, subject: Subject, recipient: str, datasets: tuple[str, ...]
) -> Disclosure:
    return record_disclosure(
        uow,
        NewDisclosure(
            ORG,
            subject.ref,
            recipient,
            datasets,
            "customer_business_need",
            date(2026, 3, 2),
            reference="TR-17",
        ),
        actor=CASE,
    )


def _setup(uow: UnitOfWork) -> tuple[RightsRequest, Disclosure]:
    stored_jtr_with_contacts(uow)
    subject = subject_of(uow)
    row = rights_request(uow, subject, ("erasure",))
    told = _disclose(uow, subject, WITH_CONTACT, ("customers", "payments"))
    _disclose(uow, subject, WITHOUT_CONTACT, ("customers",))
    _disclose(uow, subject, NEVER_SENT, ("visits",))  # not a dataset the change touches
    other = subject_of(uow, "someone.else@example.org")
    _disclose(uow, other, "equifax", ("customers",))  # someone else's data: never told
    uow.commit()
    return row, told


def _body(uow: UnitOfWork, message: OutboxMessage) -> dict[str, str]:
    data: dict[str, str] = json.loads(
        decrypt_for(uow, message.key_id, message.sealed, f"outbox:{message.id}")
    )
    return data


def test_it_tells_each_recipient_with_a_contact_and_records_the_rest(uow: UnitOfWork) -> None:
    row, told = _setup(uow)
    notices = tell_recipients(uow, row, "erasure", datasets=["customers", "cases"], actor=CASE)
    uow.commit()

    by_recipient = {n.recipient: n for n in notices}
    assert sorted(by_recipient) == [WITH_CONTACT, WITHOUT_CONTACT]
    sent = by_recipient[WITH_CONTACT]
    assert (sent.outcome, sent.reason, sent.datasets) == ("told", None, ["customers"])
    assert sent.disclosures == [told.ref]
    message = uow.session.get(OutboxMessage, sent.message_id)
    assert message is not None
    assert message.kind == "recipient_erasure"
    assert message.request_id == row.id  # sealed with the request, under its key
    assert message.key_id == row.key_id
    body = _body(uow, message)
    assert body["to"] == TOLD_AT
    assert "TR-17" in body["text"]
    assert told.ref in body["text"]
    assert EMAIL not in body["text"]  # the recipient knows the person by the reference
    assert "Customer records (Single Customer View)" in body["text"]
    unreachable = by_recipient[WITHOUT_CONTACT]
    assert (unreachable.outcome, unreachable.reason) == ("impossible", "no_contact")
    assert unreachable.message_id is None
    actions = uow.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == row.ref)
    ).all()
    assert actions.count("request.recipient_told") == 1
    assert actions.count("request.recipient_not_told") == 1


def test_it_tells_a_recipient_once_per_request_and_change(uow: UnitOfWork) -> None:
    row, _ = _setup(uow)
    first = tell_recipients(uow, row, "erasure", datasets=["customers"], actor=CASE)
    uow.commit()
    again = tell_recipients(uow, row, "erasure", datasets=["customers"], actor=CASE)
    uow.commit()
    assert [n.id for n in again] == [n.id for n in first]
    assert (
        uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "recipient_erasure")
        )
        == 1
    )
    restriction = tell_recipients(uow, row, "restriction", datasets=["customers"], actor=CASE)
    assert {n.change for n in restriction} == {"restriction"}
    assert uow.session.scalar(select(func.count()).select_from(RecipientNotice)) == 4


def test_it_records_a_disproportionate_notice_with_its_reason(uow: UnitOfWork) -> None:
    row, _ = _setup(uow)
    notices = tell_recipients(
        uow,
        row,
        "rectification",
        datasets=[],
        actor=CASE,
        disproportionate={WITH_CONTACT: "They deleted the file in 2026 and confirmed it."},
    )
    by_recipient = {n.recipient: n for n in notices}
    assert sorted(by_recipient) == sorted([NEVER_SENT, WITH_CONTACT, WITHOUT_CONTACT])  # all
    assert by_recipient[WITH_CONTACT].outcome == "disproportionate"
    assert by_recipient[WITH_CONTACT].reason == "They deleted the file in 2026 and confirmed it."
    assert by_recipient[WITH_CONTACT].message_id is None
    audit = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.recipient_not_told")
    ).all()
    assert all("deleted the file" not in str(e.details) for e in audit)


def test_the_subject_can_be_told_who_was_told(uow: UnitOfWork) -> None:
    row, _ = _setup(uow)
    tell_recipients(uow, row, "erasure", datasets=["customers"], actor=CASE)
    told = recipients_told(uow, row)
    assert [(t.name, t.outcome, t.reason) for t in told] == [
        ("Ascendant Solutions Ltd", "told", None),
        ("Experian Ltd", "impossible", "no_contact"),
    ]


@pytest.mark.parametrize(
    ("change", "reasons", "message"),
    [
        ("deletion", {}, "change must be one of"),
        ("erasure", {WITH_CONTACT: "  "}, "disproportionate"),
        ("erasure", {WITH_CONTACT: "x" * 401}, "at most 400"),
    ],
)
def test_it_refuses_bad_input_and_tells_nobody(
    uow: UnitOfWork, change: str, reasons: dict[str, str], message: str
) -> None:
    row, _ = _setup(uow)
    with pytest.raises(NoticeInvalid, match=message):
        tell_recipients(
            uow, row, change, datasets=["customers"], actor=CASE, disproportionate=reasons
        )
    assert uow.session.scalar(select(func.count()).select_from(RecipientNotice)) == 0
    assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_applying_a_restriction_request_tells_the_recipients(uow: UnitOfWork) -> None:
    # RES-01 with NOT-01: the restriction's "make the change" task tells every recipient.
    stored_jtr_with_contacts(uow)
    subject = subject_of(uow)
    row = rights_request(uow, subject, ("restriction",))
    _disclose(uow, subject, WITH_CONTACT, ("customers",))
    _disclose(uow, subject, WITHOUT_CONTACT, ("payments",))
    uow.commit()
    task = next(t for t in tasks_of(uow, row) if t.kind == "execute")

    done = apply_right(uow, ORG, row.ref, task.id, ground="accuracy_contested", actor=CASE)
    uow.commit()

    notices = uow.session.scalars(
        select(RecipientNotice).where(RecipientNotice.request_id == row.id)
    ).all()
    assert sorted((n.recipient, n.change, n.outcome) for n in notices) == sorted(
        [(WITH_CONTACT, "restriction", "told"), (WITHOUT_CONTACT, "restriction", "impossible")]
    )
    assert done.state == "done"
    assert "2 recipient(s) told" in (result_of(uow, row, done) or "")
