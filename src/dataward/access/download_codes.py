"""One-time codes before a download: the link alone is not enough (it may be forwarded).

The code is emailed to where the request's replies go (``requests.messages``), kept only as
an HMAC under the package's data key (shredding the subject kills it), and works once, for
``request_code_minutes``, five tries; three codes an hour at most. Only the latest code
counts. Refusals reuse the request codes' errors, so every portal form says the same
things. Never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from dataward.access import audit_actions as actions
from dataward.access.errors import PackageRefused
from dataward.access.models import AccessPackage, DownloadCode
from dataward.access.service import audit_package, request_of
from dataward.config import get_settings
from dataward.crypto.keyring import data_key
from dataward.errors import DatawardError
from dataward.outbox.models import OutboxMessage
from dataward.requests.errors import (
    CodeDead,
    CodeExpired,
    CodeThrottled,
    CodeUsed,
    CodeWrong,
    NoCodeSent,
)
from dataward.requests.messages import message_requester
from dataward.uow import UnitOfWork

CODES_PER_HOUR = 3
MAX_TRIES = 5
CODE_KIND = "package_code"


@dataclass(frozen=True)
class SentCode:
    message: OutboxMessage
    expires_at: datetime


@dataclass(frozen=True)
class CodeCheck:
    """A typed code's result. ``refusal`` is set for a wrong try: it is still counted (the
    edge commits, then says no), so five wrong tries kill the code."""

    accepted: bool
    tries_left: int = 0
    refusal: DatawardError | None = None


def _digest(uow: UnitOfWork, package: AccessPackage, code_id: str, code: str) -> str:
    message = f"package-code:{code_id}:{code}".encode()
    return hmac.new(data_key(uow, package.key_id), message, hashlib.sha256).hexdigest()


def send_download_code(uow: UnitOfWork, package: AccessPackage, *, actor: str) -> SentCode:
    """Email a six-digit code to the requester; keep its HMAC. At most three an hour."""
    now = uow.clock.now()
    recent = uow.session.scalar(
        select(func.count())
        .select_from(DownloadCode)
        .where(
            DownloadCode.package_id == package.id,
            DownloadCode.created_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= CODES_PER_HOUR:
        raise CodeThrottled(
            f"{CODES_PER_HOUR} codes were sent for this package in the last hour: "
            "use the latest one, or wait an hour"
        )
    earlier = uow.session.scalar(
        select(func.count()).select_from(DownloadCode).where(DownloadCode.package_id == package.id)
    )
    minutes = get_settings().request_code_minutes
    code = f"{secrets.randbelow(1_000_000):06d}"
    entry = DownloadCode(
        id=str(uuid.uuid4()),
        package_id=package.id,
        seq=(earlier or 0) + 1,
        digest="",
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
        failures=0,
    )
    entry.digest = _digest(uow, package, entry.id, code)
    row = request_of(uow, package)
    message = message_requester(
        uow, row, CODE_KIND, {"code": code, "minutes": minutes}, actor=actor
    )
    if message is None:
        raise PackageRefused(
            "the requester gave no email address: the caseworker sends the package another way"
        )
    uow.session.add(entry)
    audit_package(
        uow,
        package,
        actions.PACKAGE_CODE_SENT,
        actor=actor,
        row=row,
        expires_at=entry.expires_at.isoformat(),
        message=message.id,
    )
    return SentCode(message, entry.expires_at)


def _latest(uow: UnitOfWork, package: AccessPackage) -> DownloadCode:
    latest = uow.session.scalars(
        select(DownloadCode)
        .where(DownloadCode.package_id == package.id)
        .order_by(DownloadCode.seq.desc())
        .limit(1)
    ).first()
    if latest is None:
        raise NoCodeSent("no code was sent for this package: ask for one first")
    return latest


def _claim(uow: UnitOfWork, entry: DownloadCode, values: dict[str, Any]) -> int | None:
    """Apply ``values`` to a code still unused and alive; its failures after, or None."""
    done = uow.session.execute(
        update(DownloadCode)
        .where(
            DownloadCode.id == entry.id,
            DownloadCode.used_at.is_(None),
            DownloadCode.failures < MAX_TRIES,
        )
        .values(**values)
        .returning(DownloadCode.failures)
        .execution_options(synchronize_session=False)
    ).first()
    uow.session.expire(entry)
    return None if done is None else int(done[0])


def _dead() -> CodeDead:
    return CodeDead(f"{MAX_TRIES} wrong tries: this code no longer works; ask for a new one")


def check_download_code(
    uow: UnitOfWork, package: AccessPackage, code: str, *, actor: str
) -> CodeCheck:
    """Check the latest code: single use, expiring, dead after five wrong tries.

    A used, expired or dead code (or none sent) raises and changes nothing; a wrong one is
    counted, audited and returned with its refusal, so the edge keeps the count and still
    says no. An accepted code is used up here: the caller downloads in the same
    transaction, so a download that fails leaves the code unused.
    """
    entry = _latest(uow, package)
    if entry.used_at is not None:
        raise CodeUsed("this code was used already: ask for a new one")
    if entry.failures >= MAX_TRIES:
        raise _dead()
    if uow.clock.now() >= entry.expires_at:
        raise CodeExpired("this code has expired: ask for a new one")
    typed = code.strip()
    if not (len(typed) == 6 and typed.isdigit()) or not hmac.compare_digest(
        _digest(uow, package, entry.id, typed), entry.digest
    ):
        # Counted in the database (failures + 1), so tries sent at once are all counted.
        failures = _claim(uow, entry, {"failures": DownloadCode.failures + 1})
        if failures is None:
            raise _dead()
        audit_package(
            uow,
            package,
            actions.PACKAGE_DOWNLOAD_REFUSED,
            actor=actor,
            why=CodeWrong.code,
            failures=failures,
        )
        left = MAX_TRIES - failures
        if left == 0:
            return CodeCheck(False, 0, _dead())
        return CodeCheck(False, left, CodeWrong(f"that is not the code; {left} tries left"))
    # A conditional UPDATE: of two checks of the same code at once, only one uses it.
    if _claim(uow, entry, {"used_at": uow.clock.now()}) is None:
        raise CodeUsed("this code was used already: ask for a new one")
    return CodeCheck(True)
