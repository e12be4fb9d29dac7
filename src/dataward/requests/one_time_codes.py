"""Six-digit codes emailed to a requester: issued, throttled, tried, used once.

Two things ask a requester for one: proving they read a mailbox (``requests.verification``,
table ``request_codes``) and opening an access package's download (``access.download_codes``,
table ``access_download_codes``). The rules are the same for both, so they live here once:
at most three codes an hour per owner (a request or a package), only the latest counts, it
works once, until it expires, and dies after five wrong tries. A code is kept only as an
HMAC under the owner's data key: the key lives in the key store, not beside the digest, so
the table alone cannot be searched through the million codes, and shredding the key kills
it. Each caller audits in its own words. Never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from dataward.crypto.keyring import data_key
from dataward.errors import DatawardError
from dataward.requests.errors import (
    CodeDead,
    CodeExpired,
    CodeThrottled,
    CodeUsed,
    CodeWrong,
    NoCodeSent,
)
from dataward.uow import UnitOfWork

CODES_PER_HOUR = 3
MAX_TRIES = 5


class CodeRow(Protocol):
    """A row of a codes table (``RequestCode``, ``DownloadCode``)."""

    id: str
    seq: int
    digest: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    failures: int


@dataclass(frozen=True)
class CodeOwner:
    """Whose codes: the table, its owner column and id, the data key and the digest label."""

    table: type[Any]
    owner_column: InstrumentedAttribute[str]
    owner_id: str
    key_id: str
    label: str  # "request-code", "package-code": a code of one never matches the other
    what: str  # "request", "package": in the messages

    def digest(self, uow: UnitOfWork, code_id: str, code: str) -> str:
        message = f"{self.label}:{code_id}:{code}".encode()
        return hmac.new(data_key(uow, self.key_id), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Issued:
    """A new code's row (added to the session) and the code itself, to email and forget."""

    entry: Any
    code: str


@dataclass(frozen=True)
class Tried:
    """A typed code: accepted (and used up), or wrong (counted) with what to say."""

    accepted: bool
    failures: int = 0
    tries_left: int = 0
    refusal: DatawardError | None = None


def issue_code(uow: UnitOfWork, owner: CodeOwner, *, minutes: int) -> Issued:
    """A new code for the owner, unless three were issued in the last hour."""
    now = uow.clock.now()
    table, column = owner.table, owner.owner_column
    recent = uow.session.scalar(
        select(func.count())
        .select_from(table)
        .where(column == owner.owner_id, table.created_at > now - timedelta(hours=1))
    )
    if (recent or 0) >= CODES_PER_HOUR:
        raise CodeThrottled(
            f"{CODES_PER_HOUR} codes were sent for this {owner.what} in the last hour: "
            "use the latest one, or wait an hour"
        )
    earlier = uow.session.scalar(
        select(func.count()).select_from(table).where(column == owner.owner_id)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    entry = table(
        id=str(uuid.uuid4()),
        seq=(earlier or 0) + 1,
        digest="",
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
        failures=0,
    )
    setattr(entry, column.key, owner.owner_id)
    entry.digest = owner.digest(uow, entry.id, code)
    uow.session.add(entry)
    return Issued(entry, code)


def try_code(uow: UnitOfWork, owner: CodeOwner, code: str) -> Tried:
    """Check the latest code: single use, expiring, dead after five wrong tries.

    None sent, used, expired or dead raises and changes nothing. A wrong code is counted
    in the database (failures + 1, so tries sent at once are all counted) and returned with
    its refusal, so the edge commits the count and still says no. A right one is used up
    by a conditional UPDATE: of two checks of the same code at once, only one uses it.
    """
    entry = _latest(uow, owner)
    if entry.used_at is not None:
        raise CodeUsed("this code was used already: ask for a new one")
    if entry.failures >= MAX_TRIES:
        raise dead()
    now = uow.clock.now()
    if now >= entry.expires_at:
        raise CodeExpired("this code has expired: ask for a new one")
    typed = code.strip()
    if not (len(typed) == 6 and typed.isdigit()) or not hmac.compare_digest(
        owner.digest(uow, entry.id, typed), entry.digest
    ):
        failures = _claim(uow, owner, entry, {"failures": owner.table.failures + 1})
        if failures is None:
            raise dead()
        left = MAX_TRIES - failures
        if left == 0:
            return Tried(False, failures, 0, dead())
        return Tried(False, failures, left, CodeWrong(f"that is not the code; {left} tries left"))
    if _claim(uow, owner, entry, {"used_at": now}) is None:
        raise CodeUsed("this code was used already: ask for a new one")
    return Tried(True)


def dead() -> CodeDead:
    return CodeDead(f"{MAX_TRIES} wrong tries: this code no longer works; ask for a new one")


def _latest(uow: UnitOfWork, owner: CodeOwner) -> CodeRow:
    latest: CodeRow | None = uow.session.scalars(
        select(owner.table)
        .where(owner.owner_column == owner.owner_id)
        .order_by(owner.table.seq.desc())
        .limit(1)
    ).first()
    if latest is None:
        raise NoCodeSent(f"no code was sent for this {owner.what}: ask for one first")
    return latest


def _claim(uow: UnitOfWork, owner: CodeOwner, entry: CodeRow, values: dict[str, Any]) -> int | None:
    """Apply ``values`` to a code still unused and alive; its failures after, or None."""
    table = owner.table
    done = uow.session.execute(
        update(table)
        .where(table.id == entry.id, table.used_at.is_(None), table.failures < MAX_TRIES)
        .values(**values)
        .returning(table.failures)
        .execution_options(synchronize_session=False)
    ).first()
    uow.session.expire(entry)
    return None if done is None else int(done[0])
