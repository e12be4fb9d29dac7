"""The disclosure log (NOT-01 needs it): recorded against the register, listed per subject
and per recipient, audited with ids only; bad input changes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from disclosure_support import (
    WITH_CONTACT,
    WITHOUT_CONTACT,
    stored_jtr_with_contacts,
    subject_of,
)
from package_build_support import CASE, EMAIL, ORG
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.disclosures.errors import DisclosureInvalid, DisclosureNotFound
from dataward.disclosures.models import Disclosure
from dataward.disclosures.service import (
    NewDisclosure,
    disclosures_of_subject,
    disclosures_to_recipient,
    get_disclosure,
    record_disclosure,
)
from dataward.subjects.errors import SubjectNotFound
from dataward.uow import UnitOfWork


def _new(subject_ref: str, **changes: object) -> NewDisclosure:
    fields: dict[str, object] = {
        "organisation": ORG,
        "subject_ref": subject_ref,
        "recipient": WITH_CONTACT,
        "datasets": ("customers", "payments"),
        "purpose": "third_party_augmentation",
        "disclosed_on": date(2026, 3, 2),
        "reference": "TR-2026-17",
    }
    fields.update(changes)
    return NewDisclosure(**fields)  # type: ignore[arg-type]


def _count(uow: UnitOfWork, model: type[object]) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_it_records_a_disclosure_with_the_purposes_basis(uow: UnitOfWork) -> None:
    stored_jtr_with_contacts(uow)
    subject = subject_of(uow)
    row = record_disclosure(uow, _new(subject.ref), actor=CASE)
    uow.commit()

    assert row.ref.startswith("d_")
    assert row.basis == "legitimate_interests"  # the purpose states only this one
    assert row.datasets == ["customers", "payments"]
    assert get_disclosure(uow, ORG, row.ref).id == row.id
    event = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "disclosure.recorded")
    ).one()
    assert event.entity_id == row.ref
    assert event.subject_ref == subject.ref
    assert event.details["recipient"] == WITH_CONTACT
    assert EMAIL not in str(event.details)
    assert "TR-2026-17" not in str(event.details)


def test_it_lists_a_subjects_disclosures_newest_first_and_a_recipients(uow: UnitOfWork) -> None:
    stored_jtr_with_contacts(uow)
    subject = subject_of(uow)
    other = subject_of(uow, "other.person@example.org")
    old = record_disclosure(uow, _new(subject.ref, disclosed_on=date(2026, 1, 5)), actor=CASE)
    new = record_disclosure(
        uow,
        _new(subject.ref, recipient=WITHOUT_CONTACT, purpose="customer_business_need"),
        actor=CASE,
    )
    theirs = record_disclosure(uow, _new(other.ref), actor=CASE)
    uow.commit()

    assert [d.ref for d in disclosures_of_subject(uow, subject)] == [new.ref, old.ref]
    assert [d.ref for d in disclosures_to_recipient(uow, ORG, WITH_CONTACT)] == [
        theirs.ref,
        old.ref,
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recipient": "nobody_we_know"}, "no recipient 'nobody_we_know'"),
        ({"datasets": ("customers", "no_such_data")}, "no dataset 'no_such_data'"),
        ({"datasets": ()}, "name the datasets"),
        ({"purpose": "no_such_purpose"}, "no purpose 'no_such_purpose'"),
        ({"basis": "consent"}, "no basis 'consent'"),
        ({"disclosed_on": date(2026, 11, 26)}, "not after today"),
        ({"reference": "x" * 121}, "at most 120"),
    ],
)
def test_it_refuses_bad_input_and_changes_nothing(
    uow: UnitOfWork, changes: dict[str, object], message: str
) -> None:
    stored_jtr_with_contacts(uow)
    subject = subject_of(uow)
    uow.commit()
    events = _count(uow, AuditEvent)
    with pytest.raises(DisclosureInvalid, match=message):
        record_disclosure(uow, _new(subject.ref, **changes), actor=CASE)
    assert _count(uow, Disclosure) == 0
    assert _count(uow, AuditEvent) == events


def test_it_refuses_an_unknown_subject_or_disclosure(uow: UnitOfWork) -> None:
    stored_jtr_with_contacts(uow)
    with pytest.raises(SubjectNotFound):
        record_disclosure(uow, _new("s_nobody"), actor=CASE)
    with pytest.raises(DisclosureNotFound):
        get_disclosure(uow, ORG, "d_nothing")
    assert _count(uow, Disclosure) == 0


def test_it_keeps_the_basis_given_when_the_register_states_it(uow: UnitOfWork) -> None:
    stored_jtr_with_contacts(uow)
    subject = subject_of(uow)
    row = record_disclosure(
        uow, _new(subject.ref, purpose="customer_portal", basis="consent"), actor=CASE
    )
    assert row.basis == "consent"
    assert row.purpose == "customer_portal"
