"""Refused requests, rolled up per client and window so that a flood cannot fill the chain.

The audit chain's rows can never be erased, so its volume must not be the attacker's
choice: a thousand made-up tokens must not become a thousand permanent rows. Each refusal
is described by a ``Refusal`` (action, actor, what it was about, and a keyed digest of the
client's address, never the address). The first refusal of a kind from a client in a window
is written at once, as before, so the chain still shows promptly that someone was refused;
the later ones of that window are counted in memory and written as one event with
``count``, ``first_at`` and ``last_at`` when the window has closed (by the next refusal
written, or at shutdown). The counts of events therefore add up to every refusal.

Bounds, whatever the clients do: at most ``max_first`` events written at once per window;
refusals are counted per client only for the clients written at once in the window, the
others together under client ``many`` (so a flood from many addresses, or of throttled
requests, is still a bounded number of rows); and at most ``max_keys`` kinds are counted
(past that, under ``many`` too). Like token uses, the counts live in the process: SIGKILL
loses at most the counts not yet written.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from dataward.accounts.token_uses import undo_unless_committed
from dataward.audit.service import AuditEntry, DetailValue, record_many
from dataward.uow import UnitOfWork

MANY_CLIENTS = "many"
_MAX_FIRST = 100
_MAX_KEYS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Refusal:
    """One kind of refusal: equal refusals in a window are counted together."""

    action: str
    actor: str
    client: str  # a keyed digest of the client's address, never the address
    entity_type: str = "request"
    entity_id: str = "-"
    details: tuple[tuple[str, DetailValue], ...] = ()

    @classmethod
    def of(
        cls,
        action: str,
        actor: str,
        client: str,
        details: dict[str, DetailValue],
        *,
        entity_type: str = "request",
        entity_id: str = "-",
    ) -> Refusal:
        return cls(action, actor, client, entity_type, entity_id, tuple(sorted(details.items())))

    def details_with(self, **counts: DetailValue) -> dict[str, DetailValue]:
        """The event's details: the refusal's own, its client's digest and ``counts``."""
        return {**dict(self.details), "client": self.client, **counts}

    def entry(self, **counts: DetailValue) -> AuditEntry:
        """The audit event of this refusal (see ``details_with``)."""
        return AuditEntry(
            actor=self.actor,
            action=self.action,
            entity_type=self.entity_type,
            entity_id=self.entity_id,
            details=self.details_with(**counts),
        )


@dataclass
class _Counted:
    count: int
    first_at: datetime
    last_at: datetime


_Key = tuple[int, Refusal]  # (window number, refusal)


class RefusalLedger:
    """Thread-safe: which refusals to write at once, and the counts of the others."""

    def __init__(
        self, window: timedelta, *, max_first: int = _MAX_FIRST, max_keys: int = _MAX_KEYS
    ) -> None:
        if window < timedelta(0):
            raise ValueError("the refusal window cannot be negative")
        self._window = window
        self._max_first = max_first
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._current = -1
        self._firsts: set[Refusal] = set()
        self._clients: set[str] = set()  # clients with a refusal written at once this window
        self._counted: dict[_Key, _Counted] = {}

    @property
    def immediate(self) -> bool:
        """A zero window: every refusal is its own event, written at once."""
        return self._window == timedelta(0)

    def _number(self, now: datetime) -> int:
        return (now - _EPOCH) // self._window

    def note(self, refusal: Refusal, now: datetime, *, may_write: bool = True) -> bool:
        """Count ``refusal``; True if it is the first of its kind in its window.

        The caller then writes it at once (``refusal.entry(count=1)``). ``may_write`` False
        (a throttled request, answered without the database) only counts it.
        """
        if self.immediate:
            return may_write
        number = self._number(now)
        with self._lock:
            if number != self._current:
                self._current = number
                self._firsts.clear()
                self._clients.clear()
            if may_write and refusal not in self._firsts and len(self._firsts) < self._max_first:
                self._firsts.add(refusal)
                self._clients.add(refusal.client)
                return True
            many = replace(refusal, client=MANY_CLIENTS)
            key = (number, refusal if refusal.client in self._clients else many)
            if key not in self._counted and len(self._counted) >= self._max_keys:
                key = (number, many)
            counted = self._counted.get(key)
            if counted is None:
                self._counted[key] = _Counted(1, now, now)
            else:
                counted.count += 1
                counted.first_at = min(counted.first_at, now)
                counted.last_at = max(counted.last_at, now)
            return False

    def due(self, now: datetime) -> bool:
        """Whether counts of a closed window wait to be written."""
        if self.immediate:
            return False
        number = self._number(now)
        with self._lock:
            return any(window < number for window, _ in self._counted)

    def pending_refusals(self) -> int:
        """How many refusals wait to be written (for logs: a count, never who)."""
        with self._lock:
            return sum(c.count for c in self._counted.values())

    def flush(self, uow: UnitOfWork, now: datetime | None = None) -> int:
        """Write the counts of windows closed by ``now`` (all of them if None) in ``uow``.

        One event per kind and window; returns how many. The caller commits; counts are
        put back if the write raises or the transaction ends without a commit.
        """
        closed_before = None if now is None or self.immediate else self._number(now)
        taken = self._take(closed_before)
        if not taken:
            return 0
        try:
            ordered = sorted(taken.items(), key=lambda item: (item[1].first_at, item[0][0]))
            written = record_many(
                uow,
                (
                    refusal.entry(
                        count=counted.count,
                        first_at=_iso(counted.first_at),
                        last_at=_iso(counted.last_at),
                    )
                    for (_, refusal), counted in ordered
                ),
            )
        except BaseException:
            self._merge(taken)
            raise
        undo_unless_committed(uow.session, lambda: self._merge(taken))
        return written

    def _take(self, before: int | None) -> dict[_Key, _Counted]:
        with self._lock:
            taken = {k: c for k, c in self._counted.items() if before is None or k[0] < before}
            for key in taken:
                del self._counted[key]
        return taken

    def _merge(self, taken: dict[_Key, _Counted]) -> None:
        with self._lock:
            for key, counted in taken.items():
                current = self._counted.get(key)
                if current is None:
                    self._counted[key] = counted
                else:
                    current.count += counted.count
                    current.first_at = min(current.first_at, counted.first_at)
                    current.last_at = max(current.last_at, counted.last_at)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
