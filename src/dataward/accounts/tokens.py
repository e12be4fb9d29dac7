"""API tokens: shown once, stored as a SHA-256 digest, with scopes and an expiry.

Every use goes to the audit chain, in two ways. A refusal: a check returns an outcome with
the error to raise, and the edge records what ``token_refusal`` says through its refusal
ledger (``dataward.accounts.refusals``: the first of a kind from a client in a window at
once, before answering, the rest as a count). An acceptance writes nothing here: the edge
counts it in a ``TokenUseLedger`` (``dataward.accounts.token_uses``), which writes one
``api_token.used`` event per token and route per window and sets ``last_used_at``, so
accepted calls do not queue on the chain's one lock.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

from sqlalchemy import bindparam, select

from dataward.accounts.audit_actions import API_TOKEN_CREATED, API_TOKEN_REFUSED, API_TOKEN_REVOKED
from dataward.accounts.errors import (
    InputRefused,
    ScopeMissing,
    TokenExpired,
    TokenInvalid,
    TokenNotFound,
)
from dataward.accounts.models import ApiToken, User
from dataward.accounts.permissions import TOKEN_SCOPES, Permission, permissions_of
from dataward.accounts.sessions import digest
from dataward.audit.service import record
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork

TOKEN_PREFIX = "dw_"  # noqa: S105 (a marker, not a secret)
_NAME = re.compile(r"^[\w .,:/()-]{1,80}$")


@dataclass(frozen=True)
class TokenCheck:
    token: ApiToken | None
    user: User | None
    error: DatawardError | None
    reason: str | None = None  # why it was refused, for the audit event


class TokenRefusal(TypedDict):
    action: str
    actor: str
    entity_type: str
    entity_id: str
    details: dict[str, str | int | bool | None]


def parse_scopes(values: Sequence[str]) -> list[str]:
    known = {s.value for s in TOKEN_SCOPES}
    chosen = sorted({v.strip() for v in values if v.strip()})
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise InputRefused(
            f"unknown scope {unknown[0][:40]!r}; scopes are {', '.join(sorted(known))}"
        )
    if not chosen:
        raise InputRefused("choose at least one scope")
    return chosen


def create_token(
    uow: UnitOfWork,
    user: User,
    name: str,
    scopes: Sequence[str],
    days: int,
    *,
    max_days: int,
    actor: str,
) -> tuple[str, ApiToken]:
    """A new token for ``user``; returns the secret (shown once) and the row."""
    label = name.strip()
    if not _NAME.match(label):
        raise InputRefused("a token name has 1 to 80 letters, digits, spaces or . , : / ( ) -")
    chosen = parse_scopes(scopes)
    beyond = [s for s in chosen if Permission(s) not in permissions_of(user.role)]
    if beyond:
        raise InputRefused(f"the owner's role ({user.role}) does not allow {beyond[0]}")
    if not 1 <= days <= max_days:
        raise InputRefused(f"a token lasts 1 to {max_days} days")
    if user.disabled_at is not None:
        raise InputRefused("a disabled user cannot own a token")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = uow.clock.now()
    token = ApiToken(
        id=str(uuid.uuid4()),
        ref="t_" + secrets.token_hex(6),
        token_hash=digest(secret),
        prefix=secret[:10],
        name=label,
        user_id=user.id,
        scopes=chosen,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    uow.session.add(token)
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=API_TOKEN_CREATED,
        entity_type="api_token",
        entity_id=token.ref,
        details={"owner": user.ref, "scopes": " ".join(chosen), "days": days},
    )
    return secret, token


def list_tokens(uow: UnitOfWork) -> list[tuple[ApiToken, User]]:
    rows = uow.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    return [(t, u) for t, u in rows]


def revoke_token(uow: UnitOfWork, ref: str, *, actor: str) -> ApiToken:
    token = uow.session.scalars(select(ApiToken).where(ApiToken.ref == ref)).first()
    if token is None:
        raise TokenNotFound(f"there is no API token {ref[:40]!r}")
    if token.revoked_at is None:
        token.revoked_at = uow.clock.now()
        record(uow, actor=actor, action=API_TOKEN_REVOKED, entity_type="api_token", entity_id=ref)
    return token


# Built once: every API call runs it, and a statement object that is reused keeps its
# compiled form and cache key instead of building them again per call.
_BY_HASH = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def check_token(uow: UnitOfWork, secret: str, scope: Permission, route: str) -> TokenCheck:
    """Accept ``secret`` for a route needing ``scope``, or say why not; only reads.

    One query, nothing written: the edge runs it in a read-only unit of work, counts an
    accepted use (see the module's docstring) and records a refusal (``token_refusal``) in
    a transaction of its own.
    """
    found = None
    if secret.startswith(TOKEN_PREFIX) and len(secret) <= 100:
        found = uow.session.execute(_BY_HASH, {"token_hash": digest(secret)}).first()
    if found is None:
        return TokenCheck(None, None, TokenInvalid("the API token is not known"), "unknown")
    token, user = found
    now = uow.clock.now()
    if token.revoked_at is not None or now >= token.expires_at:
        error: DatawardError = TokenExpired("the API token has expired or was revoked")
        return TokenCheck(token, user, error, "expired")
    if user.disabled_at is not None:
        error = TokenInvalid("the API token's owner is disabled")
        return TokenCheck(token, user, error, "owner_disabled")
    # The owner's role bounds the token: a token outlives no demotion.
    if scope.value not in token.scopes or scope not in permissions_of(user.role):
        error = ScopeMissing(f"this request needs an API token with scope {scope}")
        return TokenCheck(token, user, error, "scope")
    return TokenCheck(token, user, None)


def token_refusal(token: ApiToken | None, route: str, reason: str | None) -> TokenRefusal:
    """What the audit event of a refused token says (the edge rolls these up per client)."""
    ref = token.ref if token else "unknown"
    return TokenRefusal(
        action=API_TOKEN_REFUSED,
        actor=f"token:{ref}",
        entity_type="api_token",
        entity_id=ref,
        details={"route": route, "reason": reason},
    )
