"""The outbox: queued with the change, sealed, delivered over real SMTP, faults handled."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from outbox_support import Inbox, add_people, free_port, load_acme, mail_settings, smtp_server
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.errors import ValidationFailed
from dataward.jobs.models import Job
from dataward.outbox.errors import TemplateInvalid, UnknownMessageType
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import queue_staff_message, queue_subject_message
from dataward.subjects.errors import InvalidIdentity
from dataward.subjects.service import add_subject, shred_subject
from dataward.uow import UnitOfWork
from dataward.workers import build_worker

MAIL = mail_settings(1)
CONTEXT = {
    "summary": "We now keep call recordings for 90 days.",
    "notice_url": "https://dataward.acme.example/orgs/acme/notice.html",
    "from_version": 1,
    "to_version": 2,
}


@pytest.fixture
def acme(uow: UnitOfWork) -> UnitOfWork:
    load_acme(uow)
    uow.commit()
    return uow


def _count(uow: UnitOfWork, model: Any) -> int:
    uow.session.expire_all()
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _message(uow: UnitOfWork, row_id: str) -> OutboxMessage:
    uow.session.expire_all()
    row = uow.session.get(OutboxMessage, row_id)
    assert row is not None
    return row


def _part(message: EmailMessage, kind: str) -> str:
    body = message.get_body((kind,))
    assert body is not None
    return str(body.get_content())


def _queue_to(uow: UnitOfWork, address: str) -> OutboxMessage:
    subject = add_subject(uow, "acme", ["customers"], [("email", address)])
    message = queue_subject_message(uow, subject, address, "notice_change", CONTEXT, mail=MAIL)
    uow.commit()
    return message


def test_a_message_exists_only_if_the_change_that_caused_it_commits(acme: UnitOfWork) -> None:
    subject = add_subject(acme, "acme", ["customers"], [("email", "jane@example.com")])
    queue_subject_message(acme, subject, "jane@example.com", "notice_change", CONTEXT, mail=MAIL)
    acme.rollback()
    assert (_count(acme, OutboxMessage), _count(acme, Job)) == (0, 0)
    message = _queue_to(acme, "jane@example.com")
    assert (_count(acme, OutboxMessage), _count(acme, Job)) == (1, 1)
    assert b"jane" not in message.sealed
    assert message.message_id.endswith("@acme.example>")
    assert message.status == "queued"


def test_bad_input_is_refused_and_writes_nothing(acme: UnitOfWork) -> None:
    [subject] = add_people(acme, 1)
    acme.commit()
    with pytest.raises(UnknownMessageType):
        queue_subject_message(acme, subject, "a@example.com", "no_such_type", CONTEXT)
    with pytest.raises(InvalidIdentity):
        queue_subject_message(acme, subject, "not an address", "notice_change", CONTEXT, mail=MAIL)
    with pytest.raises(ValidationFailed, match="go to staffs"):
        queue_subject_message(acme, subject, "a@example.com", "staff_alert", {})
    with pytest.raises(TemplateInvalid):
        queue_subject_message(
            acme, subject, "a@example.com", "notice_change", {"summary": "x"}, mail=MAIL
        )
    acme.commit()
    assert (_count(acme, OutboxMessage), _count(acme, Job)) == (0, 0)


def test_it_delivers_in_the_organisations_name_with_both_bodies(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    message = _queue_to(acme, "jane@example.com")
    inbox = Inbox()
    with smtp_server(inbox) as port:
        stats = build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    assert stats.done == 1
    [sent] = inbox.messages
    assert sent["Message-ID"] == message.message_id
    assert sent["From"] == "Acme <privacy@acme.example>"
    assert sent["To"] == "jane@example.com"
    assert sent["Subject"] == "Acme has updated its privacy notice"
    text = _part(sent, "plain")
    html = _part(sent, "html")
    assert CONTEXT["summary"] in text
    assert CONTEXT["notice_url"] in text
    assert f'href="{CONTEXT["notice_url"]}"' in html
    assert "Acme Ltd" in text
    row = _message(acme, message.id)
    assert (row.status, row.sent_at) == ("sent", clock.now())
    assert verify(acme.session).intact


def test_smtp_down_messages_wait_and_retry_and_none_is_lost(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    messages = [_queue_to(acme, f"p{n}@example.com") for n in range(3)]
    port = free_port()  # nothing listens here yet
    down = build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    assert (down.done, down.retried, down.parked) == (0, 3, 0)
    assert {_message(acme, m.id).status for m in messages} == {"queued"}
    job = acme.session.scalars(select(Job)).first()
    assert job is not None
    assert job.last_error is not None
    assert "SMTP server unavailable" in job.last_error
    clock.advance(timedelta(minutes=1))
    inbox = Inbox()
    with smtp_server(inbox, port=port):
        up = build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    assert up.done == 3
    assert sorted(inbox.message_ids()) == sorted(m.message_id for m in messages)


def test_a_malformed_address_is_parked_with_its_reason(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    message = _queue_to(acme, "jane..doe@example.com")  # intake allows it; SMTP does not
    inbox = Inbox()
    with smtp_server(inbox) as port:
        stats = build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    assert (stats.parked, inbox.messages) == (1, [])
    row = _message(acme, message.id)
    assert row.status == "parked"
    assert row.parked_reason == (
        "[recipient_invalid] recipient address is malformed: misplaced dot before the @"
    )


def test_a_recipient_the_server_refuses_is_parked_without_the_address(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    message = _queue_to(acme, "gone@example.com")
    inbox = Inbox(refuse={"gone@example.com"})
    with smtp_server(inbox) as port:
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    row = _message(acme, message.id)
    assert row.status == "parked"
    assert row.parked_reason == "[delivery_refused] the mail server refused the recipient (550)"
    job = acme.session.scalars(select(Job)).one()
    assert "gone" not in (job.last_error or "")


def test_a_message_to_a_shredded_subject_is_parked_and_never_sent(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    message = _queue_to(acme, "jane@example.com")
    shred_subject(acme, "acme", str(message.subject_ref))
    acme.commit()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    assert inbox.messages == []
    row = _message(acme, message.id)
    assert row.status == "parked"
    assert row.parked_reason is not None
    assert row.parked_reason.startswith("[message_undeliverable] the subject's data was destroyed")


def test_a_template_error_stops_the_worker_at_start(
    acme: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    tmp_path: Path,
) -> None:
    _queue_to(acme, "jane@example.com")
    (tmp_path / "notice_change.txt").write_text("Hello\n{{ summary }\n", encoding="utf-8")
    (tmp_path / "staff_alert.html").write_text("{{ no_such_value }}", encoding="utf-8")
    with pytest.raises(TemplateInvalid) as caught:
        build_worker(session_factory, clock, vault, mail_settings(1, mail_templates_dir=tmp_path))
    assert caught.value.code == "template_invalid"
    assert any("notice_change.txt:2:" in d for d in caught.value.details)
    assert any("staff_alert.html" in d and "no_such_value" in d for d in caught.value.details)
    job = acme.session.scalars(select(Job)).one()
    assert (job.state, job.attempts) == ("due", 0)


def test_a_staff_message_is_sealed_under_a_key_of_its_own(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    message = queue_staff_message(
        acme,
        "acme",
        "dpo@acme.example",
        "staff_alert",
        {"title": "Check", "lines": ["One"]},
        mail=MAIL,
    )
    acme.commit()
    assert b"dpo@" not in message.sealed
    assert message.subject_id is None
    inbox = Inbox()
    with smtp_server(inbox) as port:
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    [sent] = inbox.messages
    assert sent["Subject"] == "[Acme] Check"


def test_the_eml_folder_writes_each_message_as_a_file(
    acme: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    tmp_path: Path,
) -> None:
    message = _queue_to(acme, "jane@example.com")
    mail = mail_settings(1, mail_sender="eml", eml_dir=tmp_path / "mail")
    assert build_worker(session_factory, clock, vault, mail).run(once=True).done == 1
    [written] = (tmp_path / "mail").glob("*.eml")
    content = written.read_text(encoding="utf-8")
    assert f"Message-ID: {message.message_id}" in content
    assert "To: jane@example.com" in content


def test_two_workers_never_send_a_message_twice(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    """On SQLite the second worker waits for the write lock; on PostgreSQL it skips rows."""
    people = add_people(acme, 40)
    queued = [
        queue_subject_message(
            acme, s, f"person{n}@example.com", "notice_change", CONTEXT, mail=MAIL
        )
        for n, s in enumerate(people)
    ]
    acme.commit()
    inbox = Inbox(delay=0.002)
    with smtp_server(inbox) as port:
        mail = mail_settings(port, worker_batch=5)
        workers = [
            build_worker(session_factory, clock, vault, mail, worker_id=f"w{n}") for n in (1, 2)
        ]
        threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    ids = inbox.message_ids()
    assert sorted(ids) == sorted(m.message_id for m in queued)  # each exactly once
    assert _count(acme, Job) == 40
    states = set(acme.session.scalars(select(Job.state)))
    assert states == {"done"}
