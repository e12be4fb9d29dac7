"""Server-side sessions, their CSRF tokens and flash messages. Never commits.

The cookie holds a random token; the table holds its SHA-256, so reading the table does not
let anyone sign in. A session ends when idle too long or past its maximum age, whichever
comes first; signing in always starts a new one (no fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, update

from dataward.accounts.audit_actions import (
    AUTH_SESSION_ENDED,
    AUTH_SESSION_EXPIRED,
    AUTH_SESSION_STARTED,
)
from dataward.accounts.errors import CsrfRefused, LoginRequired, SessionExpired
from dataward.accounts.models import User, WebSession
from dataward.audit.service import record
from dataward.config import Settings
from dataward.uow import UnitOfWork

# Writing last_seen on every request would turn each page view into a write.
_TOUCH_EVERY = timedelta(minutes=1)
MAX_FLASHES = 5


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    max_age: timedelta
    csrf_max_age: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        max_age = timedelta(hours=settings.session_max_hours)
        return cls(timedelta(minutes=settings.session_idle_minutes), max_age, max_age)


@dataclass
class ActiveSession:
    row: WebSession
    user: User


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    uow: UnitOfWork, user: User, stage: str, policy: SessionPolicy
) -> tuple[str, WebSession]:
    """A new session; returns the cookie value (never stored) and the row."""
    token = secrets.token_urlsafe(32)
    now = uow.clock.now()
    # A step of signing in still to do gets a few minutes, not a working day.
    lifetime = policy.max_age if stage == "full" else min(policy.max_age, timedelta(minutes=10))
    row = WebSession(
        id=digest(token),
        user_id=user.id,
        stage=stage,
        csrf_secret=secrets.token_hex(32),
        flashes=[],
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    uow.session.add(row)
    if stage == "full":
        record(
            uow,
            actor=f"user:{user.ref}",
            action=AUTH_SESSION_STARTED,
            entity_type="user",
            entity_id=user.ref,
        )
    return token, row


def load_session(uow: UnitOfWork, token: str, policy: SessionPolicy) -> ActiveSession:
    """The live session of ``token``; an ended one is deleted (and audited) and refused."""
    row = uow.session.get(WebSession, digest(token)) if 0 < len(token) <= 200 else None
    if row is None:
        raise LoginRequired("sign in to continue")
    user = uow.session.get(User, row.user_id)
    now = uow.clock.now()
    reason = None
    if user is None or user.disabled_at is not None:
        reason = "user_disabled"
    elif now >= row.expires_at:
        reason = "max_age"
    elif now - row.last_seen_at >= policy.idle:
        reason = "idle"
    if reason is not None:
        uow.session.delete(row)
        record(
            uow,
            actor=f"user:{user.ref}" if user else "anonymous",
            action=AUTH_SESSION_EXPIRED,
            entity_type="user",
            entity_id=user.ref if user else "unknown",
            details={"reason": reason},
        )
        raise SessionExpired("your session has ended; sign in again")
    assert user is not None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
    return ActiveSession(row, user)


def end_session(uow: UnitOfWork, active: ActiveSession, *, reason: str) -> None:
    uow.session.delete(active.row)
    record(
        uow,
        actor=f"user:{active.user.ref}",
        action=AUTH_SESSION_ENDED,
        entity_type="user",
        entity_id=active.user.ref,
        details={"reason": reason},
    )


def purge_expired(uow: UnitOfWork) -> int:
    """Delete sessions past their maximum age (housekeeping; nothing to audit)."""
    result = uow.session.execute(delete(WebSession).where(WebSession.expires_at <= uow.clock.now()))
    return int(getattr(result, "rowcount", 0) or 0)


def csrf_token(row: WebSession, issued: int) -> str:
    """A token for forms of this session: time issued (epoch seconds) and its HMAC."""
    mac = hmac.new(row.csrf_secret.encode(), f"csrf:{issued}".encode(), hashlib.sha256)
    return f"{issued}.{mac.hexdigest()}"


def check_csrf(row: WebSession, token: str, now: int, policy: SessionPolicy) -> None:
    """A token of another (or an ended) session, a forged or an old one is refused."""
    issued_text, _, _mac = token.partition(".")
    if not issued_text.isdigit() or len(token) > 100:
        raise CsrfRefused(_CSRF_MESSAGE)
    issued = int(issued_text)
    expected = csrf_token(row, issued)
    if not hmac.compare_digest(expected, token):
        raise CsrfRefused(_CSRF_MESSAGE)
    if now - issued > policy.csrf_max_age.total_seconds() or issued > now + 60:
        raise CsrfRefused(_CSRF_MESSAGE)


_CSRF_MESSAGE = (
    "the form came from an old or another page, so nothing was changed; "
    "open the page again and resubmit"
)


def push_flash(row: WebSession, kind: str, text: str) -> None:
    row.flashes = [*row.flashes, [kind, text[:500]]][-MAX_FLASHES:]


def pop_flashes(row: WebSession) -> list[tuple[str, str]]:
    flashes = [(kind, text) for kind, text in row.flashes]
    if flashes:
        row.flashes = []
    return flashes


def keep_flash(uow: UnitOfWork, session_id: str, kind: str, text: str) -> None:
    """A flash for the session's next page, saved with ``uow``; none if the session ended."""
    row = uow.session.get(WebSession, session_id)
    if row is not None:
        push_flash(row, kind, text)


def clear_flashes(uow: UnitOfWork, session_id: str) -> None:
    """Forget the flashes a session kept, once shown: one UPDATE, the row is not loaded."""
    uow.session.execute(update(WebSession).where(WebSession.id == session_id).values(flashes=[]))
