"""The DPO's figures about complaints over a period of UK months (CMP-01). Never commits.

A period is the complaints *received* in it (``received_on`` is already the UK day). Every
figure comes from a few set-based queries (GROUP BY), never a walk over the complaints:
one counts them by theme, outcome and channel; one by month; one groups acknowledgements
by the days they took and whether they were late; one does the same for outcomes; one
lists the open complaints overdue today (from any month).

"Late" follows CMP-01's clocks: an acknowledgement after ``acknowledge_by`` (30 days after
receipt), an outcome after the register's ``outcome_target_on``. A complaint closed without
a separate acknowledgement counts as acknowledged on the day it was closed. Outcome-target figures
count only complaints that had a target: when the register promises no time, there are
none, and nothing claims one. A withdrawn complaint was given no outcome, so it is counted
among outcomes as "withdrawn" but not in the days to an outcome nor late or on time.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, case, extract, func, or_, select

from dataward.complaints.errors import ComplaintInvalid
from dataward.complaints.models import Complaint
from dataward.complaints.service import CHANNELS, OPEN, OUTCOMES, THEMES, today_of
from dataward.requests.dashboard import _days_between, _median
from dataward.uow import UnitOfWork

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# How many months a period may span: figures for longer are the CSV's job.
MAX_MONTHS = 60
DEFAULT_MONTHS = 12
NOT_YET_SAID = "not_yet_said"
# Overdue complaints are listed by ref; more than this says how many more.
MAX_OVERDUE_LISTED = 200
ACK_STATES = ("on_time", "late", "waiting", "overdue")
TARGET_STATES = ("on_time", "late", "waiting", "overdue")


class FiguresInvalid(ComplaintInvalid):
    """A period asked for that cannot be read; nothing is counted."""

    code = "complaint_figures_invalid"
    title = "Period is not valid"


@dataclass(frozen=True)
class Period:
    """Whole UK months, from the first day of ``first`` to the last day of ``last``."""

    first: date
    last: date

    @property
    def months(self) -> list[str]:
        found, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    @property
    def from_label(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def to_label(self) -> str:
        return self.last.strftime("%Y-%m")


def _month(text: str, name: str) -> tuple[int, int]:
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise FiguresInvalid(f"{name} must be a month like 2026-11")
    return int(match.group(1)), int(match.group(2))


def _last_day(year: int, month: int) -> date:
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date.fromordinal(date(year, month, 1).toordinal() - 1)


def parse_period(from_text: str, to_text: str, today: date) -> Period:
    """``YYYY-MM`` to ``YYYY-MM``; by default the 12 UK months ending with ``today``'s."""
    to_year, to_month = _month(to_text, "to") if to_text else (today.year, today.month)
    if from_text:
        from_year, from_month = _month(from_text, "from")
    else:
        index = to_year * 12 + to_month - 1 - (DEFAULT_MONTHS - 1)
        from_year, from_month = divmod(index, 12)
        from_month += 1
    span = (to_year * 12 + to_month) - (from_year * 12 + from_month) + 1
    if span < 1:
        raise FiguresInvalid("the period must end on or after the month it starts")
    if span > MAX_MONTHS:
        raise FiguresInvalid(f"the period can span at most {MAX_MONTHS} months")
    return Period(date(from_year, from_month, 1), _last_day(to_year, to_month))


@dataclass(frozen=True)
class Overdue:
    organisation: str
    ref: str
    received_on: date
    acknowledge_by: date
    outcome_target_on: date | None
    acknowledgement_overdue: bool
    outcome_overdue: bool


@dataclass
class Figures:
    period: Period
    organisation: str | None
    today: date
    received: int = 0
    by_month: dict[str, int] = field(default_factory=dict)
    by_theme: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    # CMP-01: acknowledged on time or late; not yet acknowledged, in time or overdue.
    acknowledgement: Counter[str] = field(default_factory=Counter)
    median_days_to_acknowledge: float | None = None
    # Only complaints with an outcome target (the register states one).
    with_target: int = 0
    outcome_target: Counter[str] = field(default_factory=Counter)
    median_days_to_outcome: float | None = None
    # Open complaints overdue today, from any month (the DPO's to-do).
    overdue: list[Overdue] = field(default_factory=list)
    acknowledgement_overdue: int = 0
    outcome_overdue: int = 0

    @property
    def target_stated(self) -> bool:
        return self.with_target > 0

    def rows(self) -> list[tuple[str, str, str]]:
        """(figure, key, value): what the figures CSV holds, in the page's order."""
        out: list[tuple[str, str, str]] = [
            ("period", "from", self.period.first.isoformat()),
            ("period", "to", self.period.last.isoformat()),
            ("period", "organisation", self.organisation or "all"),
            ("period", "as_of", self.today.isoformat()),
            ("received", "total", str(self.received)),
        ]
        out += [("received_by_month", k, str(n)) for k, n in self.by_month.items()]
        out += [("by_theme", k, str(self.by_theme[k])) for k in (*THEMES, NOT_YET_SAID)]
        out += [("by_outcome", k, str(self.by_outcome[k])) for k in (*OUTCOMES, "open")]
        out += [("by_channel", k, str(self.by_channel[k])) for k in CHANNELS]
        out += [("acknowledgement", k, str(self.acknowledgement[k])) for k in ACK_STATES]
        out.append(("acknowledgement", "median_days", _num(self.median_days_to_acknowledge)))
        out.append(("outcome_target", "with_target", str(self.with_target)))
        if self.target_stated:
            out += [("outcome_target", k, str(self.outcome_target[k])) for k in TARGET_STATES]
        out.append(("outcome", "median_days", _num(self.median_days_to_outcome)))
        out.append(("overdue_today", "acknowledgement", str(self.acknowledgement_overdue)))
        out.append(("overdue_today", "outcome", str(self.outcome_overdue)))
        return out


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _within(query: Select[Any], period: Period, organisation: str | None) -> Select[Any]:
    query = query.where(Complaint.received_on.between(period.first, period.last))
    if organisation:
        query = query.where(Complaint.organisation == organisation)
    return query


def answered_on() -> Any:
    """The day a complaint was first answered: acknowledged, or closed without a separate
    acknowledgement (the outcome answers it, e.g. withdrawn the next day)."""
    return func.coalesce(Complaint.acknowledged_on, Complaint.closed_on)


def acknowledgement_state(today: date) -> Any:
    """CMP-01's first clock, as SQL: on_time | late | waiting | overdue."""
    table = Complaint
    answered = answered_on()
    return case(
        (answered.is_(None) & (table.acknowledge_by < today), "overdue"),
        (answered.is_(None), "waiting"),
        (answered > table.acknowledge_by, "late"),
        else_="on_time",
    )


def outcome_state(today: date) -> Any:
    """The register's outcome target, as SQL: none | withdrawn | on_time | late | waiting |
    overdue."""
    table = Complaint
    closed = table.closed_on.is_not(None)
    return case(
        (table.outcome_target_on.is_(None), "none"),
        (table.outcome == "withdrawn", "withdrawn"),
        (closed & (table.closed_on > table.outcome_target_on), "late"),
        (closed, "on_time"),
        (table.outcome_target_on < today, "overdue"),
        else_="waiting",
    )


def _by_kind(uow: UnitOfWork, figures: Figures) -> None:
    table = Complaint
    outcome = case((table.state.in_(OPEN), "open"), else_=table.outcome)
    keys = (table.theme, outcome, table.channel)
    query = _within(
        select(*keys, func.count()).group_by(*keys), figures.period, figures.organisation
    )
    for theme, result, channel, n in uow.session.execute(query):
        count = int(n)
        figures.received += count
        figures.by_theme[str(theme) if theme else NOT_YET_SAID] += count
        figures.by_outcome[str(result)] += count
        figures.by_channel[str(channel)] += count


def _by_month(uow: UnitOfWork, figures: Figures) -> None:
    year = extract("year", Complaint.received_on)
    month = extract("month", Complaint.received_on)
    query = _within(
        select(year, month, func.count()).group_by(year, month),
        figures.period,
        figures.organisation,
    )
    found = {f"{int(y):04d}-{int(m):02d}": int(n) for y, m, n in uow.session.execute(query)}
    figures.by_month = {label: found.get(label, 0) for label in figures.period.months}


def _acknowledgements(uow: UnitOfWork, figures: Figures) -> None:
    table = Complaint
    state = acknowledgement_state(figures.today)
    days = _days_between(uow, answered_on(), table.received_on)
    query = _within(
        select(state, days, func.count()).group_by(state, days),
        figures.period,
        figures.organisation,
    )
    spread: Counter[int] = Counter()
    for kind, taken, n in uow.session.execute(query):
        figures.acknowledgement[str(kind)] += int(n)
        if taken is not None:
            spread[round(float(taken))] += int(n)
    figures.median_days_to_acknowledge = _median(spread)


def _outcomes(uow: UnitOfWork, figures: Figures) -> None:
    table = Complaint
    state = outcome_state(figures.today)
    days = case(
        (table.outcome == "withdrawn", None),
        else_=_days_between(uow, table.closed_on, table.received_on),
    )
    query = _within(
        select(state, days, func.count()).group_by(state, days),
        figures.period,
        figures.organisation,
    )
    spread: Counter[int] = Counter()
    for kind, taken, n in uow.session.execute(query):
        if kind != "none":
            figures.with_target += int(n)
            if kind != "withdrawn":
                figures.outcome_target[str(kind)] += int(n)
        if taken is not None:
            spread[round(float(taken))] += int(n)
    figures.median_days_to_outcome = _median(spread)


def overdue_complaints(
    uow: UnitOfWork, organisation: str | None, today: date, limit: int = MAX_OVERDUE_LISTED
) -> tuple[list[Overdue], int, int]:
    """Open complaints overdue today (any month): the first ``limit`` by acknowledgement
    date, and how many are overdue on each clock (a complaint late on both counts twice)."""
    table = Complaint
    ack_late = table.acknowledged_on.is_(None) & (table.acknowledge_by < today)
    target_late = table.outcome_target_on.is_not(None) & (table.outcome_target_on < today)
    where = [table.state.in_(OPEN), or_(ack_late, target_late)]
    if organisation:
        where.append(table.organisation == organisation)
    totals = uow.session.execute(
        select(
            func.sum(case((ack_late, 1), else_=0)), func.sum(case((target_late, 1), else_=0))
        ).where(*where)
    ).one()
    rows = uow.session.execute(
        select(
            table.organisation,
            table.ref,
            table.received_on,
            table.acknowledge_by,
            table.outcome_target_on,
            table.acknowledged_on,
        )
        .where(*where)
        .order_by(table.acknowledge_by, table.ref)
        .limit(limit)
    ).all()
    listed = [
        Overdue(
            r.organisation,
            r.ref,
            r.received_on,
            r.acknowledge_by,
            r.outcome_target_on,
            r.acknowledged_on is None and r.acknowledge_by < today,
            r.outcome_target_on is not None and r.outcome_target_on < today,
        )
        for r in rows
    ]
    return listed, int(totals[0] or 0), int(totals[1] or 0)


def figures(uow: UnitOfWork, period: Period, organisation: str | None) -> Figures:
    """The complaints received in ``period``, for one organisation or all of them."""
    result = Figures(period, organisation, today_of(uow))
    _by_kind(uow, result)
    _by_month(uow, result)
    _acknowledgements(uow, result)
    _outcomes(uow, result)
    result.overdue, result.acknowledgement_overdue, result.outcome_overdue = overdue_complaints(
        uow, organisation, result.today
    )
    return result
