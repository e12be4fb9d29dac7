"""Handing a ready package to the requester (ACC-01): the email with its link, the link's
checks, and the decrypted ZIP streamed a chunk at a time. Never commits.

The package is ``package.zip.sealed`` under the subject's data key (``access.staging``).
The requester downloads it from the emailed link after typing a one-time code
(``access.download_codes``); a requester answered by post gets no link, and the caseworker
downloads it from the console (``open_package``). Every download is audited with ids and
counts only; the ZIP is never whole in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import update

from dataward.access import audit_actions as actions
from dataward.access.controller_transfer import send_to_destination
from dataward.access.download_links import (
    link_secret,
    package_address,
    package_link_token,
    read_package_link,
    split_ref,
)
from dataward.access.errors import PackageLinkRefused, PackageRefused
from dataward.access.models import (
    DELETED,
    KINDS,
    PORTABILITY,
    READY,
    AccessPackage,
    PortabilityDestination,
)
from dataward.access.service import audit_package, package_of, request_of
from dataward.access.staging import PACKAGE_FILE, read_file
from dataward.accounts.errors import LinkInvalid
from dataward.clock import uk_moment
from dataward.crypto.errors import DecryptionFailed, SubjectShredded
from dataward.crypto.sealed_files import CHUNK, SealedReader
from dataward.outbox.config import get_mail_settings
from dataward.outbox.models import OutboxMessage
from dataward.requests.errors import RequestNotFound
from dataward.requests.messages import message_requester
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request, requester_of
from dataward.uow import UnitOfWork

READY_KIND = "package_ready"
# POR-01: the email about a portability package says what it holds.
PORTABLE_READY_KIND = "portability_package_ready"
GONE = (
    "this package download link no longer leads to a package; use the link in the latest "
    "email about your request, or contact the organisation"
)


class PackageClosed(PackageLinkRefused):
    """A genuine link whose package cannot be downloaded now: ``reason`` says why (not
    ready, deleted, expired, unreadable), for the audit entry the edge writes."""

    def __init__(self, reason: str, row: RightsRequest, package: AccessPackage) -> None:
        super().__init__(GONE)
        self.reason, self.row, self.package = reason, row, package


def announce_ready(
    uow: UnitOfWork,
    package: AccessPackage,
    *,
    secret: bytes | None = None,
    public_url: str | None = None,
    actor: str = "worker",
) -> OutboxMessage | None:
    """Email the requester the download link, valid until the package expires; for a
    portability package with a receiving controller recorded, the link goes to that
    controller and the requester is told (``access.controller_transfer``).

    None when the requester is answered by post (no address, or they asked for post): the
    caseworker downloads the package from the console and sends it. ``secret`` defaults to
    the settings' (``link_secret``), ``public_url`` to the mail settings'.
    """
    if package.state != READY:
        raise PackageRefused(f"the package is {package.state}: only a ready one is sent")
    row = request_of(uow, package)
    destination = uow.session.get(PortabilityDestination, row.id)
    if package.kind == PORTABILITY and destination is not None:
        # POR-01, Art 20(2): the subject asked for it to go to another controller.
        return send_to_destination(uow, package, secret=secret, public_url=public_url, actor=actor)
    if requester_of(uow, row).reply_by == "post":
        return None
    token, expires = package_link_token(secret or link_secret(), row, package)
    url = package_address(public_url or get_mail_settings().public_url, token)
    context = {"download_url": url, "expires": uk_moment(expires)}
    kind = PORTABLE_READY_KIND if package.kind == PORTABILITY else READY_KIND
    return message_requester(uow, row, kind, context, actor=actor)


def closed_because(uow: UnitOfWork, package: AccessPackage) -> str | None:
    """Why the package cannot be downloaded now (a stable code), or None."""
    if package.state == DELETED:
        return "package_deleted"
    if package.state != READY:
        return "package_not_ready"
    if package.expires_at is None or uow.clock.now() >= package.expires_at:
        return "package_expired"
    return None


def linked_package(
    uow: UnitOfWork, secret: bytes, token: str
) -> tuple[RightsRequest, AccessPackage]:
    """The request and package a download link names, ready to download.

    A forged, tampered, other-purpose or expired link raises LinkInvalid/LinkExpired (no
    package is identified); a genuine link whose package is not ready, deleted or past its
    date raises ``PackageClosed``, which names the package for the audit entry.
    """
    link = read_package_link(secret, uow.clock, token)
    ref, kind = split_ref(link.ref)
    if kind not in KINDS:
        raise LinkInvalid(GONE)
    try:
        row = get_request(uow, link.organisation, ref)
    except RequestNotFound:
        raise LinkInvalid(GONE) from None
    package = package_of(uow, row, kind)
    if package is None:
        raise LinkInvalid(GONE)
    reason = closed_because(uow, package)
    if reason is not None:
        raise PackageClosed(reason, row, package)
    return row, package


def refuse_download(uow: UnitOfWork, package: AccessPackage, why: str, *, actor: str) -> None:
    """Audit a refused download of an identified package (the edge commits it alone)."""
    audit_package(uow, package, actions.PACKAGE_DOWNLOAD_REFUSED, actor=actor, why=why)


class PackageStream:
    """The decrypted ZIP, a sealed chunk at a time (for a streaming response or a file).

    The first chunk is read when the stream is made: a missing, tampered or shredded file
    is refused before anything is counted or committed, not half-way through a response.
    """

    def __init__(self, reader: SealedReader, size: int | None) -> None:
        self.size = size
        self._reader = reader
        self._first = reader.read(CHUNK)

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            first, self._first = self._first, b""
            yield first
        while chunk := self._reader.read(CHUNK):
            yield chunk


def filename(row: RightsRequest, package: AccessPackage | None = None) -> str:
    """What the download is saved as: ``<organisation>-<ref>-data.zip`` (``-portable.zip``
    for a portability package)."""
    tail = "portable" if package is not None and package.kind == PORTABILITY else "data"
    return f"{row.organisation}-{row.ref}-{tail}.zip"


def _stream(uow: UnitOfWork, row: RightsRequest, package: AccessPackage) -> PackageStream:
    try:
        return PackageStream(read_file(uow, package, PACKAGE_FILE), package.size)
    except (FileNotFoundError, DecryptionFailed, SubjectShredded):
        raise PackageClosed("package_unreadable", row, package) from None


def download_package(uow: UnitOfWork, package: AccessPackage, *, actor: str) -> PackageStream:
    """The requester's download (after their code): counted and audited."""
    row = request_of(uow, package)
    reason = closed_because(uow, package)
    if reason is not None:
        raise PackageClosed(reason, row, package)
    stream = _stream(uow, row, package)
    # Counted in the database, so downloads at once are all counted.
    uow.session.execute(
        update(AccessPackage)
        .where(AccessPackage.id == package.id)
        .values(downloads=AccessPackage.downloads + 1)
        .execution_options(synchronize_session=False)
    )
    uow.session.expire(package, ["downloads"])
    audit_package(
        uow,
        package,
        actions.PACKAGE_DOWNLOADED,
        actor=actor,
        row=row,
        by="requester",
        size=stream.size,
    )
    return stream


def open_package(uow: UnitOfWork, package: AccessPackage, *, actor: str) -> PackageStream:
    """A caseworker's download of a ready package (a requester answered by post): audited
    as a staff download; the requester's download count is left alone."""
    row = request_of(uow, package)
    reason = closed_because(uow, package)
    if reason is not None:
        raise PackageRefused(f"request {row.ref}: the package cannot be downloaded ({reason})")
    try:
        stream = _stream(uow, row, package)
    except PackageClosed:
        raise PackageRefused(
            f"request {row.ref}: the package's file cannot be read (missing, or its key shredded)"
        ) from None
    audit_package(
        uow, package, actions.PACKAGE_DOWNLOADED, actor=actor, row=row, by="staff", size=stream.size
    )
    return stream
