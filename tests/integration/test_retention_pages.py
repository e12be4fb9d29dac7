"""The console's retention pages (issue 20): the organisation's retention today, and a rule's
register view. Rules: RET-01 (rules, due), RET-02 and ERA-02 (holds), RES-01 (restriction).

JTR's register and the demo agency's schema with explicit dates (``test_retention_plan``'s
fixtures); today is 25 November 2026. Every number the page shows is checked against
``plan_retention`` made on the same data.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "retention"))
from retention_site import console_with_site
from test_retention_plan import (
    ORG,
    _customer,
    _restricting_register,
    _subject_hold,
)
from web_support import signed_in

from dataward.clock import FixedClock
from dataward.consent.objections import restrict
from dataward.demo.sources import OPERATIONAL_URL_FROM
from dataward.holds.service import NewHold, place_hold
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.retention.plan import RetentionPlan, plan_retention
from dataward.uow import UnitOfWork

PAGE = "/console/retention"


@pytest.fixture
def app(
    database_url: str,
    clock: FixedClock,
    vault: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FastAPI]:
    yield from console_with_site(database_url, clock, vault, tmp_path, monkeypatch)


def _plan(app: FastAPI, clock: FixedClock | None = None) -> RetentionPlan:
    state = app.state
    with UnitOfWork(state.session_factory, clock or state.clock, state.vault) as uow:
        return plan_retention(uow, ORG)


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _text(node: Tag) -> str:
    """The text a reader sees, spaces as in the page."""
    return " ".join(node.get_text(" ").split())


def _rows(soup: BeautifulSoup, table: str) -> dict[tuple[str, str], Tag]:
    """A table's rows by (rule id, table), read from the rule link and the table cell."""
    found = {}
    for tr in soup.select(f"table.{table} tbody tr"):
        rule = str(tr.th.a["href"]).split("/")[-1].split("?")[0]
        where = tr.select_one("td[data-label=Table]").get_text(strip=True)
        found[(rule, where)] = tr
    return found


def _cell(row: Tag, label: str) -> str:
    return _text(row.select_one(f'td[data-label="{label}"]'))


def _items(row: Tag, label: str) -> list[str]:
    """A cell's list, an item each: what holds keep the rows, the days they fall due."""
    return [" ".join(li.get_text().split()) for li in row.select(f'td[data-label="{label}"] li')]


# RULES: RET-01, RET-02
def test_ret01_the_page_shows_the_plans_numbers_per_rule_and_table(app: FastAPI) -> None:
    client = signed_in(app, "dpo@jtr.example", "dpo")
    page = client.get(PAGE)
    assert page.status_code == 200
    soup = _soup(page.text)
    assert "as of 25 November 2026" in _text(soup)
    plan = _plan(app)
    due, held, overdue = (
        _rows(soup, "retention-due"),
        _rows(soup, "retention-held"),
        _rows(soup, "retention-overdue"),
    )
    checked = 0
    for rule in plan.rules:
        for dataset in rule.datasets:
            for b in dataset.bindings:
                key = (rule.rule, f"{b.connection}.{b.table}")
                if b.status == "planned" and b.to_act_on:
                    assert _cell(due[key], "Due now, not held") == str(b.to_act_on)
                    assert _cell(overdue[key], "Rows") == str(b.to_act_on)
                    checked += 1
                if b.status == "planned" and b.held_any:
                    assert _cell(held[key], "Due") == str(b.due)
                    assert _cell(held[key], "Held") == str(b.held_any)
                    checked += 1
                if b.status == "planned" and not b.held_any:
                    assert key not in held
    assert checked >= 6  # BWV, calls and customers at least, each due and held
    bwv = ("body_worn_video", "demo_operational.body_worn_video")
    # Due 4 on or before 27 August, 2 held (a complaint and an investigation), 2 to act on;
    # one more falls due tomorrow (RET-01, RET-02).
    assert _cell(due[bwv], "Falling due this week") == "26 November 2026: 1 row"
    assert _items(held[bwv], "Held by") == [
        "Complaint on the case (open in the source): 1 row",
        "Investigation on the case (open in the source): 1 row",
    ]
    assert "not run yet" in _cell(overdue[bwv], "Why")
    assert _cell(overdue[bwv], "Last run") == "not run yet"
    customers = held[("customer_data", "demo_operational.debtors")]
    assert _items(customers, "Held by") == [
        "Live case (open in the source): 1 row",
        "a later case returned to the client is still to come (counted from the latest): 1 row",
    ]
    # Counts only: a value of a row never shows (a call's caller number, a debtor's name).
    assert "07700900000" not in page.text
    assert "AB1 2CD" not in page.text


# RULES: RET-01 (reported, never guessed)
def test_ret01_a_vague_rule_is_listed_as_needing_a_decision(app: FastAPI) -> None:
    client = signed_in(app, "case@jtr.example", "caseworker")
    soup = _soup(client.get(PAGE).text)
    decide = soup.select_one("ul.retention-decide").get_text(" ")
    assert "as soon as reasonably necessary" in decide
    link = soup.select_one("ul.retention-decide a")
    assert link["href"] == f"/console/retention/rules/vulnerability_evidence?org={ORG}"
    unbound = soup.select_one("ul.retention-unbound").get_text(" ")
    assert "trigger not bound on demo_operational.new_occupiers" in unbound
    every = [_text(li) for li in soup.select("ul.retention-rules li")]
    assert every[0] == (
        "Customer data due where the latest case returned to the client is on or before "
        "31 December 2019"
    )


# RULES: RET-02, ERA-02
def test_ret02_a_legal_hold_is_named_and_links_to_its_page(app: FastAPI) -> None:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        hold = place_hold(
            uow,
            NewHold(
                ORG,
                "case",
                "DPO",
                date(2027, 1, 1),
                hold_id="complaint_on_case",
                case_ref="CASE1",
                datasets=("body_worn_video",),
            ),
            actor="dpo",
        )
        ref = hold.ref
        uow.commit()
    soup = _soup(signed_in(app, "dpo@jtr.example", "dpo").get(PAGE).text)
    bwv = _rows(soup, "retention-held")[("body_worn_video", "demo_operational.body_worn_video")]
    link = bwv.select_one(f'a[href="/console/holds/{ORG}/{ref}"]')
    assert link is not None
    assert link.get_text() == f"legal hold {ref}"
    assert f"legal hold {ref}: 1 row" in _items(bwv, "Held by")
    assert _cell(bwv, "Held") == "3"


# RULES: RES-01, RET-02 (a restriction where the rule says so; a hold on a person)
def test_res01_a_restriction_and_a_hold_on_a_person_are_said_in_words(
    app: FastAPI, tmp_path: Path
) -> None:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        store_register(uow, load_register(_restricting_register(tmp_path)), actor="test")
        restrict(uow, ORG, _customer(uow, "C2").ref, [], "legal_claims", actor="dpo")
        label = _subject_hold(uow, _customer(uow, "C1"), "customers")
        uow.commit()
    client = signed_in(app, "dpo@jtr.example", "dpo")
    soup = _soup(client.get(PAGE).text)
    held = _rows(soup, "retention-held")
    bwv = held[("body_worn_video", "demo_operational.body_worn_video")]
    assert "the person has asked for restriction (RES-01): 2 rows" in _items(bwv, "Held by")
    assert (_cell(bwv, "Due"), _cell(bwv, "Held")) == ("4", "3")
    restricted = _text(soup.select_one("p.retention-restrictions"))
    assert restricted == (
        "1 person with a restriction in force: their rows are held for "
        "BWV recordings of visit interactions (RES-01)."
    )
    on_person = _text(soup.select_one("p.retention-subject-holds"))
    assert on_person.startswith("1 legal hold on a person in force for Customer data")
    debtors = held[("customer_data", "demo_operational.debtors")]
    ref = label.removeprefix("legal_hold:")
    assert f"legal hold {ref}: 1 row" in _items(debtors, "Held by")
    rule = _soup(client.get(f"{PAGE}/rules/body_worn_video").text)
    facts = _text(rule.select_one("dl.retention-rule"))
    assert "Yes: a restriction in force keeps the person's data (RES-01)" in facts


# RULES: RET-01 (a look ahead)
def test_ret01_as_of_looks_ahead_with_the_plan_of_that_day(app: FastAPI) -> None:
    page = signed_in(app, "dpo@jtr.example", "dpo").get(f"{PAGE}?org={ORG}&as_of=2026-11-26")
    assert page.status_code == 200
    soup = _soup(page.text)
    assert "as of 26 November 2026" in _text(soup)
    ahead = _plan(app, FixedClock(datetime(2026, 11, 26, 12, tzinfo=UTC)))
    bwv_plan = next(r for r in ahead.rules if r.rule == "body_worn_video").datasets[0].bindings[0]
    # The recording of 28 August is due a day later, held by the complaint open on its case.
    assert (bwv_plan.due, bwv_plan.held_any, bwv_plan.to_act_on) == (5, 3, 2)
    bwv = ("body_worn_video", "demo_operational.body_worn_video")
    held = _rows(soup, "retention-held")[bwv]
    assert (_cell(held, "Due"), _cell(held, "Held")) == ("5", "3")
    row = _rows(soup, "retention-due")[bwv]
    assert _cell(row, "Due now, not held") == "2"
    # Links to a rule keep the day.
    assert (
        row.th.a["href"] == f"/console/retention/rules/body_worn_video?org={ORG}&as_of=2026-11-26"
    )


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2026-13-01", "As of must be a date like 2026-11-25"),
        ("yesterday", "As of must be a date like 2026-11-25"),
        ("2026-11-24", "from today to 10 years ahead"),
        ("2040-01-01", "from today to 10 years ahead"),
    ],
)
def test_ret01_a_bad_as_of_is_refused_on_the_page_and_todays_plan_shown(
    app: FastAPI, typed: str, says: str
) -> None:
    page = signed_in(app, "dpo@jtr.example", "dpo").get(PAGE, params={"as_of": typed})
    assert page.status_code == 422
    soup = _soup(page.text)
    flash = soup.select_one(".flash--error").get_text(" ")
    assert says in flash
    assert "(code " in flash
    assert "Traceback" not in page.text
    assert "as of 25 November 2026" in _text(soup)
    assert soup.select_one("#f-as-of")["value"] == typed


def test_ret01_an_as_of_longer_than_a_filter_takes_is_refused_without_a_traceback(
    app: FastAPI,
) -> None:
    page = signed_in(app, "dpo@jtr.example", "dpo").get(PAGE, params={"as_of": "9" * 200})
    # Longer than any day: refused before the route runs, with the error page.
    assert page.status_code == 400
    assert "Traceback" not in page.text
    assert "9" * 200 not in page.text


# RULES: RET-01 (a source that cannot be reached waits: overdue, with why)
def test_ret01_a_source_that_cannot_be_reached_is_overdue_with_why(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OPERATIONAL_URL_FROM, f"sqlite:///{Path('/nonexistent') / 'agency.db'}")
    soup = _soup(signed_in(app, "dpo@jtr.example", "dpo").get(PAGE).text)
    bwv = _rows(soup, "retention-overdue")[("body_worn_video", "demo_operational.body_worn_video")]
    assert _cell(bwv, "Rows") == "not counted"
    assert "waits" in _cell(bwv, "Why")
    assert "cannot be reached" in _cell(bwv, "Why")
    assert soup.select_one("table.retention-due") is None
    assert "Nothing is due by 25 November 2026" in _text(soup)


def test_ret01_an_organisation_with_no_sources_file_says_so(app: FastAPI) -> None:
    page = signed_in(app, "dpo@jtr.example", "dpo").get(f"{PAGE}?org=acme_widgets")
    assert page.status_code == 200
    assert "No sources file is stored for acme_widgets yet" in page.text
    assert "sources_not_found" in page.text


# RULES: RET-01, RET-02, RES-01 (the register view)
def test_ret01_a_rules_page_says_the_rule_in_words_and_its_plan_per_table(app: FastAPI) -> None:
    client = signed_in(app, "dpo@jtr.example", "dpo")
    page = client.get(f"{PAGE}/rules/body_worn_video?org={ORG}")
    assert page.status_code == 200
    soup = _soup(page.text)
    facts = soup.select_one("dl.retention-rule").get_text(" ")
    assert "90 days after BWV recording made" in facts
    assert "Deleted" in facts
    assert "Complaint on the case, on the case" in facts
    assert "When it ends: kept for 90 days after the hold ends, then the rule applies" in facts
    assert "a restriction does not stop this rule" in facts
    assert "Due where BWV recording made is on or before 27 August 2026." in _text(soup)
    row = soup.select_one("table.retention-rule-plan tbody tr")
    assert (_cell(row, "Due"), _cell(row, "Held"), _cell(row, "To act on")) == ("4", "2", "2")
    assert _cell(row, "Last run") == "not run yet"
    vague = _soup(client.get(f"{PAGE}/rules/vulnerability_evidence?org={ORG}").text)
    assert "Needs decision: the period is 'as soon as reasonably necessary'" in _text(vague)
    missing = client.get(f"{PAGE}/rules/no_such_rule?org={ORG}")
    assert missing.status_code == 404
    assert "no retention rule" in missing.text


def test_ret01_who_may_see_retention(app: FastAPI) -> None:
    """The readers of legal holds: admin, DPO and caseworker; never an auditor."""
    for user, role in (("admin@x", "admin"), ("dpo@x", "dpo"), ("case@x", "caseworker")):
        client = signed_in(app, user, role)
        page = client.get(PAGE)
        assert page.status_code == 200, role
        assert _soup(page.text).select_one(f'.site-nav a[href="{PAGE}"]') is not None
        assert client.get(f"{PAGE}/rules/body_worn_video").status_code == 200
    auditor = signed_in(app, "aud@x", "auditor")
    assert auditor.get(PAGE).status_code == 403
    assert auditor.get(f"{PAGE}/rules/body_worn_video").status_code == 403
    assert _soup(auditor.get("/console").text).select_one(f'a[href="{PAGE}"]') is None
    anonymous = TestClient(app).get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
