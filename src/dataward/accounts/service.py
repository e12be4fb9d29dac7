"""Users: create, disable, reset, sign in with a password and TOTP. Never commits.

The audit chain and logs name a user by ``ref`` only: a username may be an email address.
Signing in returns an outcome rather than raising, so the edge can commit the failure
count and the audit entry of a refused attempt before it answers.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from dataward.accounts.audit_actions import (
    AUTH_LOGIN_REFUSED,
    AUTH_PASSWORD_ACCEPTED,
    AUTH_TOTP_ACCEPTED,
    USER_CREATED,
    USER_DISABLED,
    USER_ENABLED,
    USER_PASSWORD_RESET,
    USER_TOTP_ENROLLED,
    USER_TOTP_SET,
)
from dataward.accounts.errors import (
    InputRefused,
    UsernameTaken,
    UserNotFound,
)
from dataward.accounts.models import User, WebSession
from dataward.accounts.passwords import Passwords, generate_password
from dataward.accounts.permissions import Role
from dataward.accounts.totp_secrets import no_totp_key, open_totp, seal_totp, totp_sealer_or_none
from dataward.audit.service import record
from dataward.config import Settings
from dataward.crypto.sealed_text import TextSealer
from dataward.uow import UnitOfWork

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,79}$")
_TOTP_SECRET = re.compile(r"^[A-Z2-7]{32}$")
_TOTP_CODE = re.compile(r"^[0-9]{6}$")
TOTP_PERIOD = 30


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout: timedelta
    totp_roles: frozenset[str]
    # Seals TOTP secrets at rest; None when DATAWARD_SECRET_KEY is unset (TOTP then refused).
    totp_sealer: TextSealer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            settings.login_max_failures,
            timedelta(minutes=settings.login_lockout_minutes),
            frozenset(settings.totp_required_roles),
            totp_sealer_or_none(settings),
        )


@dataclass(frozen=True)
class LoginOutcome:
    """``stage`` is where signing in goes next: "full", "totp" or "enrol"; None if refused."""

    user: User | None
    stage: str | None
    reason: str

    @property
    def accepted(self) -> bool:
        return self.stage is not None


def normalise_username(value: str) -> str:
    username = value.strip().lower()
    if not _USERNAME.match(username):
        raise InputRefused(
            "a username has 2 to 80 characters: letters, digits and . _ @ + - "
            "(an email address works)"
        )
    return username


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InputRefused(f"the role must be one of {roles}") from None


def user_actor(user: User) -> str:
    return f"user:{user.ref}"


def count_users(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(User)) or 0)


def list_users(uow: UnitOfWork) -> list[User]:
    return list(uow.session.scalars(select(User).order_by(User.username)))


def find_user(uow: UnitOfWork, username: str) -> User | None:
    return uow.session.scalars(select(User).where(User.username == username)).first()


def get_user(uow: UnitOfWork, username: str) -> User:
    user = find_user(uow, normalise_username(username))
    if user is None:
        raise UserNotFound("there is no user with this username")
    return user


def get_user_by_ref(uow: UnitOfWork, ref: str) -> User:
    user = uow.session.scalars(select(User).where(User.ref == ref)).first()
    if user is None:
        raise UserNotFound(f"there is no user {ref[:40]!r}")
    return user


def create_user(
    uow: UnitOfWork,
    passwords: Passwords,
    username: str,
    role: str,
    *,
    password: str | None = None,
    actor: str,
) -> tuple[User, str]:
    """Create a user; returns it with its password (generated unless given), shown once."""
    name = normalise_username(username)
    checked_role = parse_role(role)
    chosen = password if password is not None else generate_password()
    password_hash = passwords.hash(chosen)
    if find_user(uow, name) is not None:
        raise UsernameTaken("this username is already in use")
    now = uow.clock.now()
    user = User(
        id=str(uuid.uuid4()),
        ref="u_" + secrets.token_hex(6),
        username=name,
        role=checked_role.value,
        password_hash=password_hash,
        failed_logins=0,
        created_at=now,
        password_changed_at=now,
    )
    uow.session.add(user)
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=USER_CREATED,
        entity_type="user",
        entity_id=user.ref,
        details={"role": user.role},
    )
    return user, chosen


def ensure_first_admin(uow: UnitOfWork, passwords: Passwords) -> tuple[User, str] | None:
    """On a first start with no user at all, create ``admin``; None when users exist."""
    if count_users(uow):
        return None
    return create_user(uow, passwords, "admin", Role.ADMIN.value, actor="system:first-start")


def set_disabled(uow: UnitOfWork, user: User, disabled: bool, *, actor: str) -> None:
    """Disable (ending every session) or enable a user. Tokens stop working while disabled."""
    if disabled == (user.disabled_at is not None):
        return
    user.disabled_at = uow.clock.now() if disabled else None
    if disabled:
        end_user_sessions(uow, user)
    record(
        uow,
        actor=actor,
        action=USER_DISABLED if disabled else USER_ENABLED,
        entity_type="user",
        entity_id=user.ref,
    )


def reset_password(
    uow: UnitOfWork,
    passwords: Passwords,
    user: User,
    *,
    password: str | None = None,
    clear_totp: bool = False,
    actor: str,
) -> str:
    """New password (generated unless given), lockout lifted, every session ended."""
    chosen = password if password is not None else generate_password()
    user.password_hash = passwords.hash(chosen)
    user.password_changed_at = uow.clock.now()
    user.failed_logins = 0
    user.locked_until = None
    if clear_totp:
        user.totp_secret = None
        user.totp_last_step = None
    end_user_sessions(uow, user)
    record(
        uow,
        actor=actor,
        action=USER_PASSWORD_RESET,
        entity_type="user",
        entity_id=user.ref,
        details={"totp_cleared": clear_totp},
    )
    return chosen


def end_user_sessions(uow: UnitOfWork, user: User) -> int:
    sessions = list(uow.session.scalars(select(WebSession).where(WebSession.user_id == user.id)))
    for row in sessions:
        uow.session.delete(row)
    return len(sessions)


def check_password(
    uow: UnitOfWork, passwords: Passwords, policy: LoginPolicy, username: str, password: str
) -> LoginOutcome:
    """First step of signing in. Every refusal is audited; none says which part was wrong."""
    now = uow.clock.now()
    user = find_user(uow, username.strip().lower())
    if user is not None and user.locked_until is not None and user.locked_until > now:
        passwords.verify(None, password)  # same time as any other attempt
        _refused(uow, user, "locked")
        return LoginOutcome(user, None, "locked")
    if not passwords.verify(user.password_hash if user else None, password):
        if user is None:
            _refused(uow, None, "bad_credentials")
            return LoginOutcome(None, None, "bad_credentials")
        return _count_failure(uow, user, policy, "bad_credentials")
    assert user is not None
    if user.disabled_at is not None:
        _refused(uow, user, "disabled")
        return LoginOutcome(user, None, "disabled")
    user.failed_logins = 0
    user.locked_until = None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    if user.totp_secret:
        stage = "totp"
    elif user.role in policy.totp_roles:
        stage = "enrol"
    else:
        stage = "full"
    record(
        uow,
        actor=user_actor(user),
        action=AUTH_PASSWORD_ACCEPTED,
        entity_type="user",
        entity_id=user.ref,
        details={"next": stage},
    )
    return LoginOutcome(user, stage, "ok")


def _count_failure(uow: UnitOfWork, user: User, policy: LoginPolicy, reason: str) -> LoginOutcome:
    user.failed_logins += 1
    locked = user.failed_logins >= policy.max_failures
    if locked:
        user.locked_until = uow.clock.now() + policy.lockout
        user.failed_logins = 0
    _refused(uow, user, reason, locked_now=locked)
    return LoginOutcome(user, None, reason)


def _refused(uow: UnitOfWork, user: User | None, reason: str, *, locked_now: bool = False) -> None:
    record(
        uow,
        actor="anonymous",
        action=AUTH_LOGIN_REFUSED,
        entity_type="user",
        entity_id=user.ref if user else "unknown",
        details={"reason": reason, "locked_now": locked_now},
    )


def _sealer_of(policy: LoginPolicy) -> TextSealer:
    if policy.totp_sealer is None:
        raise no_totp_key()
    return policy.totp_sealer


def new_totp_secret() -> str:
    return pyotp.random_base32(length=32)


def totp_uri(secret: str, username: str, issuer: str = "dataward") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def _matching_step(uow: UnitOfWork, secret: str, code: str, after: int | None) -> int | None:
    """The time step (within one step of now) whose code is ``code``, not used before."""
    if not _TOTP_CODE.match(code.strip()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_PERIOD)
    now_step = int(uow.clock.now().timestamp()) // TOTP_PERIOD
    for step in (now_step - 1, now_step, now_step + 1):
        if after is not None and step <= after:
            continue  # a code already used, or older: refused, so a seen code cannot replay
        if hmac.compare_digest(totp.at(step * TOTP_PERIOD), code.strip()):
            return step
    return None


def check_totp(uow: UnitOfWork, user: User, policy: LoginPolicy, code: str) -> LoginOutcome:
    """Second step: a code from the enrolled authenticator. Failures count to the lockout."""
    if user.locked_until is not None and user.locked_until > uow.clock.now():
        _refused(uow, user, "locked")
        return LoginOutcome(user, None, "locked")
    secret = open_totp(uow, user, _sealer_of(policy), actor=user_actor(user))
    step = _matching_step(uow, secret, code, user.totp_last_step)
    if step is None:
        return _count_failure(uow, user, policy, "bad_totp")
    user.totp_last_step = step
    user.failed_logins = 0
    record(
        uow,
        actor=user_actor(user),
        action=AUTH_TOTP_ACCEPTED,
        entity_type="user",
        entity_id=user.ref,
    )
    return LoginOutcome(user, "full", "ok")


def enrol_totp(
    uow: UnitOfWork, user: User, policy: LoginPolicy, secret: str, code: str
) -> LoginOutcome:
    """Keep ``secret`` (sealed) as the user's TOTP secret once a code from it proves the set-up."""
    if not _TOTP_SECRET.match(secret):
        raise InputRefused("the set-up key is not valid; start the set-up again")
    sealer = _sealer_of(policy)  # before the code: a set-up that cannot be kept is refused
    step = _matching_step(uow, secret, code, None)
    if step is None:
        return _count_failure(uow, user, policy, "bad_totp")
    user.totp_secret = seal_totp(sealer, user, secret)
    user.totp_last_step = step
    user.failed_logins = 0
    record(
        uow,
        actor=user_actor(user),
        action=USER_TOTP_ENROLLED,
        entity_type="user",
        entity_id=user.ref,
    )
    return LoginOutcome(user, "full", "ok")


def set_totp_secret(uow: UnitOfWork, user: User, sealer: TextSealer, *, actor: str) -> str:
    """Give ``user`` a new TOTP secret at once (the CLI's ``--totp``); returns it, shown once."""
    secret = new_totp_secret()
    user.totp_secret = seal_totp(sealer, user, secret)
    user.totp_last_step = None
    record(uow, actor=actor, action=USER_TOTP_SET, entity_type="user", entity_id=user.ref)
    return secret


def record_refusal(
    uow: UnitOfWork,
    *,
    actor: str,
    action: str,
    entity_type: str = "request",
    entity_id: str = "-",
    details: dict[str, str | int | bool | None] | None = None,
) -> None:
    """Audit a refused request (CSRF, access, malformed input): nothing else is written."""
    record(
        uow,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=details,
    )
