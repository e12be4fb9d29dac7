"""Writing signed heads (``dataward audit head``, the workers' sweep) and checking them.

A head signs the newest row of the chain, is recorded in the chain (``audit.head_signed``)
in the same transaction, and goes to every destination the settings name: a file, a URL,
an email to the DPO. Each destination is delivered on its own (a job each when the workers
write it), so one that fails is retried without holding back or losing the others.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataward.audit.audit_actions import AUDIT_HEAD_SIGNED
from dataward.audit.chain import canonical_time
from dataward.audit.errors import (
    HeadDeliveryFailed,
    HeadDeliveryRefused,
    HeadKeyInvalid,
    HeadSettingsInvalid,
)
from dataward.audit.heads import HeadKey, HeadLine, HeadPublicKey, SignedHead
from dataward.audit.models import AuditEvent
from dataward.audit.service import Anchor, lock_chain, record
from dataward.config import Settings
from dataward.errors import DatawardError
from dataward.jobs.service import enqueue
from dataward.subjects.identities import normalise_email
from dataward.uow import UnitOfWork

HEAD_DELIVER_JOB = "audit.head_deliver"  # to the file or the URL
HEAD_EMAIL_JOB = "audit.head_email"  # through the outbox, which needs the key store
HEAD_MESSAGE = "audit_head"  # the outbox message type
# Backoff is capped at an hour, so 24 tries keep a head for a destination down for a day.
HEAD_MAX_ATTEMPTS = 24
URL_TIMEOUT_SECONDS = 10.0
FILE, URL, EMAIL = "file", "url", "email"


@dataclass(frozen=True)
class HeadSettings:
    """The signed-head settings, checked: a malformed key or URL stops a start, clearly."""

    key: HeadKey | None
    file: Path | None
    url: str | None
    email: str | None
    minutes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> HeadSettings:
        key = settings.audit_head_key
        url = settings.audit_head_url or None
        if url is not None and not url.startswith(("http://", "https://")):
            raise HeadSettingsInvalid("DATAWARD_AUDIT_HEAD_URL must be an http:// or https:// URL")
        email = (settings.audit_head_email or "").strip() or None
        if email is not None:
            try:
                email = normalise_email(email)
            except DatawardError:
                raise HeadSettingsInvalid(
                    "DATAWARD_AUDIT_HEAD_EMAIL is not an email address"
                ) from None
        return cls(
            key=HeadKey.parse(key.get_secret_value()) if key is not None else None,
            file=settings.audit_head_file,
            url=url,
            email=email,
            minutes=settings.audit_head_minutes,
        )

    @property
    def destinations(self) -> tuple[str, ...]:
        named = ((FILE, self.file), (URL, self.url), (EMAIL, self.email))
        return tuple(kind for kind, where in named if where)

    @property
    def active(self) -> bool:
        """The workers write heads only with a key and somewhere to put them."""
        return self.key is not None and bool(self.destinations)


def public_keys(given: Sequence[str], settings: Settings) -> list[HeadPublicKey]:
    """The keys heads are checked with: those given, else the public key setting, else the
    one derived from the signing key. None at all is a configuration error."""
    if given:
        return [HeadPublicKey.parse(text, "--public-key") for text in given]
    if settings.audit_head_public_key:
        return [
            HeadPublicKey.parse(settings.audit_head_public_key, "DATAWARD_AUDIT_HEAD_PUBLIC_KEY")
        ]
    if settings.audit_head_key is not None:
        return [HeadKey.parse(settings.audit_head_key.get_secret_value()).public]
    raise HeadKeyInvalid(
        "no key to check heads with: give --public-key, or set DATAWARD_AUDIT_HEAD_PUBLIC_KEY"
    )


def sign_head(
    uow: UnitOfWork, key: HeadKey, *, actor: str, destinations: Sequence[str]
) -> SignedHead | None:
    """Sign the newest row and record that in the chain; None when the chain is empty.

    The head is of the row before its own ``audit.head_signed`` event: a head cannot sign
    a row whose hash depends on the head.
    """
    session = uow.session
    lock_chain(session)
    newest = session.execute(
        select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if newest is None:
        return None
    head = key.sign(newest.seq, newest.row_hash, uow.clock.now())
    record(
        uow,
        actor=actor,
        action=AUDIT_HEAD_SIGNED,
        entity_type="audit_chain",
        entity_id=str(head.seq),
        # Kinds only: a URL or an address is the settings' business, not the chain's.
        details={
            "seq": head.seq,
            "key_id": head.key_id,
            "destinations": ",".join(destinations) or "none",
        },
    )
    return head


def head_due(session: Session, now: datetime, minutes: int) -> bool:
    """A head is due when something happened since the last one and it is old enough."""
    newest = session.execute(
        select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar()
    if newest is None or newest == AUDIT_HEAD_SIGNED:
        return False  # an empty chain, or nothing new since the last head
    last = session.execute(
        select(AuditEvent.occurred_at)
        .where(AuditEvent.action == AUDIT_HEAD_SIGNED)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar()
    return last is None or canonical_time(last) + timedelta(minutes=minutes) <= canonical_time(now)


def write_due_head(uow: UnitOfWork, config: HeadSettings) -> SignedHead | None:
    """The workers' sweep: sign a head if one is due and queue a delivery per destination.

    Checked once without the chain's lock (most calls end there) and again under it, so two
    workers never both write the head that was due.
    """
    if not config.active or config.key is None:
        return None
    now = uow.clock.now()
    if not head_due(uow.session, now, config.minutes):
        return None
    lock_chain(uow.session)
    if not head_due(uow.session, now, config.minutes):
        return None
    head = sign_head(uow, config.key, actor="worker", destinations=config.destinations)
    if head is not None:
        queue_deliveries(uow, head, config.destinations)
    return head


def queue_deliveries(uow: UnitOfWork, head: SignedHead, kinds: Sequence[str]) -> None:
    for kind in kinds:
        enqueue(
            uow,
            HEAD_EMAIL_JOB if kind == EMAIL else HEAD_DELIVER_JOB,
            {"destination": kind, "head": head.as_dict()},
            max_attempts=HEAD_MAX_ATTEMPTS,
        )


def deliver(head: SignedHead, kind: str, config: HeadSettings) -> None:
    """Write ``head`` to the file or URL destination now (email goes through the outbox)."""
    if kind == FILE and config.file is not None:
        append_head(config.file, head)
    elif kind == URL and config.url is not None:
        post_head(config.url, head)
    else:
        raise HeadDeliveryRefused(f"the {kind} destination of signed heads is no longer set")


def append_head(path: Path, head: SignedHead) -> None:
    """One line, appended and synced; the file is made readable by its owner only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (head.line() + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise HeadDeliveryFailed(
            f"the heads file cannot be written ({type(exc).__name__})"
        ) from None


def post_head(url: str, head: SignedHead) -> None:
    """POST the head as JSON; anything but a 2xx answer is tried again later."""
    try:
        response = httpx.post(
            url,
            content=head.line(),
            headers={"Content-Type": "application/json"},
            timeout=URL_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise HeadDeliveryFailed(
            f"the heads URL could not be reached ({type(exc).__name__})"
        ) from None
    if not response.is_success:
        raise HeadDeliveryFailed(f"the heads URL answered {response.status_code}")


def delivery_of(payload: dict[str, Any]) -> tuple[str, SignedHead]:
    """A queued delivery's destination kind and head; a malformed one is parked."""
    try:
        return str(payload["destination"]), SignedHead.from_dict(payload.get("head"))
    except (KeyError, ValueError) as exc:
        raise HeadDeliveryRefused(f"the queued head cannot be read ({exc})") from None


@dataclass(frozen=True)
class HeadsCheck:
    problems: list[str]
    anchors: list[Anchor]
    """Heads whose signature holds, as anchors for ``verify``."""


def check_heads(
    session: Session, lines: Sequence[HeadLine], keys: Sequence[HeadPublicKey]
) -> HeadsCheck:
    """Each line must be a head one of ``keys`` signed, naming a row still in the chain with
    the hash it signed. Every problem is named by FILE:LINE."""
    problems: list[str] = []
    signed: list[tuple[str, SignedHead]] = []
    for line in lines:
        head = line.head
        if head is None:
            problems.append(f"{line.where}: not a signed head: {line.problem}")
        elif not any(key.signed(head) for key in keys):
            known = any(key.key_id == head.key_id for key in keys)
            why = (
                "forged or altered" if known else f"signed by another key ({head.key_id}) or forged"
            )
            problems.append(f"{line.where}: signature does not match: the head was {why}")
        else:
            signed.append((line.where, head))
    stored = _row_hashes(session, sorted({head.seq for _, head in signed}))
    for where, head in signed:
        row_hash = stored.get(head.seq)
        if row_hash is None:
            problems.append(
                f"{where}: the chain has no row {head.seq}, which this head signed: "
                "rows were cut from the chain (truncated) or deleted"
            )
        elif row_hash != head.row_hash:
            problems.append(
                f"{where}: row {head.seq} no longer has the hash this head signed on "
                f"{head.signed_at:%Y-%m-%d %H:%M} UTC: the history up to it was rewritten"
            )
    return HeadsCheck(problems, [head.anchor for _, head in signed])


def _row_hashes(session: Session, seqs: Sequence[int], chunk: int = 500) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(seqs), chunk):
        part = list(seqs[start : start + chunk])
        rows = session.execute(
            select(AuditEvent.seq, AuditEvent.row_hash).where(AuditEvent.seq.in_(part))
        )
        found.update({int(seq): str(row_hash) for seq, row_hash in rows})
    return found


def reason_of(error: Exception) -> str:
    """A failed delivery in words fit for a terminal or a log: never a URL or address."""
    return error.message if isinstance(error, DatawardError) else type(error).__name__
