"""Adding subjects in bulk: the same rows as ``add_subject``, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.audit.service import AuditEntry, record, record_many, verify
from dataward.crypto.keystore import BlindIndexEntry, DataKey
from dataward.errors import ValidationFailed
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.subjects.bulk import SubjectRow, add_subjects_bulk
from dataward.subjects.errors import IdentityTaken, InvalidIdentity
from dataward.subjects.models import Subject, SubjectIdentity
from dataward.subjects.service import add_subject, find_subjects, show_subject, shred_subject
from dataward.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subjects"
JANE = (("email", "Jane.Doe@example.com"), ("phone", "07911 123456"), ("ni_number", "AB123456C"))
JOAN = (("email", "Joan.Doe@example.com"), ("phone", "07911 223344"), ("ni_number", "AB654321C"))


def _person(n: int) -> SubjectRow:
    return SubjectRow(
        ("customers",),
        (
            ("email", f"person{n}@example.com"),
            ("customer_ref", f"c-{n:05d}"),
            ("phone", "07911 123456"),  # shared by a household: not a unique kind
            ("postcode", "nn8 9gw"),
        ),
    )


@pytest.fixture
def acme(uow: UnitOfWork) -> UnitOfWork:
    store_register(uow, load_register(FIXTURES / "acme.yaml"))
    uow.commit()
    return uow


def _count(uow: UnitOfWork, model: Any) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _keys(uow: UnitOfWork, model: Any) -> int:
    return int(uow.keys.scalar(select(func.count()).select_from(model)) or 0)


def test_it_adds_subjects_that_find_and_show_read(acme: UnitOfWork) -> None:
    added = add_subjects_bulk(acme, "acme", [_person(n) for n in range(25)], batch_size=10)
    acme.commit()

    assert added == 25
    found = find_subjects(acme, "acme", "email", "PERSON7@example.com")
    assert len(found) == 1
    view = show_subject(acme, "acme", found[0].ref)
    assert view.groups == ["customers"]
    assert {(i.kind, i.value) for i in view.identities} == {
        ("email", "person7@example.com"),
        ("customer_ref", "C-00007"),
        ("phone", "+447911123456"),
        ("postcode", "NN8 9GW"),
    }
    assert len(find_subjects(acme, "acme", "phone", "+44 7911 123456")) == 25


def test_it_writes_the_rows_add_subject_writes(acme: UnitOfWork) -> None:
    one = add_subject(acme, "acme", ["customers"], JANE)
    add_subjects_bulk(acme, "acme", [SubjectRow(["customers"], JOAN)])
    acme.commit()

    rows = acme.session.scalars(select(Subject).order_by(Subject.ref)).all()
    other = next(s for s in rows if s.id != one.id)
    for column in ("organisation", "groups", "created_at", "merged_into", "shredded_at"):
        assert getattr(other, column) == getattr(one, column), column
    assert other.ref.startswith("s_")
    for identifier in (other.id, other.key_id, *(i.id for i in other.identities)):
        assert str(uuid.UUID(identifier)) == identifier
        assert uuid.UUID(identifier).version == 4
    assert len(other.ref) == len(one.ref)

    def identities(subject: Subject) -> list[tuple[str, int, str | None]]:
        return sorted((i.kind, len(i.sealed), i.origin_subject_id) for i in subject.identities)

    assert identities(other) == identities(one)
    keys = acme.keys.scalars(select(DataKey).order_by(DataKey.created_at)).all()
    assert {k.key_id for k in keys} == {one.key_id, other.key_id}
    assert len({(k.organisation, k.kek_id, len(k.wrapped)) for k in keys}) == 1
    index = acme.keys.execute(select(BlindIndexEntry.kind, BlindIndexEntry.key_id)).all()
    assert sorted(kind for kind, key in index if key == other.key_id) == sorted(
        kind for kind, key in index if key == one.key_id
    )
    events = acme.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "subject.created").order_by(AuditEvent.seq)
    ).all()
    assert [e.entity_id for e in events] == [one.ref, other.ref]
    assert events[0].after_hash == events[1].after_hash
    assert events[0].details == events[1].details
    assert events[0].occurred_at == events[1].occurred_at


def test_it_keeps_the_audit_chain_intact_between_single_and_bulk_appends(
    acme: UnitOfWork,
) -> None:
    before = _count(acme, AuditEvent)  # storing the register appends events too
    add_subject(acme, "acme", ["customers"], JANE)
    add_subjects_bulk(acme, "acme", [_person(n) for n in range(5)], batch_size=2)
    record(acme, actor="t", action="test.single", entity_type="test", entity_id="1")
    appended = record_many(
        acme,
        [AuditEntry("t", "test.many", "test", str(n), details={"n": n}) for n in range(3)],
    )
    acme.commit()

    assert appended == 3
    result = verify(acme.session)
    assert result.intact, result.first_break
    assert result.rows == result.head_seq == before + 1 + 5 + 1 + 3


def test_it_refuses_a_unique_identity_twice_in_the_batch_and_writes_nothing(
    acme: UnitOfWork,
) -> None:
    before = _count(acme, AuditEvent)
    rows = [_person(1), _person(2), SubjectRow(["customers"], [("email", "PERSON1@example.com")])]
    with pytest.raises(IdentityTaken, match="subjects 1 and 3 have the same email"):
        add_subjects_bulk(acme, "acme", rows)
    acme.commit()

    assert _count(acme, Subject) == 0
    assert _count(acme, SubjectIdentity) == 0
    assert _keys(acme, DataKey) == 0
    assert _keys(acme, BlindIndexEntry) == 0
    assert _count(acme, AuditEvent) == before


def test_it_refuses_an_identity_an_existing_subject_holds_and_writes_nothing(
    acme: UnitOfWork,
) -> None:
    add_subject(acme, "acme", ["customers"], JANE)
    acme.commit()
    before = _count(acme, AuditEvent)
    rows = [_person(1), SubjectRow(["customers"], [("ni_number", "ab 12 34 56 c")])]
    with pytest.raises(IdentityTaken, match="subject 2: this ni_number already belongs"):
        add_subjects_bulk(acme, "acme", rows)
    acme.commit()

    assert _count(acme, Subject) == 1
    assert _keys(acme, DataKey) == 1
    assert _count(acme, AuditEvent) == before


def test_it_skips_subjects_already_added_when_asked(acme: UnitOfWork) -> None:
    add_subjects_bulk(acme, "acme", [_person(n) for n in range(3)])
    acme.commit()

    added = add_subjects_bulk(acme, "acme", [_person(n) for n in range(5)], skip_existing=True)
    acme.commit()

    assert added == 2
    assert _count(acme, Subject) == 5


def test_it_refuses_a_half_known_person_even_when_skipping(acme: UnitOfWork) -> None:
    add_subjects_bulk(acme, "acme", [_person(1)])
    acme.commit()
    mixed = SubjectRow(
        ["customers"], [("email", "person1@example.com"), ("customer_ref", "new-ref")]
    )
    with pytest.raises(IdentityTaken, match="subject 1: this email"):
        add_subjects_bulk(acme, "acme", [mixed], skip_existing=True)


def test_it_names_the_row_of_a_malformed_identity_but_not_its_value(acme: UnitOfWork) -> None:
    rows = [_person(1), SubjectRow(["customers"], [("ni_number", "GB123456A")])]
    with pytest.raises(InvalidIdentity) as caught:
        add_subjects_bulk(acme, "acme", rows)
    assert caught.value.message == "subject 2: National Insurance number is not valid"
    assert _count(acme, Subject) == 0


def test_it_refuses_a_group_the_register_does_not_have(acme: UnitOfWork) -> None:
    with pytest.raises(ValidationFailed, match="unknown subject groups"):
        add_subjects_bulk(acme, "acme", [SubjectRow(["tenants"], [("email", "a@b.uk")])])


def test_it_lets_a_bulk_subject_be_shredded_like_any_other(acme: UnitOfWork) -> None:
    add_subjects_bulk(acme, "acme", [_person(n) for n in range(3)])
    acme.commit()
    ref = find_subjects(acme, "acme", "email", "person2@example.com")[0].ref

    shred_subject(acme, "acme", ref)
    acme.commit()

    assert find_subjects(acme, "acme", "email", "person2@example.com") == []
    assert _keys(acme, DataKey) == 2


def test_a_large_load_leaves_the_planner_statistics_of_what_it_wrote(acme: UnitOfWork) -> None:
    """Without them PostgreSQL planned campaign decisions as if the index were empty."""
    from sqlalchemy import text

    from dataward.subjects.bulk import ANALYZE_AFTER

    added = add_subjects_bulk(acme, "acme", (_person(n) for n in range(ANALYZE_AFTER)))
    assert added == ANALYZE_AFTER
    if acme.session.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no such statistics to go stale
    tuples = "SELECT reltuples FROM pg_class WHERE relname = :name"
    for session, table in (
        (acme.session, "subject_identities"),
        (acme.keys, "blind_index"),
    ):
        counted = session.execute(text(tuples), {"name": table}).scalar_one()
        assert counted >= ANALYZE_AFTER
