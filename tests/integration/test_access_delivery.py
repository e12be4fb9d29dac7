"""Handing a ready package to the requester (issue 18, ACC-01): the emailed link, its
checks, one-time codes, the streamed download, the caseworker's download, and expiry.

Packages are made ready by ``access_delivery_support`` (no build). The clock is the test's:
2026-11-25 09:30 UTC; packages expire 30 days later unless a test says otherwise.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from access_delivery_support import (
    CASE,
    EMAIL,
    ORG,
    PERSONAL,
    Ready,
    ready_package,
    store_fixture_register,
)
from sqlalchemy import func, select

from dataward.access import audit_actions as actions
from dataward.access.delivery import (
    PackageClosed,
    announce_ready,
    download_package,
    filename,
    linked_package,
    open_package,
)
from dataward.access.download_codes import check_download_code, send_download_code
from dataward.access.download_links import package_link_token
from dataward.access.errors import PackageRefused
from dataward.access.expiry import PackageExpirySweep, delete_expired_packages
from dataward.access.models import APPROVED, DELETED, READY, AccessPackage, DownloadCode
from dataward.access.staging import PACKAGE_FILE, package_dir
from dataward.accounts.errors import LinkExpired, LinkInvalid
from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.errors import CodeDead, CodeExpired, CodeThrottled, CodeUsed, NoCodeSent
from dataward.requests.status_links import status_link_token
from dataward.uow import UnitOfWork

SECRET = b"test-secret-key-for-signing-links-0123456789"
MAIL = MailSettings(mail_from="privacy@acme.example")
REQUESTER = "requester:test"
EXPIRES = datetime(2026, 12, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def ready(uow: UnitOfWork) -> Ready:
    store_fixture_register(uow)
    return ready_package(uow)


def _body(uow: UnitOfWork, message: OutboxMessage) -> str:
    text: str = open_message(uow, message, MAIL).get_body(("plain",)).get_content()
    return text


def _token(ready: Ready) -> str:
    return package_link_token(SECRET, ready.row, ready.package)[0]


def _code(uow: UnitOfWork, ready: Ready) -> str:
    message = send_download_code(uow, ready.package, actor=REQUESTER).message
    uow.commit()
    found = re.search(r"\b(\d{6})\b", _body(uow, message))
    assert found is not None
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _audits(uow: UnitOfWork, action: str) -> list[AuditEvent]:
    return list(
        uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
    )


def _no_personal_data(uow: UnitOfWork) -> None:
    for event in uow.session.scalars(select(AuditEvent).where(AuditEvent.action.like("access.%"))):
        text = repr(event.details)
        for value in PERSONAL:
            assert value not in text, (event.action, value)


def _package(uow: UnitOfWork, ready: Ready) -> AccessPackage:
    uow.session.expire_all()
    found = uow.session.get(AccessPackage, ready.package.id)
    assert found is not None
    return found


# --- the email and its link -------------------------------------------------------------


def test_it_emails_the_requester_a_link_that_opens_their_package(
    uow: UnitOfWork, ready: Ready
) -> None:
    message = announce_ready(uow, ready.package, secret=SECRET, public_url="https://dw.example/")
    uow.commit()
    assert message is not None
    assert message.kind == "package_ready"
    assert message.request_id == ready.row.id
    body = _body(uow, message)
    found = re.search(r"https://dw\.example/packages/(\S+)", body)
    assert found is not None
    assert "25 December 2026, 09:30 GMT" in body  # 30 days on, in UK time
    row, package = linked_package(uow, SECRET, found.group(1))
    assert (row.id, package.id) == (ready.row.id, ready.package.id)


def test_the_link_expires_with_the_package_to_the_second(
    uow: UnitOfWork, ready: Ready, clock: FixedClock
) -> None:
    token, expires = package_link_token(SECRET, ready.row, ready.package)
    assert expires == EXPIRES
    clock.set(EXPIRES - timedelta(seconds=1))
    assert linked_package(uow, SECRET, token)[1].id == ready.package.id
    clock.set(EXPIRES)
    with pytest.raises(LinkExpired):
        linked_package(uow, SECRET, token)


def test_a_requester_answered_by_post_gets_no_email(uow: UnitOfWork) -> None:
    store_fixture_register(uow)
    posted = ready_package(uow, by_post=True)
    assert announce_ready(uow, posted.package, secret=SECRET, public_url="https://x") is None
    assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_only_a_ready_package_is_announced(uow: UnitOfWork, ready: Ready) -> None:
    ready.package.state = APPROVED
    with pytest.raises(PackageRefused):
        announce_ready(uow, ready.package, secret=SECRET, public_url="https://x")


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # tampered signature
        lambda t: "x" + t,  # tampered payload
        lambda t: "not-a-link",
        lambda t: t * 20,  # too long
    ],
)
def test_a_forged_or_damaged_link_opens_nothing(uow: UnitOfWork, ready: Ready, damage: Any) -> None:
    with pytest.raises(LinkInvalid):
        linked_package(uow, SECRET, damage(_token(ready)))


def test_a_link_signed_under_another_key_opens_nothing(uow: UnitOfWork, ready: Ready) -> None:
    token = package_link_token(b"another secret", ready.row, ready.package)[0]
    with pytest.raises(LinkInvalid):
        linked_package(uow, SECRET, token)


def test_a_request_status_link_never_opens_a_package(uow: UnitOfWork, ready: Ready) -> None:
    status, _ = status_link_token(SECRET, uow.clock, ready.row)
    with pytest.raises(LinkInvalid) as refused:
        linked_package(uow, SECRET, status)
    assert not isinstance(refused.value, PackageClosed)


@pytest.mark.parametrize(
    ("state", "reason"), [(APPROVED, "package_not_ready"), (DELETED, "package_deleted")]
)
def test_a_link_to_a_package_not_ready_is_refused_naming_it(
    uow: UnitOfWork, ready: Ready, state: str, reason: str
) -> None:
    token = _token(ready)
    ready.package.state = state
    uow.commit()
    with pytest.raises(PackageClosed) as refused:
        linked_package(uow, SECRET, token)
    assert (refused.value.reason, refused.value.package.id) == (reason, ready.package.id)
    assert refused.value.code == "package_link_refused"


# --- codes --------------------------------------------------------------------------------


def test_a_code_is_emailed_and_only_its_hmac_kept(uow: UnitOfWork, ready: Ready) -> None:
    code = _code(uow, ready)
    stored = uow.session.scalars(select(DownloadCode)).one()
    assert code not in stored.digest
    assert stored.expires_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 30 minutes
    [sent] = _audits(uow, actions.PACKAGE_CODE_SENT)
    assert sent.details["package"] == ready.package.id


def test_the_right_code_is_accepted_once(uow: UnitOfWork, ready: Ready) -> None:
    code = _code(uow, ready)
    assert check_download_code(uow, ready.package, code, actor=REQUESTER).accepted
    uow.commit()
    with pytest.raises(CodeUsed):
        check_download_code(uow, ready.package, code, actor=REQUESTER)


def test_five_wrong_tries_kill_the_code(uow: UnitOfWork, ready: Ready) -> None:
    code = _code(uow, ready)
    for tries_left in (4, 3, 2, 1):
        result = check_download_code(uow, ready.package, _wrong(code), actor=REQUESTER)
        uow.commit()
        assert (result.accepted, result.tries_left) == (False, tries_left)
    last = check_download_code(uow, ready.package, _wrong(code), actor=REQUESTER)
    uow.commit()
    assert isinstance(last.refusal, CodeDead)
    with pytest.raises(CodeDead):
        check_download_code(uow, ready.package, code, actor=REQUESTER)
    refused = _audits(uow, actions.PACKAGE_DOWNLOAD_REFUSED)
    assert [e.details["failures"] for e in refused] == [1, 2, 3, 4, 5]


def test_an_expired_code_is_refused(uow: UnitOfWork, ready: Ready, clock: FixedClock) -> None:
    code = _code(uow, ready)
    clock.advance(timedelta(minutes=30))
    with pytest.raises(CodeExpired):
        check_download_code(uow, ready.package, code, actor=REQUESTER)


def test_a_check_before_any_code_is_refused(uow: UnitOfWork, ready: Ready) -> None:
    with pytest.raises(NoCodeSent):
        check_download_code(uow, ready.package, "123456", actor=REQUESTER)


def test_only_the_latest_code_counts(uow: UnitOfWork, ready: Ready) -> None:
    first = _code(uow, ready)
    second = _code(uow, ready)
    if first != second:
        assert not check_download_code(uow, ready.package, first, actor=REQUESTER).accepted
    assert check_download_code(uow, ready.package, second, actor=REQUESTER).accepted


def test_codes_are_throttled_to_three_an_hour(
    uow: UnitOfWork, ready: Ready, clock: FixedClock
) -> None:
    for _ in range(3):
        _code(uow, ready)
        clock.advance(timedelta(minutes=10))
    with pytest.raises(CodeThrottled):
        send_download_code(uow, ready.package, actor=REQUESTER)
    uow.rollback()
    assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    clock.advance(timedelta(minutes=31))  # the first code was sent over an hour ago
    _code(uow, ready)


def test_a_requester_answered_by_post_gets_no_code(uow: UnitOfWork) -> None:
    store_fixture_register(uow)
    posted = ready_package(uow, by_post=True)
    with pytest.raises(PackageRefused):
        send_download_code(uow, posted.package, actor=REQUESTER)


# --- downloads ------------------------------------------------------------------------------


def test_the_download_streams_the_zip_in_chunks_counted_and_audited(
    uow: UnitOfWork, ready: Ready, vault: Vault
) -> None:
    stream = download_package(uow, ready.package, actor=REQUESTER)
    uow.commit()
    chunks = list(stream)
    assert len(chunks) == 2  # a little over one sealed chunk: never the whole file at once
    assert b"".join(chunks) == ready.zip_bytes
    assert stream.size == len(ready.zip_bytes)
    assert _package(uow, ready).downloads == 1
    [entry] = _audits(uow, actions.PACKAGE_DOWNLOADED)
    assert entry.details["package"] == ready.package.id
    assert entry.details["by"] == "requester"
    assert entry.actor == REQUESTER
    assert filename(ready.row) == f"{ORG}-{ready.row.ref}-data.zip"
    _no_personal_data(uow)
    assert verify(uow.session).intact


def test_the_caseworker_downloads_for_a_requester_answered_by_post(uow: UnitOfWork) -> None:
    store_fixture_register(uow)
    posted = ready_package(uow, by_post=True)
    stream = open_package(uow, posted.package, actor=CASE)
    uow.commit()
    assert b"".join(stream) == posted.zip_bytes
    [entry] = _audits(uow, actions.PACKAGE_DOWNLOADED)
    assert (entry.details["by"], entry.actor) == ("staff", CASE)
    assert _package(uow, posted).downloads == 0  # the requester's count


def test_a_missing_file_is_refused_before_anything_is_counted(
    uow: UnitOfWork, ready: Ready
) -> None:
    (package_dir(ready.package) / PACKAGE_FILE).unlink()
    with pytest.raises(PackageClosed) as refused:
        download_package(uow, ready.package, actor=REQUESTER)
    assert refused.value.reason == "package_unreadable"
    with pytest.raises(PackageRefused):
        open_package(uow, ready.package, actor=CASE)
    uow.rollback()
    assert _package(uow, ready).downloads == 0
    assert _audits(uow, actions.PACKAGE_DOWNLOADED) == []


def test_a_tampered_file_is_refused(uow: UnitOfWork, ready: Ready) -> None:
    path = package_dir(ready.package) / PACKAGE_FILE
    data = bytearray(path.read_bytes())
    data[40] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(PackageClosed):
        download_package(uow, ready.package, actor=REQUESTER)


def test_an_expired_package_is_not_downloaded_before_the_sweep_runs(
    uow: UnitOfWork, ready: Ready, clock: FixedClock
) -> None:
    clock.set(EXPIRES)
    with pytest.raises(PackageClosed) as refused:
        download_package(uow, ready.package, actor=REQUESTER)
    assert refused.value.reason == "package_expired"


# --- expiry ---------------------------------------------------------------------------------


def test_expiry_deletes_ready_packages_past_their_date_only(
    uow: UnitOfWork, ready: Ready, clock: FixedClock
) -> None:
    later = ready_package(uow, days=31, email="other@example.com")
    token = _token(ready)
    assert delete_expired_packages(uow, now=EXPIRES - timedelta(seconds=1)) == 0
    assert delete_expired_packages(uow, now=EXPIRES) == 1
    uow.commit()
    gone, kept = _package(uow, ready), _package(uow, later)
    assert (gone.state, gone.deleted_at) == (DELETED, EXPIRES)
    assert not package_dir(gone).exists()
    assert (kept.state, kept.deleted_at) == (READY, None)
    assert (package_dir(kept) / PACKAGE_FILE).exists()
    [entry] = _audits(uow, actions.PACKAGE_DELETED)
    assert (entry.details["package"], entry.details["reason"]) == (gone.id, "expired")
    # The link, even were it still in date, opens nothing now.
    clock.set(EXPIRES - timedelta(days=1))
    with pytest.raises(PackageClosed):
        linked_package(uow, SECRET, token)
    assert delete_expired_packages(uow, now=EXPIRES + timedelta(days=5)) == 1  # the later one
    _no_personal_data(uow)


def test_the_sweep_runs_at_most_every_five_minutes(
    uow: UnitOfWork, ready: Ready, clock: FixedClock
) -> None:
    sweep = PackageExpirySweep()
    clock.set(EXPIRES - timedelta(minutes=2))
    assert sweep(uow) == 0
    clock.set(EXPIRES)
    assert sweep(uow) is None  # looked two minutes ago: not yet time to look again
    assert _package(uow, ready).state == READY
    clock.advance(timedelta(minutes=3))
    assert sweep(uow) == 1  # and it commits
    uow.rollback()
    assert _package(uow, ready).state == DELETED


def test_a_shredded_subjects_package_cannot_be_read_and_is_still_deleted(
    uow: UnitOfWork, ready: Ready
) -> None:
    from dataward.subjects.models import Subject
    from dataward.subjects.service import shred_subject

    subject = uow.session.get(Subject, ready.package.subject_id)
    assert subject is not None
    shred_subject(uow, ORG, subject.ref, actor=CASE)
    uow.commit()
    with pytest.raises(PackageClosed):
        download_package(uow, _package(uow, ready), actor=REQUESTER)
    uow.rollback()
    assert delete_expired_packages(uow, now=EXPIRES) == 1
    assert not package_dir(ready.package).exists()


def test_emails_go_to_the_requesters_address(uow: UnitOfWork, ready: Ready) -> None:
    message = send_download_code(uow, ready.package, actor=REQUESTER).message
    assert open_message(uow, message, MAIL)["To"] == EMAIL
