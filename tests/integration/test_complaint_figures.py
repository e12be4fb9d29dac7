"""The DPO's complaint figures and their CSVs (issue 17). Rules: CMP-01.

Dates are explicit; the clock is the test's. Complaints are counted in the UK month they
were received; "late" is against CMP-01's 30 days and the register's outcome target.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from complaint_clock_support import ANN, acknowledge_on, close_on, open_on, set_up_shop
from consent_support import SHOP
from fastapi import FastAPI
from sqlalchemy import update
from web_support import ORG, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.complaints.export import complaint_log, figures_csv
from dataward.complaints.figures import FiguresInvalid, figures, parse_period
from dataward.complaints.models import Complaint
from dataward.complaints.service import Complainant, NewComplaint, open_complaint, today_of
from dataward.complaints.steps import link_request
from dataward.csv_cells import safe_cell
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.uow import UnitOfWork

TODAY = date(2026, 11, 25)


def _year(uow: UnitOfWork) -> object:
    return figures(uow, parse_period("", "", today_of(uow)), SHOP)


@pytest.fixture
def silent(uow: UnitOfWork, clock: FixedClock) -> dict[str, Complaint]:
    """The shop promises no outcome time. Five complaints in every state of the first clock."""
    set_up_shop(uow, clock, TODAY, None)
    on_time = open_on(uow, date(2026, 9, 30), theme="disclosure", channel="email")
    acknowledge_on(uow, on_time, date(2026, 10, 5))
    close_on(uow, on_time, date(2026, 10, 20), "upheld")
    late = open_on(uow, date(2026, 10, 1))
    acknowledge_on(uow, late, date(2026, 11, 5))  # 35 days: due by 31 October
    overdue = open_on(uow, date(2026, 10, 10), theme="recording", channel="phone")
    waiting = open_on(uow, date(2026, 11, 20), channel="portal")
    withdrawn = open_on(uow, date(2026, 11, 2), theme="marketing", channel="email")
    close_on(uow, withdrawn, date(2026, 11, 3), "withdrawn")
    return {
        "on_time": on_time,
        "late": late,
        "overdue": overdue,
        "waiting": waiting,
        "withdrawn": withdrawn,
    }


def test_it_counts_a_complaint_in_the_uk_month_it_arrived(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """CMP-01: sent at 23:30 UTC on 31 July, it arrived on 1 August in the UK (BST)."""
    set_up_shop(uow, clock, date(2026, 7, 31), None)
    open_on(uow, date(2026, 7, 31))
    clock.set(datetime(2026, 7, 31, 23, 30, tzinfo=UTC))
    arrived = today_of(uow)
    assert arrived == date(2026, 8, 1)
    open_on(uow, arrived)
    result = figures(uow, parse_period("", "", arrived), SHOP)
    assert result.period.first == date(2025, 9, 1)
    assert result.period.last == date(2026, 8, 31)
    assert len(result.by_month) == 12
    assert (result.by_month["2026-07"], result.by_month["2026-08"]) == (1, 1)
    assert result.received == 2
    august = figures(uow, parse_period("2026-08", "2026-08", arrived), SHOP)
    assert (august.received, list(august.by_month)) == (1, ["2026-08"])


def test_it_counts_acknowledgements_on_time_late_waiting_and_overdue(
    uow: UnitOfWork, silent: dict[str, Complaint]
) -> None:
    """CMP-01: acknowledged within 30 days of receipt, or late; a withdrawal the next day
    answers the complaint (on time)."""
    result = _year(uow)
    assert result.received == 5  # type: ignore[attr-defined]
    assert dict(result.acknowledgement) == {  # type: ignore[attr-defined]
        "on_time": 2,
        "late": 1,
        "overdue": 1,
        "waiting": 1,
    }
    # Days to acknowledge: 5 (on time), 35 (late), 1 (withdrawn): the median is 5.
    assert result.median_days_to_acknowledge == 5  # type: ignore[attr-defined]


def test_it_counts_by_theme_outcome_and_channel_with_not_yet_said_and_open(
    uow: UnitOfWork, silent: dict[str, Complaint]
) -> None:
    result = _year(uow)
    assert result.by_theme["not_yet_said"] == 2  # type: ignore[attr-defined]
    assert result.by_theme["disclosure"] == 1  # type: ignore[attr-defined]
    assert result.by_theme["recording"] == 1  # type: ignore[attr-defined]
    assert result.by_outcome["open"] == 3  # type: ignore[attr-defined]
    assert result.by_outcome["upheld"] == 1  # type: ignore[attr-defined]
    assert result.by_outcome["withdrawn"] == 1  # type: ignore[attr-defined]
    assert result.by_channel["email"] == 2  # type: ignore[attr-defined]
    assert sum(result.by_month.values()) == 5  # type: ignore[attr-defined]
    assert result.by_month["2026-09"] == 1  # type: ignore[attr-defined]
    assert result.by_month["2026-10"] == 2  # type: ignore[attr-defined]


def test_a_silent_register_gives_no_outcome_target_figures(
    uow: UnitOfWork, silent: dict[str, Complaint]
) -> None:
    """CMP-01: without a promised time nothing is late against one, and nothing says so."""
    result = _year(uow)
    assert result.target_stated is False  # type: ignore[attr-defined]
    assert sum(result.outcome_target.values()) == 0  # type: ignore[attr-defined]
    keys = {(figure, key) for figure, key, _ in result.rows()}  # type: ignore[attr-defined]
    assert ("outcome_target", "with_target") in keys
    assert ("outcome_target", "late") not in keys
    assert ("outcome_target", "on_time") not in keys
    # The upheld one took 20 days; the withdrawn one gave no outcome.
    assert result.median_days_to_outcome == 20  # type: ignore[attr-defined]


def test_the_outcome_target_counts_on_time_late_and_overdue(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """CMP-01: the outcome by the register's 20 days, late, or open past it."""
    set_up_shop(uow, clock, TODAY, 20)
    kept = open_on(uow, date(2026, 10, 1))  # target 21 October
    close_on(uow, kept, date(2026, 10, 15), "partly_upheld")
    missed = open_on(uow, date(2026, 10, 1))
    close_on(uow, missed, date(2026, 10, 30), "not_upheld")
    overdue = open_on(uow, date(2026, 10, 20))  # target 9 November
    acknowledge_on(uow, overdue, date(2026, 10, 21))
    open_on(uow, date(2026, 11, 20))  # target 10 December
    withdrawn = open_on(uow, date(2026, 10, 2))
    close_on(uow, withdrawn, date(2026, 10, 3), "withdrawn")
    result = _year(uow)
    assert result.with_target == 5  # type: ignore[attr-defined]
    assert dict(result.outcome_target) == {  # type: ignore[attr-defined]
        "on_time": 1,
        "late": 1,
        "overdue": 1,
        "waiting": 1,
    }
    assert result.median_days_to_outcome == 21.5  # type: ignore[attr-defined]  # 14 and 29
    assert result.outcome_overdue == 1  # type: ignore[attr-defined]
    assert [c.ref for c in result.overdue] == [overdue.ref]  # type: ignore[attr-defined]
    assert result.overdue[0].outcome_overdue  # type: ignore[attr-defined]
    assert not result.overdue[0].acknowledgement_overdue  # type: ignore[attr-defined]


def test_overdue_complaints_are_listed_from_any_month(
    uow: UnitOfWork, silent: dict[str, Complaint]
) -> None:
    """CMP-01: the open complaint past its 30 days is listed, even outside the period."""
    result = figures(uow, parse_period("2026-11", "2026-11", TODAY), SHOP)
    assert result.received == 2
    assert [c.ref for c in result.overdue] == [silent["overdue"].ref]
    assert (result.acknowledgement_overdue, result.outcome_overdue) == (1, 0)
    assert figures(uow, parse_period("", "", TODAY), "another_org").overdue == []


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026-13", "", "from must be a month"),
        ("", "26-11", "to must be a month"),
        ("2026-11", "2026-10", "must end on or after"),
        ("2020-01", "2026-11", "at most 60 months"),
    ],
)
def test_a_period_is_read_strictly(since: str, until: str, message: str) -> None:
    with pytest.raises(FiguresInvalid, match=message):
        parse_period(since, until, TODAY)


def test_the_default_period_is_the_last_12_uk_months() -> None:
    period = parse_period("", "", date(2026, 1, 10))
    assert (period.first, period.last) == (date(2025, 2, 1), date(2026, 1, 31))


def _csv_rows(chunks: Iterator[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(chunks))))


def test_the_complaint_log_has_no_personal_data_and_guards_formulas(
    uow: UnitOfWork, silent: dict[str, Complaint]
) -> None:
    """CMP-01's record for an audit: refs, codes, dates and late flags; never the
    complainant. A stored value that looks like a formula is written as text."""
    request = open_request(
        uow,
        NewRequest(SHOP, ("access",), "post", date(2026, 10, 1), Requester("Ann Smith")),
        actor="user:u_case",
    )
    link_request(uow, SHOP, silent["late"].ref, request.ref, actor="user:u_case")
    uow.session.execute(
        update(Complaint).where(Complaint.id == silent["waiting"].id).values(channel="=SUM(A1:A9)")
    )
    uow.commit()
    text = "".join(complaint_log(uow, SHOP, None, TODAY))
    for personal in (ANN.name, ANN.email, ANN.words, "Ann", "neighbour"):
        assert personal not in text
    rows = {row["ref"]: row for row in _csv_rows(iter([text]))}
    assert len(rows) == 5
    late = rows[silent["late"].ref]
    assert (late["acknowledgement_late"], late["request_refs"]) == ("yes", request.ref)
    assert rows[silent["on_time"].ref]["acknowledgement_late"] == "no"
    assert rows[silent["overdue"].ref]["acknowledgement_late"] == "yes"
    assert rows[silent["on_time"].ref]["outcome_late"] == ""  # no target: no flag
    assert rows[silent["waiting"].ref]["channel"] == "'=SUM(A1:A9)"


def test_figures_csv_holds_what_the_page_shows(
    uow: UnitOfWork, silent: dict[str, Complaint]
) -> None:
    rows = _csv_rows(figures_csv(_year(uow)))  # type: ignore[arg-type]
    found = {(r["figure"], r["key"]): r["value"] for r in rows}
    assert found[("received", "total")] == "5"
    assert found[("acknowledgement", "late")] == "1"
    assert found[("by_theme", "not_yet_said")] == "2"
    assert found[("overdue_today", "acknowledgement")] == "1"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"])
def test_a_formula_is_written_as_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


# The console pages, on the web fixture's organisation.


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _web_complaints(app: FastAPI) -> list[str]:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        today = today_of(uow)
        who = Complainant(name="Zed Quill", email="zed@example.com", words="Secret words here")
        late = open_complaint(
            uow,
            NewComplaint(ORG, "email", date(2026, 9, 1), who, theme="security"),
            actor="user:u_case",
        )
        fresh = open_complaint(uow, NewComplaint(ORG, "post", today, who), actor="user:u_case")
        uow.commit()
        return [late.ref, fresh.ref]


def test_the_figures_page_shows_the_counts_and_the_overdue(app: FastAPI) -> None:
    refs = _web_complaints(app)
    client = signed_in(app, "dpo@acme.example", "dpo")
    page = client.get("/console/complaints/figures", params={"org": ORG})
    assert page.status_code == 200
    assert 'data-count="theme-security">1<' in page.text
    assert 'data-count="ack-overdue">1<' in page.text
    assert refs[0] in page.text  # overdue: listed
    assert refs[1] not in page.text  # in time: not listed
    assert "promises no time for the outcome" in page.text
    assert "Zed" not in page.text


def test_a_bad_period_is_said_and_the_last_12_months_shown(app: FastAPI) -> None:
    client = signed_in(app, "dpo@acme.example", "dpo")
    page = client.get("/console/complaints/figures", params={"from": "2026-13"})
    assert page.status_code == 200
    assert "From must be a month like 2026-11" in page.text
    assert 'value="2025-12"' in page.text  # the fixture clock's 12 months: Dec 2025 to Nov 2026


def test_the_csvs_download_without_personal_data(app: FastAPI) -> None:
    refs = _web_complaints(app)
    client = signed_in(app, "case@acme.example", "caseworker")
    log = client.get("/console/complaints/export.csv", params={"org": ORG})
    assert log.status_code == 200
    assert log.headers["content-type"].startswith("text/csv")
    assert all(ref in log.text for ref in refs), log.text
    assert "Zed" not in log.text
    assert "zed@example.com" not in log.text
    numbers = client.get("/console/complaints/figures.csv", params={"org": ORG})
    assert "received,total,2" in numbers.text
    bad = client.get("/console/complaints/figures.csv", params={"to": "x"})
    assert bad.status_code == 422


def test_an_auditor_cannot_see_the_figures(app: FastAPI) -> None:
    client = signed_in(app, "audit@acme.example", "auditor")
    assert client.get("/console/complaints/figures").status_code == 403
