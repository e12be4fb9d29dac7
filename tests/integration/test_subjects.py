"""Subjects, encrypted identities, merging and crypto-shredding, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from dataward.audit.models import AuditEvent
from dataward.crypto.errors import SubjectShredded
from dataward.crypto.keyring import decrypt_for
from dataward.crypto.keystore import BlindIndexEntry, DataKey
from dataward.errors import ValidationFailed
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.subjects.errors import IdentityTaken, InvalidIdentity, MergeRefused, SubjectNotFound
from dataward.subjects.models import Subject, SubjectIdentity
from dataward.subjects.service import (
    add_subject,
    find_subjects,
    merge_subjects,
    show_subject,
    shred_subject,
)
from dataward.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subjects"
JANE = [("email", "Jane.Doe@example.com"), ("phone", "07911 123456"), ("ni_number", "AB123456C")]
JOHN = [("email", "john@example.com"), ("postcode", "nn8 9gw")]


@pytest.fixture
def acme(uow: UnitOfWork) -> UnitOfWork:
    store_register(uow, load_register(FIXTURES / "acme.yaml"))
    store_register(uow, load_register(FIXTURES / "other.yaml"))
    uow.commit()
    return uow


def _count(uow: UnitOfWork, model: Any) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _keys(uow: UnitOfWork, model: Any) -> int:
    return int(uow.keys.scalar(select(func.count()).select_from(model)) or 0)


def test_it_finds_a_subject_by_any_identity_however_written(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    acme.commit()
    assert [s.ref for s in find_subjects(acme, "acme", "email", "JANE.DOE@EXAMPLE.COM ")] == [
        jane.ref
    ]
    assert [s.ref for s in find_subjects(acme, "acme", "phone", "+44 7911 123456")] == [jane.ref]
    assert find_subjects(acme, "acme", "email", "someone@else.com") == []


def test_it_stores_identities_only_as_ciphertext(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    acme.commit()
    for (sealed,) in acme.session.execute(text("SELECT sealed FROM subject_identities")):
        raw = bytes(sealed)
        assert b"jane" not in raw.lower()
        assert b"AB123456C" not in raw
    digests = [bytes.fromhex(d) for d in acme.keys.scalars(select(BlindIndexEntry.digest))]
    assert len(digests) == 3
    view = show_subject(acme, "acme", jane.ref)
    assert {(i.kind, i.value) for i in view.identities} == {
        ("email", "jane.doe@example.com"),
        ("phone", "+447911123456"),
        ("ni_number", "AB123456C"),
    }


def test_it_binds_ciphertext_to_its_subject_and_kind(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    acme.commit()
    identity = acme.session.scalars(
        select(SubjectIdentity).where(SubjectIdentity.kind == "email")
    ).one()
    with pytest.raises(Exception, match="does not match"):
        decrypt_for(acme, jane.key_id, identity.sealed, f"subject:{jane.id}:phone")


@pytest.mark.parametrize(
    "identity",
    [("email", "jane@"), ("phone", "0123"), ("ni_number", "GB123456A"), ("postcode", "XX")],
)
def test_it_rejects_a_malformed_identity_and_writes_nothing(
    acme: UnitOfWork, identity: tuple[str, str]
) -> None:
    audit_before = _count(acme, AuditEvent)
    with pytest.raises(InvalidIdentity):
        add_subject(acme, "acme", ["customers"], [("email", "ok@example.com"), identity])
    acme.commit()
    assert _count(acme, Subject) == 0
    assert _keys(acme, DataKey) == 0
    assert _count(acme, AuditEvent) == audit_before


def test_it_refuses_a_group_the_register_does_not_have(acme: UnitOfWork) -> None:
    with pytest.raises(ValidationFailed, match="unknown subject groups"):
        add_subject(acme, "acme", ["tenants"], JOHN)


def test_it_refuses_an_email_that_belongs_to_another_subject(acme: UnitOfWork) -> None:
    add_subject(acme, "acme", ["customers"], JANE)
    acme.commit()
    with pytest.raises(IdentityTaken):
        add_subject(acme, "acme", ["customers"], [("email", "jane.doe@EXAMPLE.com")])
    # The same person may be a subject of another organisation: indexes are per organisation.
    add_subject(acme, "other_org", ["customers"], [("email", "jane.doe@example.com")])


def test_it_keeps_each_subject_inside_its_organisation(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    john = add_subject(acme, "other_org", ["customers"], JOHN)
    acme.commit()
    assert find_subjects(acme, "other_org", "email", "jane.doe@example.com") == []
    with pytest.raises(SubjectNotFound):
        merge_subjects(acme, "acme", jane.ref, john.ref)


def test_it_merges_two_subjects_and_keeps_the_history(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    dup = add_subject(acme, "acme", ["new_occupiers"], [("email", "jd@example.org")])
    acme.commit()
    merge_subjects(acme, "acme", jane.ref, dup.ref, actor="caseworker:1")
    acme.commit()
    found = find_subjects(acme, "acme", "email", "jd@example.org")
    assert [s.ref for s in found] == [jane.ref]
    view = show_subject(acme, "acme", jane.ref)
    assert view.groups == ["customers", "new_occupiers"]
    assert view.merged_refs == [dup.ref]
    moved = [i for i in view.identities if i.value == "jd@example.org"]
    assert moved[0].merged_from == dup.ref
    merged_row = acme.session.scalars(select(Subject).where(Subject.ref == dup.ref)).one()
    assert merged_row.merged_into == jane.id
    actions = list(acme.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-1] == "subject.merged"


def test_it_refuses_to_merge_a_subject_with_itself(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    acme.commit()
    with pytest.raises(MergeRefused, match="itself"):
        merge_subjects(acme, "acme", jane.ref, jane.ref)


def test_it_shreds_a_subject_for_good(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    john = add_subject(acme, "acme", ["customers"], JOHN)
    acme.commit()
    shred_subject(acme, "acme", jane.ref)
    acme.commit()
    assert find_subjects(acme, "acme", "email", "jane.doe@example.com") == []
    with pytest.raises(SubjectNotFound):
        show_subject(acme, "acme", jane.ref)
    assert _keys(acme, DataKey) == 1
    assert next(i.value for i in show_subject(acme, "acme", john.ref).identities) == (
        "john@example.com"
    )


def test_a_restored_backup_cannot_bring_a_shredded_subject_back(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    john = add_subject(acme, "acme", ["customers"], JOHN)
    acme.commit()
    # Back up the main database's subject tables (the key store is never in this backup).
    tables = ("subjects", "subject_identities")
    for table in tables:
        acme.session.execute(text(f"CREATE TABLE backup_{table} AS SELECT * FROM {table}"))
    acme.commit()
    shred_subject(acme, "acme", jane.ref)
    acme.commit()
    # Restore the backup over the live tables.
    for table in reversed(tables):
        acme.session.execute(text(f"DELETE FROM {table}"))
    for table in tables:
        acme.session.execute(text(f"INSERT INTO {table} SELECT * FROM backup_{table}"))
        acme.session.execute(text(f"DROP TABLE backup_{table}"))
    acme.commit()
    acme.session.expire_all()
    restored = acme.session.scalars(select(Subject).where(Subject.ref == jane.ref)).one()
    assert restored.shredded_at is None  # the backup predates the shredding...
    assert len(restored.identities) == 3  # ...and holds its ciphertext,
    assert find_subjects(acme, "acme", "email", "jane.doe@example.com") == []  # unfindable
    with pytest.raises(SubjectShredded):
        show_subject(acme, "acme", jane.ref)  # and unreadable.
    assert [s.ref for s in find_subjects(acme, "acme", "email", "john@example.com")] == [john.ref]
    assert len(show_subject(acme, "acme", john.ref).identities) == 2


def test_every_change_is_in_the_audit_chain_without_personal_data(acme: UnitOfWork) -> None:
    jane = add_subject(acme, "acme", ["customers"], JANE)
    acme.commit()
    shred_subject(acme, "acme", jane.ref)
    acme.commit()
    rows = acme.session.execute(
        text("SELECT action, subject_ref, details, entity_id FROM audit_events ORDER BY seq")
    ).all()
    assert [r.action for r in rows][-2:] == ["subject.created", "subject.shredded"]
    dumped = " ".join(str(tuple(r)) for r in rows).lower()
    assert "jane" not in dumped
    assert "ab123456c" not in dumped
    assert rows[-1].subject_ref == jane.ref
