"""Stored registers parsed once per process, and the views each domain derives from them.

Parsing a large register costs tens of milliseconds, and several domains read the same
stored version: consent decisions, subject groups, the names messages go out in, the web
pages. A stored text never changes and its content hash names it, so one bounded cache
keyed by that hash keeps the parse and, beside it, what each domain derives from it. A new
version of a register is a new hash, so nothing stale is ever served; a view that depends
on more than the text (the register version, say) puts that in its key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from dataward.publication.models import RegisterVersion
from dataward.register.loader import LoadedRegister, parse_register

T = TypeVar("T")

CAPACITY = 64
"""Register texts kept per process: every organisation's current one, and some before it."""


class _Entry:
    """One register text: its parse, once made, and the views derived from it."""

    __slots__ = ("loaded", "lock", "views")

    def __init__(self) -> None:
        # Held while parsing or deriving, so two threads asking at once parse once. Re-entrant:
        # a view may be built from another view of the same register.
        self.lock = threading.RLock()
        self.loaded: LoadedRegister | None = None
        self.views: dict[Hashable, object] = {}


class ParsedRegisters:
    """Parsed register texts by content hash; the least recently used goes first when full."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("a parse cache holds at least one register")
        self.capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def loaded(self, row: RegisterVersion) -> LoadedRegister:
        """The stored version parsed (it was valid when stored); RegisterInvalid if not."""
        return self._parse(row, self._entry(row.content_hash))

    def derived(
        self, row: RegisterVersion, key: Hashable, build: Callable[[LoadedRegister], T]
    ) -> T:
        """The view ``key`` of the stored version, built from its parse the first time.

        Each domain names its own keys (``"consent.policy"``), so views never collide.
        """
        entry = self._entry(row.content_hash)
        with entry.lock:
            if key in entry.views:
                # Only ``build`` ever stores under ``key``, so the view is its T.
                return cast(T, entry.views[key])
            view = build(self._parse(row, entry))
            entry.views[key] = view
            return view

    def known(self, content_hash: str, key: Hashable, kind: type[T]) -> T | None:
        """The view ``key`` if it was derived already, else None: memory only, never a parse."""
        with self._lock:
            entry = self._entries.get(content_hash)
            if entry is None:
                return None
            self._entries.move_to_end(content_hash)
        view = entry.views.get(key)
        return view if isinstance(view, kind) else None

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def _entry(self, content_hash: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(content_hash)
            if entry is not None:
                self._entries.move_to_end(content_hash)
                return entry
            entry = self._entries[content_hash] = _Entry()
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
            return entry

    def _parse(self, row: RegisterVersion, entry: _Entry) -> LoadedRegister:
        with entry.lock:
            if entry.loaded is None:
                try:
                    entry.loaded = parse_register(row.source_text, row.source_name)
                except BaseException:
                    # A text that does not parse keeps no place: asking again parses again.
                    self._drop(row.content_hash, entry)
                    raise
            return entry.loaded

    def _drop(self, content_hash: str, entry: _Entry) -> None:
        with self._lock:
            if self._entries.get(content_hash) is entry:
                del self._entries[content_hash]


_PROCESS = ParsedRegisters()


def load_version(row: RegisterVersion) -> LoadedRegister:
    """The stored version parsed, once per process for each text (it was valid when stored)."""
    return _PROCESS.loaded(row)


def derived(row: RegisterVersion, key: Hashable, build: Callable[[LoadedRegister], T]) -> T:
    """A domain's view of the stored version, built once per process from the one parse."""
    return _PROCESS.derived(row, key, build)


def known(content_hash: str, key: Hashable, kind: type[T]) -> T | None:
    """A view derived already, or None; never reads the database or parses."""
    return _PROCESS.known(content_hash, key, kind)
