"""One-time codes before a download: the link alone is not enough (it may be forwarded).

The code is emailed to where the request's replies go (``requests.messages``), kept only as
an HMAC under the package's data key (shredding the subject kills it), and works once, for
``request_code_minutes``, five tries; three codes an hour at most. Only the latest code
counts. Refusals reuse the request codes' errors, so every portal form says the same
things. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dataward.access import audit_actions as actions
from dataward.access.errors import PackageRefused
from dataward.access.models import AccessPackage, DownloadCode
from dataward.access.service import audit_package, request_of
from dataward.config import get_settings
from dataward.errors import DatawardError
from dataward.outbox.models import OutboxMessage
from dataward.requests.errors import CodeWrong
from dataward.requests.messages import message_requester
from dataward.requests.one_time_codes import CodeOwner, issue_code, try_code
from dataward.uow import UnitOfWork

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


def _codes(package: AccessPackage) -> CodeOwner:
    return CodeOwner(
        DownloadCode, DownloadCode.package_id, package.id, package.key_id, "package-code", "package"
    )


def send_download_code(uow: UnitOfWork, package: AccessPackage, *, actor: str) -> SentCode:
    """Email a six-digit code to the requester; keep its HMAC. At most three an hour."""
    minutes = get_settings().request_code_minutes
    issued = issue_code(uow, _codes(package), minutes=minutes)
    row = request_of(uow, package)
    message = message_requester(
        uow, row, CODE_KIND, {"code": issued.code, "minutes": minutes}, actor=actor
    )
    if message is None:
        raise PackageRefused(
            "the requester gave no email address: the caseworker sends the package another way"
        )
    audit_package(
        uow,
        package,
        actions.PACKAGE_CODE_SENT,
        actor=actor,
        row=row,
        expires_at=issued.entry.expires_at.isoformat(),
        message=message.id,
    )
    return SentCode(message, issued.entry.expires_at)


def check_download_code(
    uow: UnitOfWork, package: AccessPackage, code: str, *, actor: str
) -> CodeCheck:
    """Check the latest code (``requests.one_time_codes.try_code``).

    A used, expired or dead code (or none sent) raises and changes nothing; a wrong one is
    counted, audited and returned with its refusal, so the edge keeps the count and still
    says no. An accepted code is used up here: the caller downloads in the same
    transaction, so a download that fails leaves the code unused.
    """
    tried = try_code(uow, _codes(package), code)
    if not tried.accepted:
        audit_package(
            uow,
            package,
            actions.PACKAGE_DOWNLOAD_REFUSED,
            actor=actor,
            why=CodeWrong.code,
            failures=tried.failures,
        )
        return CodeCheck(False, tried.tries_left, tried.refusal)
    return CodeCheck(True)
