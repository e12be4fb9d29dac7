"""Accepted API token uses, counted in memory and written to the audit chain as a rollup.

Appending to the chain takes its one lock and needs a commit, so writing an event for every
accepted API call would serialise the whole API on the chain. The product decision instead:
accepted uses are counted per (token, route) and written as one ``api_token.used`` event per
pair per window, with the count and the first and last time. Refusals are rolled up the
same way, per client, in ``dataward.accounts.refusals``.

The counts live in the process, so a process killed without its shutdown (SIGKILL, power
loss) loses the uses of at most one window; a graceful stop writes them (docs/accounts.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, or_, update
from sqlalchemy.orm import Session, SessionTransaction

from dataward.accounts.audit_actions import API_TOKEN_USED
from dataward.accounts.models import ApiToken
from dataward.audit.service import AuditEntry, record_many
from dataward.uow import UnitOfWork


@dataclass
class TokenUse:
    """Uses of one token on one route since the last flush."""

    token_id: str
    count: int
    first_at: datetime
    last_at: datetime


_Key = tuple[str, str]  # (token ref, route name)


class TokenUseLedger:
    """Thread-safe counts of accepted token uses, shared by every request of a process."""

    def __init__(self, window: timedelta) -> None:
        if window < timedelta(0):
            raise ValueError("the token use window cannot be negative")
        self._window = window
        self._lock = threading.Lock()
        self._uses: dict[_Key, TokenUse] = {}
        self._oldest: datetime | None = None

    @property
    def immediate(self) -> bool:
        """A zero window: each use is written at once, in the request's own transaction."""
        return self._window == timedelta(0)

    def note(self, token_id: str, token_ref: str, route: str, now: datetime) -> None:
        with self._lock:
            use = self._uses.get((token_ref, route))
            if use is None:
                self._uses[(token_ref, route)] = TokenUse(token_id, 1, now, now)
            else:
                use.count += 1
                use.first_at = min(use.first_at, now)
                use.last_at = max(use.last_at, now)
            if self._oldest is None or now < self._oldest:
                self._oldest = now

    def due(self, now: datetime) -> bool:
        """Whether the oldest pending use is a window old (always, with a zero window)."""
        with self._lock:
            oldest = self._oldest
        return oldest is not None and now - oldest >= self._window

    def pending_uses(self) -> int:
        """How many uses wait to be written (for logs: a count, never who or what)."""
        with self._lock:
            return sum(use.count for use in self._uses.values())

    def flush(self, uow: UnitOfWork) -> int:
        """Write every pending pair as one event in ``uow``; returns the number of events.

        The caller commits. The pending counts are taken at once, so uses noted meanwhile
        wait for the next flush. If the write raises, or ``uow``'s transaction ends without
        a commit, the taken counts are merged back: a failed flush loses no use.
        """
        taken = self._take()
        if not taken:
            return 0
        try:
            written = self._write(uow, taken)
        except BaseException:
            self._merge(taken)
            raise
        self._merge_unless_committed(uow.session, taken)
        return written

    def _take(self) -> dict[_Key, TokenUse]:
        with self._lock:
            taken, self._uses, self._oldest = self._uses, {}, None
        return taken

    def _merge(self, taken: dict[_Key, TokenUse]) -> None:
        with self._lock:
            for key, use in taken.items():
                current = self._uses.get(key)
                if current is None:
                    self._uses[key] = use
                else:
                    current.count += use.count
                    current.first_at = min(current.first_at, use.first_at)
                    current.last_at = max(current.last_at, use.last_at)
                if self._oldest is None or use.first_at < self._oldest:
                    self._oldest = use.first_at

    def _write(self, uow: UnitOfWork, taken: dict[_Key, TokenUse]) -> int:
        ordered = sorted(taken.items(), key=lambda item: (item[1].first_at, item[0]))
        written = record_many(
            uow,
            (
                AuditEntry(
                    actor=f"token:{ref}",
                    action=API_TOKEN_USED,
                    entity_type="api_token",
                    entity_id=ref,
                    details={
                        "route": route,
                        "count": use.count,
                        "first_at": _iso(use.first_at),
                        "last_at": _iso(use.last_at),
                    },
                )
                for (ref, route), use in ordered
            ),
        )
        last_by_token: dict[str, datetime] = {}
        for use in taken.values():
            known = last_by_token.get(use.token_id)
            last_by_token[use.token_id] = use.last_at if known is None else max(known, use.last_at)
        for token_id, last_at in last_by_token.items():
            # Several processes flush on their own schedules: never move the time backwards.
            uow.session.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == token_id,
                    or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < last_at),
                )
                .values(last_used_at=last_at)
                .execution_options(synchronize_session=False)
            )
        return written

    def _merge_unless_committed(self, session: Session, taken: dict[_Key, TokenUse]) -> None:
        undo_unless_committed(session, lambda: self._merge(taken))


def undo_unless_committed(session: Session, undo: Callable[[], None]) -> None:
    """Call ``undo`` if the transaction now open on ``session`` ends without a commit.

    A ledger that took its counts to write them puts them back this way: the caller's
    commit can still fail (the database gone, a serialisation error), and the events then
    vanish with the rollback; the counts must not vanish with them.
    """
    state = {"committed": False, "settled": False}

    def committed(_session: Session) -> None:
        state["committed"] = True

    def ended(_session: Session, transaction: SessionTransaction) -> None:
        # Only the outermost transaction decides; a savepoint ending decides nothing.
        # (A listener cannot be removed while its event runs, so a flag retires it.)
        if state["settled"] or transaction.parent is not None:
            return
        state["settled"] = True
        if not state["committed"]:
            undo()

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_transaction_end", ended)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
