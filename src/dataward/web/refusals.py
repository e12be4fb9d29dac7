"""Refused requests at the edge: rolled up in the audit chain, and a client throttled.

Every refusal the edge audits (an API token refused, the API called without one, access
refused, a CSRF token refused, a bad preferences link, refused form input, a body too
large) goes through ``RefusalGuard.record``: the first of its kind from a client in a
window is written at once, the rest are counted (``accounts.refusals``). The client is
named in the chain only by an HMAC of its address under the secret key, truncated: the
chain's rows cannot be erased, and an address is personal data.

A client that earns ``DATAWARD_REFUSALS_PER_CLIENT`` refusals in a window is answered 429
(``too_many_requests``, with Retry-After) by every route until the window has moved on,
before any rule runs: no database work, no body read, only a count.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from fastapi import FastAPI, Request

from dataward.accounts.refusals import Refusal, RefusalLedger
from dataward.accounts.service import record_refusal
from dataward.audit.service import DetailValue
from dataward.clock import Clock
from dataward.config import Settings
from dataward.logging import get_logger
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import ACCESS_THROTTLED
from dataward.web.errors import TooManyRequests
from dataward.web.throttle import Throttle

log = get_logger(__name__)


class RefusalGuard:
    """The ledger of refusals and the per-client throttle of one server process."""

    def __init__(self, settings: Settings, clock: Clock, secret: bytes) -> None:
        window = timedelta(seconds=settings.refusal_window_seconds)
        self.ledger = RefusalLedger(window)
        self._clock = clock
        self._secret = secret
        self._limit = settings.refusals_per_client
        self._throttle = Throttle(clock, window)
        # Without a window there is nothing to count refusals in.
        self._throttling = window > timedelta(0) and self._limit > 0

    def client(self, request: Request) -> str:
        """The keyed digest that stands for the client's address, in memory and the chain."""
        address = request.client.host if request.client else "unknown"
        mac = hmac.new(self._secret, b"refusal-client:" + address.encode(), hashlib.sha256)
        return mac.hexdigest()[:16]

    def check(self, request: Request) -> None:
        """TooManyRequests if the client has earned too many refusals; touches no database."""
        if not self._throttling:
            return
        client = self.client(request)
        if not self._throttle.blocked(client, self._limit):
            return
        route = getattr(request.scope.get("route"), "name", "") or ""
        refusal = Refusal.of(ACCESS_THROTTLED, "anonymous", client, {"route": route})
        self.ledger.note(refusal, self._clock.now(), may_write=False)
        wait = self._throttle.retry_after(client)
        raise TooManyRequests(
            f"too many refused requests from this client; try again in {wait} seconds",
            retry_after=wait,
        )

    def record(
        self,
        request: Request,
        *,
        action: str,
        actor: str,
        details: dict[str, DetailValue],
        entity_type: str = "request",
        entity_id: str = "-",
    ) -> None:
        """Count a refusal, writing it at once if it is the first of its kind in its window.

        Called in a worker thread (it may write). The write is a transaction of its own,
        which also writes the counts of closed windows.
        """
        client = self.client(request)
        refusal = Refusal.of(
            action, actor, client, details, entity_type=entity_type, entity_id=entity_id
        )
        now = self._clock.now()
        first = self.ledger.note(refusal, now)
        if self._throttling:
            self._throttle.failed(client)
        if not first and not self.ledger.due(now):
            return
        state = request.app.state
        with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
            if first:
                record_refusal(
                    uow,
                    actor=actor,
                    action=action,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    details=refusal.details_with(count=1),
                )
            self.ledger.flush(uow, now)
            uow.commit()

    def flush_due(self, uow: UnitOfWork) -> None:
        """Write the counts of closed windows in ``uow`` (the caller commits)."""
        self.ledger.flush(uow, self._clock.now())


def write_pending_refusals(app: FastAPI) -> None:
    """Write every refusal counted but not yet written, at shutdown.

    A failure is logged (an error class and a count, never who) and does not stop the
    shutdown: the counts are lost, as they would be if the process were killed.
    """
    guard: RefusalGuard = app.state.refusals
    try:
        with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
            guard.ledger.flush(uow)
            uow.commit()
    except Exception as exc:
        log.error(
            "web.refusals_lost", error=type(exc).__name__, refusals=guard.ledger.pending_refusals()
        )
