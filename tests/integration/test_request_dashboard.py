"""The DPO's dashboard: a month's requests and their outcomes (issue 16).

Rules: SAR-01 (due a month from receipt: on time means responded on or before ``due_on``),
SAR-04 (extensions), SAR-08 (refusals), SAR-10 (representatives, deceased). The clock is
20 December 2026; every request below has explicit dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, load_shop
from request_support import finish_tasks

from dataward.clock import FixedClock
from dataward.requests.dashboard import month_summary, parse_month
from dataward.requests.errors import RequestInvalid
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, close, extend, refuse, respond, verify_identity
from dataward.requests.transitions import withdraw as withdraw_request
from dataward.uow import UnitOfWork

ACTOR = "user:u_dpo"
TODAY = date(2026, 12, 20)


def _open(
    uow: UnitOfWork,
    received: date,
    rights: tuple[str, ...],
    channel: str,
    kind: str = "self",
) -> str:
    requester = Requester(name="R", authority="letter" if kind != "self" else "")
    row = open_request(
        uow, NewRequest(SHOP, rights, channel, received, requester, kind), actor=ACTOR
    )
    return row.ref


def _on(day: date, note: str | None = None) -> Step:
    return Step(ACTOR, day, note)


@pytest.fixture
def november(uow: UnitOfWork, clock: FixedClock) -> dict[str, str]:
    """Seven requests received in November 2026, one in October; each named by its fate."""
    load_shop(uow)
    clock.set(datetime(2026, 12, 20, 10, 0, tzinfo=UTC))
    refs = {
        "on_time": _open(uow, date(2026, 11, 2), ("objection",), "post"),
        "late": _open(uow, date(2026, 11, 3), ("access", "erasure"), "email"),
        "refused": _open(uow, date(2026, 11, 10), ("rectification",), "phone"),
        "overdue": _open(uow, date(2026, 11, 16), ("access",), "portal", "solicitor"),
        "extended": _open(uow, date(2026, 11, 30), ("access",), "email"),
        "withdrawn": _open(uow, date(2026, 11, 5), ("portability",), "in_person"),
        "deceased": _open(uow, date(2026, 11, 20), ("access",), "post"),
        "october": _open(uow, date(2026, 10, 15), ("access",), "email"),
    }
    finish_tasks(uow, SHOP, refs["on_time"])  # SAR-07: the answer put together first
    respond(uow, SHOP, refs["on_time"], _on(date(2026, 11, 20)))  # 18 days, due 2 Dec
    verify_identity(uow, SHOP, refs["late"], "document", _on(date(2026, 11, 3)))
    finish_tasks(uow, SHOP, refs["late"])
    respond(uow, SHOP, refs["late"], _on(date(2026, 12, 10)))  # 37 days, due 3 Dec
    refuse(
        uow,
        SHOP,
        refs["refused"],
        _on(date(2026, 11, 12), "manifestly unfounded"),
        reason="manifestly_unfounded",
    )
    extend(uow, SHOP, refs["extended"], _on(date(2026, 12, 1), "many systems"))
    withdraw_request(uow, SHOP, refs["withdrawn"], _on(date(2026, 11, 6)))
    close(uow, SHOP, refs["deceased"], _on(date(2026, 11, 25), "death certificate"), deceased=True)
    uow.commit()
    return refs


def test_the_month_counts_what_was_set_up(uow: UnitOfWork, november: dict[str, str]) -> None:
    summary = month_summary(uow, parse_month("2026-11", TODAY), SHOP)
    assert summary.received == 7  # October's request is not in November
    assert dict(summary.by_right) == {
        "objection": 1,
        "access": 4,
        "erasure": 1,
        "rectification": 1,
        "portability": 1,
    }
    assert dict(summary.by_channel) == {
        "post": 2,
        "email": 2,
        "phone": 1,
        "portal": 1,
        "in_person": 1,
    }
    assert dict(summary.by_requester) == {"self": 6, "solicitor": 1}
    assert dict(summary.outcomes) == {
        "responded": 2,
        "refused": 1,
        "withdrawn": 1,
        "deceased": 1,
        "open": 2,
    }
    # SAR-01: responded on or before due_on is on time
    assert (summary.on_time, summary.late) == (1, 1)
    assert summary.late_refs == [(SHOP, november["late"])]
    assert summary.median_days == 27.5  # 18 and 37 days
    assert summary.p90_days == 37
    assert summary.extended == 1  # SAR-04
    # due 16 December, still open on the 20th; the extended one is due in February
    assert summary.overdue_now == 1
    assert summary.overdue_all == 2  # October's request too, due 16 November


def test_another_month_shows_none(uow: UnitOfWork, november: dict[str, str]) -> None:
    summary = month_summary(uow, parse_month("2026-09", TODAY), SHOP)
    assert summary.received == 0
    assert not summary.by_right
    assert not summary.outcomes
    assert (summary.on_time, summary.late, summary.median_days, summary.p90_days) == (
        0,
        0,
        None,
        None,
    )
    assert summary.overdue_all == 2  # the open requests overdue today, whatever the month
    october = month_summary(uow, parse_month("2026-10", TODAY), SHOP)
    assert (october.received, october.overdue_now) == (1, 1)


def test_another_organisation_shows_none(uow: UnitOfWork, november: dict[str, str]) -> None:
    summary = month_summary(uow, parse_month("2026-11", TODAY), "someone_else")
    assert (summary.received, summary.overdue_all) == (0, 0)
    everyone = month_summary(uow, parse_month("2026-11", TODAY), None)
    assert everyone.received == 7


def test_a_month_is_read_strictly(uow: UnitOfWork) -> None:
    assert parse_month("", TODAY).label == "2026-12"
    february = parse_month("2028-02", TODAY)
    assert (february.first, february.last) == (date(2028, 2, 1), date(2028, 2, 29))
    assert (february.previous, february.next) == ("2028-01", "2028-03")
    assert parse_month("2026-12", TODAY).next == "2027-01"
    assert parse_month("2027-01", TODAY).previous == "2026-12"
    for bad in ("2026-13", "2026-1", "November", "2026-00", "0999-01"):
        with pytest.raises(RequestInvalid):
            parse_month(bad, TODAY)
