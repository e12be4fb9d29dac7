"""The requester's download page (issue 18, ACC-01): link -> code -> the ZIP, streamed; and
every refusal, on SQLite and PostgreSQL.

The package is made ready by ``access_delivery_support``; the clock is the test's
(2026-11-25 09:30 UTC) and the package expires 30 days later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from access_delivery_support import PERSONAL, Ready, ready_package
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import audit_actions, csrf_from, fresh_console_app

from dataward.access.download_links import package_link_token
from dataward.access.expiry import delete_expired_packages
from dataward.access.models import APPROVED, AccessPackage, DownloadCode
from dataward.access.staging import PACKAGE_FILE, package_dir
from dataward.accounts.links import sign_link
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.status_links import status_link_token
from dataward.uow import UnitOfWork

MAIL = MailSettings(mail_from="privacy@acme.example")


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _uow(app: FastAPI) -> UnitOfWork:
    return UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault)


@pytest.fixture
def ready(app: FastAPI) -> Ready:
    with _uow(app) as uow:
        made = ready_package(uow)
        uow.session.expunge_all()
        return made


def _token(app: FastAPI, ready: Ready) -> str:
    return package_link_token(app.state.secret_key, ready.row, ready.package)[0]


def _page(client: TestClient, token: str) -> str:
    page = client.get(f"/packages/{token}")
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def _ask_code(app: FastAPI, client: TestClient, token: str) -> str:
    csrf = _page(client, token)
    sent = client.post(f"/packages/{token}/code", data={"csrf_token": csrf})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/packages/{token}?code=sent"
    with _uow(app) as uow:
        message = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "package_code")
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        ).first()
        assert message is not None
        body = open_message(uow, message, MAIL).get_body(("plain",)).get_content()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


def _download(client: TestClient, token: str, code: str) -> Any:
    csrf = _page(client, token)
    return client.post(f"/packages/{token}/download", data={"csrf_token": csrf, "code": code})


def _package(app: FastAPI, ready: Ready) -> AccessPackage:
    with app.state.session_factory() as session:
        found = session.get(AccessPackage, ready.package.id)
        assert found is not None
        session.expunge(found)
        return found


def _details(app: FastAPI, action: str) -> list[dict[str, Any]]:
    with app.state.session_factory() as session:
        return [
            dict(d)
            for d in session.scalars(
                select(AuditEvent.details)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.seq)
            )
        ]


def test_the_link_and_an_emailed_code_download_the_zip(app: FastAPI, ready: Ready) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    page = client.get(f"/packages/{token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert ready.row.ref in page.text
    assert "25 December 2026, 09:30 GMT" in page.text  # the expiry, in UK time
    assert "jane.doe@example.com" not in page.text
    code = _ask_code(app, client, token)
    got = _download(client, token, code)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == (
        f'attachment; filename="acme_widgets-{ready.row.ref}-data.zip"'
    )
    assert got.content == ready.zip_bytes
    assert _package(app, ready).downloads == 1
    [downloaded] = _details(app, "access.package_downloaded")
    assert (downloaded["package"], downloaded["by"]) == (ready.package.id, "requester")
    # The code works once.
    again = _download(client, token, code)
    assert again.headers["location"] == f"/packages/{token}?code=used"
    assert _package(app, ready).downloads == 1
    for action in ("access.package_downloaded", "access.download_code_sent"):
        for details in _details(app, action):
            assert not any(value in repr(details) for value in PERSONAL)


def test_a_wrong_code_is_counted_and_downloads_nothing(app: FastAPI, ready: Ready) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    code = _ask_code(app, client, token)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    got = _download(client, token, wrong)
    assert got.status_code == 303
    assert got.headers["location"] == f"/packages/{token}?code=wrong"
    shown = client.get(got.headers["location"])
    assert "That is not the code" in shown.text
    assert _package(app, ready).downloads == 0
    assert [d["failures"] for d in _details(app, "access.download_refused")] == [1]
    assert _download(client, token, code).status_code == 200  # the right one still works


def test_a_download_before_any_code_is_refused(app: FastAPI, ready: Ready) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    got = _download(client, token, "123456")
    assert got.headers["location"] == f"/packages/{token}?code=missing"
    assert "web.input_refused" in audit_actions(app)


def test_a_fourth_code_in_an_hour_is_refused(app: FastAPI, ready: Ready) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    for _ in range(3):
        _ask_code(app, client, token)
    csrf = _page(client, token)
    fourth = client.post(f"/packages/{token}/code", data={"csrf_token": csrf})
    assert fourth.headers["location"] == f"/packages/{token}?code=throttled"
    with app.state.session_factory() as session:
        kinds = list(session.scalars(select(OutboxMessage.kind)))
    assert kinds.count("package_code") == 3


def test_an_expired_code_is_refused(app: FastAPI, ready: Ready, clock: FixedClock) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    code = _ask_code(app, client, token)
    clock.advance(timedelta(minutes=31))
    assert _download(client, token, code).headers["location"] == (f"/packages/{token}?code=expired")


def test_a_post_without_the_form_cookie_is_refused_as_forged(app: FastAPI, ready: Ready) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    csrf = _page(client, token)
    client.cookies.clear()
    got = client.post(f"/packages/{token}/code", data={"csrf_token": csrf})
    assert got.status_code == 403
    with app.state.session_factory() as session:
        assert list(session.scalars(select(OutboxMessage.kind))) == []


def _refused_alike(client: TestClient, token: str, status: int = 404) -> None:
    for reply in (
        client.get(f"/packages/{token}"),
        client.post(f"/packages/{token}/code", data={"csrf_token": "x"}),
    ):
        assert reply.status_code in (status, 403), reply.text
    page = client.get(f"/packages/{token}")
    assert page.status_code == status
    assert "This link" in page.text
    assert "jane.doe" not in page.text


def test_forged_tampered_and_other_purpose_links_open_nothing(
    app: FastAPI, ready: Ready, clock: FixedClock
) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    status = status_link_token(app.state.secret_key, clock, ready.row)[0]
    preferences = sign_link(app.state.secret_key, clock, "acme_widgets", ready.row.ref, 7)[0]
    for bad in (token[:-3] + "AAA", "x" + token, status, preferences, "nonsense"):
        _refused_alike(client, bad)
    refused = _details(app, "portal.link_refused")
    assert refused
    assert all(d["link"] == "package" for d in refused)
    assert _details(app, "access.download_refused") == []  # no package identified


def test_an_expired_link_opens_nothing(app: FastAPI, ready: Ready, clock: FixedClock) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    clock.advance(timedelta(days=30))
    _refused_alike(client, token, 410)
    assert _details(app, "portal.link_refused")[-1]["code"] == "link_expired"


def test_a_package_not_ready_is_refused_and_audited_on_its_request(
    app: FastAPI, ready: Ready
) -> None:
    with _uow(app) as uow:
        package = uow.session.get(AccessPackage, ready.package.id)
        assert package is not None
        package.state = APPROVED
        uow.commit()
    client = TestClient(app, follow_redirects=False)
    _refused_alike(client, _token(app, ready))
    refused = _details(app, "access.download_refused")
    assert refused
    assert {d["why"] for d in refused} == {"package_not_ready"}
    assert refused[0]["package"] == ready.package.id


def test_after_expiry_the_link_opens_nothing(app: FastAPI, ready: Ready, clock: FixedClock) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    code = _ask_code(app, client, token)
    csrf = _page(client, token)  # a form opened before the package went
    with _uow(app) as uow:
        assert delete_expired_packages(uow, now=clock.now() + timedelta(days=30)) == 1
        uow.commit()
    got = client.post(f"/packages/{token}/download", data={"csrf_token": csrf, "code": code})
    assert got.status_code == 404
    _refused_alike(client, token)
    assert {d["why"] for d in _details(app, "access.download_refused")} == {"package_deleted"}
    assert _package(app, ready).downloads == 0


def test_an_unreadable_file_is_refused_and_leaves_the_code_unused(
    app: FastAPI, ready: Ready
) -> None:
    client = TestClient(app, follow_redirects=False)
    token = _token(app, ready)
    code = _ask_code(app, client, token)
    (package_dir(ready.package) / PACKAGE_FILE).unlink()
    got = _download(client, token, code)
    assert got.status_code == 404
    assert "no longer leads to a package" in got.text
    with app.state.session_factory() as session:
        assert session.scalars(select(DownloadCode.used_at)).one() is None
    assert _package(app, ready).downloads == 0
    assert {d["why"] for d in _details(app, "access.download_refused")} == {"package_unreadable"}
