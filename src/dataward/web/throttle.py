"""In-memory sign-in throttle: failed attempts per client and per username in a window.

It complements the lockout stored on each user: it also covers usernames that do not
exist (so a refusal never tells whether an account does) and clients that try many
usernames. Keys are hashes, so no address or username is held in memory as given. Each
server process keeps its own counts; the stored lockout is what holds across processes.
The edge also counts refused requests per client with one (``web.refusals``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from datetime import datetime, timedelta

from dataward.clock import Clock

_MAX_KEYS = 50_000


def throttle_key(kind: str, value: str) -> str:
    return kind + ":" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:24]


class Throttle:
    def __init__(self, clock: Clock, window: timedelta) -> None:
        self._clock = clock
        self._window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[datetime]:
        cutoff = self._clock.now() - self._window
        hits = self._failures.get(key, deque())
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def blocked(self, key: str, limit: int) -> bool:
        with self._lock:
            return len(self._recent(key)) >= limit

    def failed(self, key: str) -> None:
        with self._lock:
            if len(self._failures) >= _MAX_KEYS:
                self._failures.clear()  # a flood of keys: forget rather than grow without bound
            hits = self._recent(key)
            hits.append(self._clock.now())
            self._failures[key] = hits

    def retry_after(self, key: str) -> int:
        """Whole seconds until the oldest counted failure of ``key`` leaves the window."""
        with self._lock:
            hits = self._recent(key)
            if not hits:
                return 0
            left = hits[0] + self._window - self._clock.now()
        return max(1, int(left.total_seconds() + 0.999))

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
