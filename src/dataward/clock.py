"""Time as a dependency: nothing in dataward calls ``datetime.now()`` directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# People read times in UK time (GMT or BST); dataward stores and computes in UTC.
UK_ZONE = ZoneInfo("Europe/London")


def in_uk_time(value: datetime) -> datetime:
    """``value`` in Europe/London; a naive value is UTC, as every stored time is."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UK_ZONE)


def uk_moment(value: datetime) -> str:
    """A time as people in the UK read it: "25 December 2026, 09:30 GMT" (BST in summer)."""
    local = in_uk_time(value)
    return f"{local.day} {local:%B %Y, %H:%M} {local.tzname()}"


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real clock, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock tests set and move explicitly."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.date()

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at
