"""A caseworker enters a postal request and extends it, in Chromium (issue 16).

The server's wall clock is moved by time_machine to Friday 6 November 2026, 10:00 UTC, so
the dates on the pages are the same whenever the test runs. R3 Repairs is a Scottish
controller: a request received on Friday 30 October is due one month later, on Monday 30
November, St Andrew's Day (a Scottish bank holiday), so on Tuesday 1 December 2026
(SAR-01, SAR-03). Extended (SAR-04), three months from 30 October is Saturday 30 January
2027, so Monday 1 February 2027. These dates are worked out by hand, not by dataward.

The queue, the request page and the confirmation are photographed at 1280 and 375 px into
/tmp/shots-bench/ (outside the repository) and must not scroll sideways at 375 px.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import EXAMPLES, Server, running_server, sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-bench")
TODAY = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)
ORG = "r3_repairs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(EXAMPLES, tmp_path_factory.mktemp("serve-requests"), at=TODAY) as up:
        yield up


@pytest.fixture
def caseworker(browser: Browser, server: Server) -> Iterator[Page]:
    made = server.cli("user", "create", "cara", "--role", "caseworker")
    password = made.split("password: ")[1].split()[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "cara", password)
    expect(page.get_by_role("navigation", name="Site")).to_be_visible()
    yield page
    context.close()


def shoot(page: Page, name: str) -> None:
    """Screenshots at both widths; at 375 px the page must not scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
        if width == 375:
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 375, f"{name} is {wide} px wide at 375 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_caseworker_enters_a_postal_request_and_extends_it(
    caseworker: Page, server: Server
) -> None:
    """SAR-10 (a request by post, entered on a later day), SAR-01/SAR-03 (due in the
    controller's nation), SAR-04 (extended once, with reasons, confirmed first)."""
    page = caseworker
    page.goto(server.base + "/console/requests")
    page.get_by_role("link", name="Enter a request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter a request")
    page.get_by_label("Organisation").select_option(ORG)
    page.get_by_label("access", exact=True).check()
    page.get_by_label("How it came").select_option("post")
    page.get_by_label("Received on").fill("2026-10-30")
    page.get_by_label("Requester's name").fill("Morag Campbell")
    page.get_by_label("Postal address").fill("12 Harbour Road, Oban")
    page.get_by_label("The request, in their words").fill("Please send me my repair records.")
    page.get_by_role("button", name="Open the request").click()

    expect(page).to_have_url(re.compile(rf"/console/requests/{ORG}/q_[0-9a-f]{{16}}$"))
    ref = page.url.rsplit("/", 1)[1]
    expect(page.locator(".flash--success")).to_contain_text(f"Request {ref} opened.")

    page.goto(server.base + f"/console/requests?org={ORG}")
    row = page.get_by_role("row", name=re.compile(ref))
    expect(row).to_contain_text("1 December 2026")
    expect(row).to_contain_text("30 October 2026")
    expect(row).to_contain_text("post")
    shoot(page, "queue")

    row.get_by_role("link", name=ref).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {ref}")
    clock = page.get_by_role("region", name="Clock")
    expect(clock).to_contain_text("30 October 2026 by post")
    expect(clock).to_contain_text("1 December 2026")
    expect(clock).to_contain_text("SCT bank holidays")
    shoot(page, "request")

    page.locator("summary", has_text="Extend by two months").click()
    form = page.locator("form[action$='/steps/extend']")
    expect(form.get_by_label("Took effect on")).to_have_value("2026-11-06")
    form.get_by_label("Reason (required)").fill("Records are held at three depots.")
    form.get_by_role("button", name="Extend by two months…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Extend by two months")
    expect(page.locator("main")).to_contain_text("Takes effect on 2026-11-06.")
    shoot(page, "confirm-extend")
    page.get_by_role("button", name="Extend by two months").click()

    expect(page).to_have_url(re.compile(rf"/console/requests/{ORG}/{ref}$"))
    expect(page.locator(".flash--success")).to_contain_text("Extend by two months: done.")
    clock = page.get_by_role("region", name="Clock")
    expect(clock).to_contain_text("1 February 2027")
    expect(clock).to_contain_text("extended, SAR-04")
    history = page.locator("table.request-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("request.extended")
    expect(history.nth(1)).to_contain_text("6 November 2026")
    expect(history.nth(1)).to_contain_text("Records are held at three depots.")
    shoot(page, "request-extended")
