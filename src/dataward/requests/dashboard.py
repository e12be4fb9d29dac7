"""The DPO's month: requests received, their outcomes, and whether they were answered on time.

A month is the requests *received* in it (UK dates: ``received_on`` is the day in the UK).
The figures come from a few set-based queries (GROUP BY), never a walk over every request:
one counts the month's requests by everything the page splits them by, one groups the
answered ones by how many days they took, one lists the late ones by ref.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, String, and_, case, cast, func, select

from dataward.clock import in_uk_time
from dataward.requests.audit_actions import REQUEST_RESPONDED
from dataward.requests.errors import RequestInvalid
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.transitions import OPEN
from dataward.uow import UnitOfWork

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
OUTCOMES = ("responded", "refused", "withdrawn", "deceased", "open")
# Late answers are listed by ref; a month with more than this says how many more.
MAX_LATE_LISTED = 200


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @property
    def label(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def previous(self) -> str:
        year, month = self.first.year, self.first.month - 1
        if month == 0:
            year, month = year - 1, 12
        return f"{year:04d}-{month:02d}"

    @property
    def next(self) -> str:
        year, month = self.first.year, self.first.month + 1
        if month == 13:
            year, month = year + 1, 1
        return f"{year:04d}-{month:02d}"


def uk_today(uow: UnitOfWork) -> date:
    return in_uk_time(uow.clock.now()).date()


def parse_month(text: str, today: date) -> Month:
    """``YYYY-MM``; empty means the month of ``today`` (a UK date)."""
    if not text:
        year, month = today.year, today.month
    else:
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
            raise RequestInvalid("month must be YYYY-MM, e.g. 2026-11")
        year, month = int(match.group(1)), int(match.group(2))
    return Month(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


@dataclass
class MonthSummary:
    month: Month
    organisation: str | None
    received: int = 0
    by_right: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_requester: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    on_time: int = 0
    late: int = 0
    # (organisation, ref) of each request answered late, oldest first.
    late_refs: list[tuple[str, str]] = field(default_factory=list)
    median_days: float | None = None
    p90_days: int | None = None
    extended: int = 0
    # Of this month's requests, open and past their due date today.
    overdue_now: int = 0
    # Every open request past its due date today, whatever month it came in.
    overdue_all: int = 0


def _in_month(query: Select[Any], month: Month, organisation: str | None) -> Select[Any]:
    query = query.where(RightsRequest.received_on.between(month.first, month.last))
    if organisation:
        query = query.where(RightsRequest.organisation == organisation)
    return query


def _responded_on() -> Any:
    """The day each request's response went out (a subquery: request id, day)."""
    return (
        select(RequestEvent.request_id, func.max(RequestEvent.on).label("on"))
        .where(RequestEvent.action == REQUEST_RESPONDED)
        .group_by(RequestEvent.request_id)
        .subquery()
    )


def _days_between(uow: UnitOfWork, later: Any, earlier: Any) -> Any:
    """Whole days from ``earlier`` to ``later``, as each backend subtracts dates."""
    if uow.session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier  # PostgreSQL: date - date is a whole number of days


def _counts(uow: UnitOfWork, summary: MonthSummary, today: date) -> None:
    table = RightsRequest
    overdue = case(
        (
            and_(
                table.state.in_(OPEN),
                table.due_on < today,
                table.paused_since.is_(None),
            ),
            1,
        ),
        else_=0,
    )
    # Rights are a JSON list: grouped by its text, the same on both backends.
    rights = cast(table.rights, String)
    keys = (rights, table.channel, table.requester_kind, table.state, table.outcome)
    query = _in_month(
        select(
            *keys,
            func.count(),
            func.sum(case((table.extended.is_(True), 1), else_=0)),
            func.sum(overdue),
        ).group_by(*keys),
        summary.month,
        summary.organisation,
    )
    for rights_text, channel, kind, state, outcome, n, extended, late_now in uow.session.execute(
        query
    ):
        count = int(n)
        summary.received += count
        for right in json.loads(rights_text):
            summary.by_right[str(right)] += count
        summary.by_channel[str(channel)] += count
        summary.by_requester[str(kind)] += count
        summary.outcomes["open" if state in OPEN else str(outcome)] += count
        summary.extended += int(extended or 0)
        summary.overdue_now += int(late_now or 0)


def _answers(uow: UnitOfWork, summary: MonthSummary) -> None:
    """On time or late, and the spread of days taken, for the month's responded requests."""
    table = RightsRequest
    responded = _responded_on()
    days = _days_between(uow, responded.c.on, table.received_on)
    late = responded.c.on > table.due_on
    grouped = _in_month(
        select(days, late, func.count())
        .join(responded, responded.c.request_id == table.id)
        .where(table.outcome == "responded")
        .group_by(days, late),
        summary.month,
        summary.organisation,
    )
    spread: Counter[int] = Counter()
    for taken, was_late, n in uow.session.execute(grouped):
        spread[round(float(taken))] += int(n)
        if was_late:
            summary.late += int(n)
        else:
            summary.on_time += int(n)
    summary.median_days, summary.p90_days = _median(spread), _percentile(spread, 0.9)
    if summary.late:
        refs = _in_month(
            select(table.organisation, table.ref)
            .join(responded, responded.c.request_id == table.id)
            .where(table.outcome == "responded", late)
            .order_by(table.received_on, table.ref)
            .limit(MAX_LATE_LISTED),
            summary.month,
            summary.organisation,
        )
        summary.late_refs = [(str(o), str(r)) for o, r in uow.session.execute(refs)]


def _nth(spread: Counter[int], index: int) -> int:
    """The ``index``-th (0-based) value of the sorted list the histogram stands for."""
    seen = 0
    for value in sorted(spread):
        seen += spread[value]
        if index < seen:
            return value
    raise IndexError(index)


def _median(spread: Counter[int]) -> float | None:
    total = sum(spread.values())
    if not total:
        return None
    middle = (_nth(spread, (total - 1) // 2) + _nth(spread, total // 2)) / 2
    return middle


def _percentile(spread: Counter[int], share: float) -> int | None:
    """Nearest rank: the smallest value with at least ``share`` of the answers at or below."""
    total = sum(spread.values())
    if not total:
        return None
    rank = max(1, math.ceil(share * total - 1e-9))  # the epsilon: 0.9 * 10 is 9.000000000000002
    return _nth(spread, rank - 1)


def month_summary(uow: UnitOfWork, month: Month, organisation: str | None) -> MonthSummary:
    """The month's requests (received in it), for one organisation or all of them."""
    today = uk_today(uow)
    summary = MonthSummary(month, organisation)
    _counts(uow, summary, today)
    _answers(uow, summary)
    summary.overdue_all = _overdue_all(uow, organisation, today)
    return summary


def _overdue_all(uow: UnitOfWork, organisation: str | None, today: date) -> int:
    """Open requests past their due date today, from any month (the clock running)."""
    table = RightsRequest
    query = select(func.count()).where(
        table.state.in_(OPEN), table.due_on < today, table.paused_since.is_(None)
    )
    if organisation:
        query = query.where(table.organisation == organisation)
    return int(uow.session.scalar(query) or 0)
