"""Staff reads of a subject that are audited: viewing it, issuing a preferences link."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dataward.accounts.links import read_link
from dataward.audit.models import AuditEvent
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.subjects.errors import SubjectNotFound
from dataward.subjects.preference_links import issue_preferences_link
from dataward.subjects.service import add_subject
from dataward.subjects.viewing import view_subject
from dataward.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subjects"
SECRET = b"s" * 32


@pytest.fixture
def jane(uow: UnitOfWork) -> str:
    store_register(uow, load_register(FIXTURES / "acme.yaml"))
    ref = add_subject(uow, "acme", ["customers"], [("email", "jane@example.com")]).ref
    uow.commit()
    return ref


def _last_event(uow: UnitOfWork) -> AuditEvent:
    found = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert found is not None
    return found


def test_viewing_a_subject_is_recorded_without_its_identities(uow: UnitOfWork, jane: str) -> None:
    view = view_subject(uow, "acme", jane, actor="user:u_1")
    assert [i.value for i in view.identities] == ["jane@example.com"]
    event = _last_event(uow)
    assert (event.action, event.actor, event.entity_type) == (
        "subject.viewed",
        "user:u_1",
        "subject",
    )
    assert (event.entity_id, event.subject_ref) == (jane, jane)
    assert "jane@" not in str(event.details)


def test_a_preferences_link_is_signed_and_recorded(uow: UnitOfWork, jane: str) -> None:
    token, expires = issue_preferences_link(uow, SECRET, "acme", jane, 14, actor="user:u_1")
    link = read_link(SECRET, uow.clock, token)
    assert (link.organisation, link.subject_ref, link.expires_at) == ("acme", jane, expires)
    assert (expires - uow.clock.now()).days == 14
    event = _last_event(uow)
    assert (event.action, event.actor, event.subject_ref) == (
        "preferences_link.issued",
        "user:u_1",
        jane,
    )
    assert event.details == {"days": 14}


def test_nothing_is_recorded_for_an_unknown_subject(uow: UnitOfWork, jane: str) -> None:
    before = _last_event(uow).seq
    with pytest.raises(SubjectNotFound):
        view_subject(uow, "acme", "s_nobody", actor="user:u_1")
    with pytest.raises(SubjectNotFound):
        issue_preferences_link(uow, SECRET, "acme", "s_nobody", 14, actor="user:u_1")
    assert _last_event(uow).seq == before
