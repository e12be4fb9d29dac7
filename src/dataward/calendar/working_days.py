"""Working days per UK nation, from ``holidays`` with an explicit ``subdiv``.

Without ``subdiv`` the ``holidays`` package returns only UK-wide days, so Scotland's
2 January or Northern Ireland's 12 July would silently be treated as working days
(RULES: SAR-03). Every lookup here names the nation.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays

from dataward.errors import CalendarError


class Nation(StrEnum):
    """A UK nation whose bank holidays apply (``holidays`` subdivision codes)."""

    ENG = "ENG"
    WLS = "WLS"
    SCT = "SCT"
    NIR = "NIR"


def parse_nation(value: str) -> Nation:
    try:
        return Nation(value.strip().upper())
    except ValueError:
        allowed = ", ".join(n.value for n in Nation)
        raise CalendarError(f"unknown nation {value!r}: use one of {allowed}") from None


@lru_cache(maxsize=512)
def _holidays_for(nation: Nation, year: int) -> frozenset[date]:
    table = holidays.country_holidays("GB", subdiv=nation.value, years=year)
    return frozenset(table.keys())


def bank_holidays(nation: Nation, year: int) -> frozenset[date]:
    """Bank holidays of ``nation`` in ``year``, substitute days included."""
    return _holidays_for(nation, year)


def is_working_day(day: date, nation: Nation) -> bool:
    return day.weekday() < 5 and day not in _holidays_for(nation, day.year)


def next_working_day(day: date, nation: Nation) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, nation):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, count: int, nation: Nation) -> date:
    """The date ``count`` working days after ``start`` (``start`` itself is not counted).

    "Deleted 2 working days after the assessment" on a Friday means the Tuesday.
    A negative count walks backwards. Zero returns ``start`` unchanged.
    """
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    day = start
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day, nation):
            remaining -= 1
    return day
