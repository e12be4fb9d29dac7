"""Portability sent straight to another controller (issue 19, POR-01, Art 20(2)).

The caseworker records the organisation and the email address the subject gave; once the
portability package is ready the link goes there, the subject is told where it went, and
the one-time code the download page asks for still goes to the subject only. The name and
address are sealed with the request; the audit chain holds ids only.

JTR Collections' register and operational data (``package_build_support``); SQLite and
PostgreSQL; the clock is the test's.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from package_build_support import CASE, EMAIL, ORG, Operational, build_operational
from sqlalchemy import select
from test_access_portability import _assembled, _built, _request

from dataward.access.controller_transfer import destination_of, record_destination
from dataward.access.delivery import announce_ready, linked_package
from dataward.access.download_codes import send_download_code
from dataward.access.download_links import package_link_token
from dataward.access.errors import DestinationInvalid
from dataward.access.models import PORTABILITY, PortabilityDestination
from dataward.access.service import queue_package
from dataward.audit.models import AuditEvent
from dataward.config import get_settings
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.uow import UnitOfWork

SECRET = "test-secret-key-for-signing-links-0123456789"
MAIL = MailSettings(mail_from="privacy@jtr.example")
ENERGY = "data.moves@example-energy.co.uk"


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    return build_operational(tmp_path / "agency")


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    return tmp_path / "packages"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAWARD_SECRET_KEY", SECRET)
    monkeypatch.setenv("DATAWARD_PUBLIC_URL", "https://dw.example")
    get_settings.cache_clear()


def _mails(uow: UnitOfWork, kind: str) -> list[EmailMessage]:
    rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    return [open_message(uow, row, MAIL) for row in rows]


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _audit_text(uow: UnitOfWork) -> str:
    return str(uow.session.execute(select(AuditEvent.details, AuditEvent.action)).all())


def test_it_sends_the_ready_package_to_the_controller_and_tells_the_subject(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    row = _request(uow, ("portability",))
    record_destination(uow, ORG, row.ref, "Example  Energy Ltd", ENERGY.upper(), actor=CASE)
    uow.commit()
    assert destination_of(uow, row) is not None
    package = queue_package(uow, ORG, row.ref, actor=CASE, kind=PORTABILITY)
    _built(uow, package, agency, packages)
    _assembled(uow, package, packages)

    sent = announce_ready(uow, package, public_url="https://dw.example/")
    uow.commit()
    assert sent is not None
    assert sent.kind == "portability_package_to_controller"
    [to_controller] = _mails(uow, "portability_package_to_controller")
    assert to_controller["To"] == ENERGY
    text = _text(to_controller)
    assert "To Example Energy Ltd," in text
    assert "https://dw.example/packages/" in text
    assert "we send to the person whose data" in text
    [told] = _mails(uow, "portability_package_sent")
    assert told["To"] == EMAIL
    assert f"Example Energy Ltd, at the email address you gave us for them: {ENERGY}" in (
        " ".join(_text(told).split())
    )
    assert _mails(uow, "portability_package_ready") == []  # the subject's own link: none

    token = package_link_token(SECRET.encode(), row, package)[0]
    assert linked_package(uow, SECRET.encode(), token)[1].id == package.id
    code = send_download_code(uow, package, actor="portal")
    assert open_message(uow, code.message, MAIL)["To"] == EMAIL  # the code: the subject's

    actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert "access.destination_recorded" in actions
    assert "access.package_sent_to_controller" in actions
    audited = _audit_text(uow)
    assert "energy" not in audited.lower()
    stored = uow.session.get(PortabilityDestination, row.id)
    assert stored is not None
    assert b"energy" not in stored.sealed.lower()
    assert stored.sent_at is not None
    assert stored.message_id == sent.id
    assert announce_ready(uow, package, public_url="https://dw.example/") is None  # once


def test_it_sends_at_once_when_the_package_is_ready_already(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    row = _request(uow, ("portability",))
    package = queue_package(uow, ORG, row.ref, actor=CASE, kind=PORTABILITY)
    _built(uow, package, agency, packages)
    _assembled(uow, package, packages)
    assert _mails(uow, "portability_package_to_controller") == []

    record_destination(uow, ORG, row.ref, "Example Energy Ltd", ENERGY, actor=CASE)
    uow.commit()
    assert [m["To"] for m in _mails(uow, "portability_package_to_controller")] == [ENERGY]
    assert [m["To"] for m in _mails(uow, "portability_package_sent")] == [EMAIL]
    with pytest.raises(DestinationInvalid, match="sent to the receiving organisation already"):
        record_destination(uow, ORG, row.ref, "Other Ltd", "x@other.example", actor=CASE)


def test_bad_destinations_are_refused_and_change_nothing(uow: UnitOfWork) -> None:
    row = _request(uow, ("portability",))
    with pytest.raises(DestinationInvalid, match="not an email address"):
        record_destination(uow, ORG, row.ref, "Example Energy Ltd", "energy at example", actor=CASE)
    with pytest.raises(DestinationInvalid, match="organisation's name"):
        record_destination(uow, ORG, row.ref, "   ", ENERGY, actor=CASE)
    with pytest.raises(DestinationInvalid, match="organisation's name"):
        record_destination(uow, ORG, row.ref, "x" * 201, ENERGY, actor=CASE)
    uow.rollback()
    assert uow.session.scalars(select(PortabilityDestination)).all() == []
    assert "access.destination_recorded" not in _audit_text(uow)
    access_only = _request_other(uow)
    with pytest.raises(DestinationInvalid, match="does not ask for portability"):
        record_destination(uow, ORG, access_only, "Example Energy Ltd", ENERGY, actor=CASE)
    # Correcting an address before anything is sent replaces it.
    record_destination(uow, ORG, row.ref, "Example Energy Ltd", "old@example.com", actor=CASE)
    record_destination(uow, ORG, row.ref, "Example Energy Ltd", ENERGY, actor=CASE)
    found = destination_of(uow, row)
    assert found is not None
    assert (found.name, found.email, found.sent_at) == ("Example Energy Ltd", ENERGY, None)


def _request_other(uow: UnitOfWork) -> str:
    from datetime import date

    from dataward.requests.service import NewRequest, Requester, open_request

    requester = Requester(name="Mary Subject", email=EMAIL, words="My data.")
    new = NewRequest(ORG, ("access",), "email", date(2026, 11, 20), requester)
    return open_request(uow, new, actor=CASE).ref
