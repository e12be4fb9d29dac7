"""From the portal form to a proven identity, in Chromium (issue 16, SAR-05).

A person the organisation already knows (a subject with their email address on record)
asks through the portal with that address, opens the status link from the acknowledgement,
goes to "prove it is you", asks for a code, and types it: first a wrong one (a clear
message, nothing proven), then the one emailed. The status page then says they are proven
and gives the due date.

The portal does not link a request to a subject by itself (a caseworker does, from the
candidates the request page lists: ``requests.matching``), so the test links it through
``transitions.link_subject`` as a caseworker would, before the requester proves anything.
Screenshots of the verify and status pages at 1280 and 375 px go to /tmp/shots-w2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from server_db import latest_message_text, server_uow, six_digits
from sqlalchemy import select
from test_browser import WEB_FIXTURES, Server, running_server

from dataward.requests.models import RightsRequest
from dataward.requests.transitions import Step, link_subject

pytestmark = pytest.mark.browser

ORG = "acme_widgets"
EMAIL = "robin.known@example.com"
SHOTS = Path("/tmp/shots-w2")
axe = Axe()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(WEB_FIXTURES, tmp_path_factory.mktemp("serve-verify")) as started:
        yield started


def _look(page: Page, name: str) -> list[str]:
    """Screenshots at both widths; serious axe findings and sideways overflow as problems."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"portal-{name}-{width}.png", full_page=True)
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                problems.append(f"{name} at {width}px: {violation['id']}")
        if page.evaluate("document.documentElement.scrollWidth") > width + 1:
            problems.append(f"{name} at {width}px is wider than the screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def _link_as_caseworker(server: Server, reference: str, subject_ref: str) -> None:
    with server_uow(server) as uow:
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == reference)).one()
        link_subject(uow, ORG, row.ref, subject_ref, Step("user:caseworker", uow.clock.today()))
        uow.commit()


def _state(server: Server, reference: str) -> tuple[str, str | None]:
    with server_uow(server) as uow:
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == reference)).one()
        return row.state, row.identity_method


def _send_the_form(page: Page, server: Server) -> str:
    page.goto(f"{server.base}/orgs/{ORG}/request")
    page.get_by_label("A copy of your data (access)").check()
    page.get_by_label("I am asking for myself").check()
    page.get_by_label("Your full name").fill("Robin Known")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your request has been sent"
    )
    found = re.search(r"q_[0-9a-f]{16}", page.get_by_role("status").inner_text())
    assert found is not None
    return found.group(0)


# RULES: SAR-05
def test_a_known_person_proves_it_is_them_with_an_emailed_code(
    browser: Browser, server: Server
) -> None:
    subject_ref = server.cli(
        "subject", "add", "--org", ORG, "-g", "customers", "-i", f"email={EMAIL}"
    ).strip()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    reference = _send_the_form(page, server)
    _link_as_caseworker(server, reference, subject_ref)
    link = re.search(
        r"http://\S+/requests/status/\S+", latest_message_text(server, "request_acknowledged")
    )
    assert link is not None

    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your request {reference}")
    expect(page.get_by_role("heading", name="Prove it is you")).to_be_visible()
    problems = _look(page, "status-before")
    page.get_by_role("link", name="Send me a code").click()
    expect(page).to_have_url(re.compile(r"/verify$"))
    problems += _look(page, "verify")
    page.get_by_role("button", name="Send me a code").click()

    # Back on the verify page, where the code is typed, told to look in the mailbox.
    expect(page).to_have_url(re.compile(r"/verify\?verify=sent$"))
    expect(page.locator("#verify-result")).to_contain_text("We have emailed you a code")
    code = six_digits(latest_message_text(server, "request_code"))
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_label("The code from the email").fill(wrong)
    page.get_by_role("button", name="Check my code").click()
    expect(page.locator("#verify-result")).to_have_text(
        "That is not the code. Please check the email and try again."
    )
    problems += _look(page, "verify-wrong")
    assert _state(server, reference)[1] is None  # a wrong code proves nothing

    page.get_by_label("The code from the email").fill(code)
    page.get_by_role("button", name="Check my code").click()
    expect(page).to_have_url(re.compile(r"/requests/status/[^/]+\?verify=verified$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your request {reference}")
    expect(page.locator("#verify-result")).to_contain_text("that proves who you are")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Due by")
    expect(facts).to_contain_text(re.compile(r"Due by\s*\d{1,2} \w+ \d{4}"))
    expect(page.get_by_role("heading", name="Prove it is you")).to_have_count(0)
    problems += _look(page, "status-verified")
    assert _state(server, reference) == ("in_progress", "email_code")
    context.close()
    assert not problems, "\n".join(problems)
