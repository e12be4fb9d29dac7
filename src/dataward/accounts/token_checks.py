"""Accepted API tokens, remembered for a few seconds so busy clients skip the lookup.

The decision API is called once per person by campaign tools; looking the token up on
every call cost as much as the decision itself. An accepted token and its owner are kept
here for ``ttl`` (``DATAWARD_TOKEN_CHECK_CACHE_SECONDS``, 5 by default, 0 to turn it off).
What that costs: a token revoked, or an owner disabled, by *another* process (the CLI, a
second server) still works in this one for at most ``ttl``. The console revokes and
disables in the web process itself, which forgets every remembered token at once.

Only acceptances are remembered, and a remembered token is checked again (expiry, scope,
the owner's role) on every call; anything short of acceptance goes to the database, so a
refusal is decided and audited exactly as without the cache.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from dataward.accounts.models import ApiToken, User
from dataward.accounts.permissions import Permission, permissions_of
from dataward.accounts.sessions import digest
from dataward.accounts.tokens import TOKEN_PREFIX, TokenCheck

# Bounds memory whatever callers send: past this many, the oldest half is forgotten.
MAX_REMEMBERED = 10_000


class AcceptedTokens:
    """Thread-safe: token digest -> (token, owner, when accepted)."""

    def __init__(self, ttl: timedelta) -> None:
        if ttl < timedelta(0):
            raise ValueError("the token check cache cannot last a negative time")
        self._ttl = ttl
        self._lock = threading.Lock()
        self._accepted: dict[str, tuple[ApiToken, User, datetime]] = {}

    def check(self, secret: str, scope: Permission, now: datetime) -> TokenCheck | None:
        """The acceptance of a remembered token, or None: ask the database."""
        if not self._ttl or not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
            return None
        with self._lock:
            found = self._accepted.get(digest(secret))
        if found is None:
            return None
        token, user, accepted_at = found
        if now - accepted_at >= self._ttl or now >= token.expires_at:
            return None
        if scope.value not in token.scopes or scope not in permissions_of(user.role):
            return None  # refused: the database check decides and audits it
        return TokenCheck(token, user, None)

    def remember(self, secret: str, check: TokenCheck, now: datetime) -> None:
        if not self._ttl or check.error is not None or check.token is None or check.user is None:
            return
        with self._lock:
            if len(self._accepted) >= MAX_REMEMBERED:
                for key in list(self._accepted)[: MAX_REMEMBERED // 2]:
                    del self._accepted[key]
            self._accepted[digest(secret)] = (check.token, check.user, now)

    def forget_all(self) -> None:
        """After a revocation or a change of user in this process: check everything anew."""
        with self._lock:
            self._accepted.clear()
