"""UK working days and statutory deadlines (RULES: SAR-01..SAR-04)."""

from dataward.calendar.deadlines import statutory_deadline
from dataward.calendar.working_days import (
    Nation,
    add_working_days,
    bank_holidays,
    is_working_day,
    next_working_day,
    parse_nation,
)

__all__ = [
    "Nation",
    "add_working_days",
    "bank_holidays",
    "is_working_day",
    "next_working_day",
    "parse_nation",
    "statutory_deadline",
]
