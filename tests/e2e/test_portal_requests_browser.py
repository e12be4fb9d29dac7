"""The portal's rights request form in Chromium, from the notice to the status page (issue 16).

A person finds the form from the published notice, ticks rights in plain words, sends it,
reads their reference and due date on the thank-you page, and opens the status link the
acknowledgement email carries (read from the queued message through the outbox, as the
worker would send it). The form, the thank-you page and the status page are screenshot at
1280 and 375 px (kept out of the repository), checked by axe and for sideways overflow.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from test_browser import WEB_FIXTURES, Server, running_server

from dataward.config import Settings
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import key_material
from dataward.db import make_engine, make_session_factory
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.uow import UnitOfWork

pytestmark = pytest.mark.browser

ORG = "acme_widgets"
SHOTS = Path(os.environ.get("DATAWARD_SCREENSHOTS_PORTAL", "/tmp/shots-portal"))
WIDTHS = (1280, 375)
axe = Axe()


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(WEB_FIXTURES, tmp_path_factory.mktemp("serve-portal")) as server:
        yield server


def _look(page: Page, name: str) -> list[str]:
    """Screenshots at each width; serious axe findings and sideways overflow as problems."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                problems.append(f"{name} at {width}px: {violation['id']}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width + 1:
            problems.append(f"{name} at {width}px is {wide}px wide")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def _acknowledgement(server: Server) -> str:
    """The plain text of the one queued acknowledgement, decrypted as the worker would."""
    settings = Settings(
        database_url=server.env["DATAWARD_DATABASE_URL"],
        keystore_url=server.env["DATAWARD_KEYSTORE_URL"],
        kek=server.env["DATAWARD_KEK"],
        blind_index_key=server.env["DATAWARD_BLIND_INDEX_KEY"],
    )
    engine = make_engine(settings.database_url)
    vault = Vault.open(settings.keystore_url, key_material(settings))
    try:
        from dataward.clock import SystemClock

        with UnitOfWork(make_session_factory(engine), SystemClock(), vault) as uow:
            from sqlalchemy import select

            [message] = uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "request_acknowledged")
            ).all()
            mime = open_message(uow, message, MailSettings(mail_from="privacy@acme.example"))
            return str(mime.get_body(("plain",)).get_content())
    finally:
        vault.close()
        engine.dispose()


def test_a_person_makes_a_request_and_follows_it_by_its_status_link(
    browser: Browser, fixture_server: Server
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{fixture_server.base}/orgs/{ORG}/notice")
    problems = _look(page, "notice")
    page.get_by_role("link", name=re.compile("make a request to Acme Widgets")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a request about your data")
    problems += _look(page, "form")

    page.get_by_label("A copy of your data (access)").check()
    page.get_by_label("To delete your data (erasure)").check()
    page.get_by_label("Your request in your own words").fill("Everything you hold about me.")
    page.get_by_label("I am asking for myself").check()
    page.get_by_label("Your full name").fill("Pat Jones")
    page.get_by_label("Email address").fill("pat.jones@example.com")
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your request has been sent"
    )
    panel = page.get_by_role("status")
    expect(panel).to_contain_text("Your reference is q_")
    text = panel.inner_text()
    found = re.search(r"q_[0-9a-f]{16}", text)
    assert found is not None
    reference = found.group(0)
    due = re.search(r"answer by (\d{1,2} \w+ \d{4})", text)
    assert due is not None
    problems += _look(page, "thanks")

    body = _acknowledgement(fixture_server)
    assert reference in body
    assert due.group(1) in body
    link = re.search(r"http://\S+/requests/status/\S+", body)
    assert link is not None
    assert link.group(0).startswith(fixture_server.base)  # the server's own address

    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    visitor.goto(link.group(0))
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"Your request {reference}")
    facts = visitor.locator("dl.facts")
    expect(facts).to_contain_text("We have your request")
    expect(facts).to_contain_text(due.group(1))
    expect(visitor.get_by_text("A copy of your data (access)")).to_be_visible()
    problems += _look(visitor, "status")
    visitor.context.close()
    context.close()
    assert not problems, "\n".join(problems)


def test_a_refused_form_keeps_what_was_typed(browser: Browser, fixture_server: Server) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{fixture_server.base}/orgs/{ORG}/request")
    page.get_by_label("A copy of your data (access)").check()
    page.get_by_label("I am asking for someone else").check()
    page.get_by_label("You are asking as").select_option("solicitor")
    page.get_by_label("The name of the person you are asking for").fill("Sam Smith")
    page.get_by_label("Your full name").fill("Alex Lawyer")
    page.get_by_label("Email address").fill("alex@law.example")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("alert")).to_contain_text("authority")
    expect(page.get_by_label("The name of the person you are asking for")).to_have_value(
        "Sam Smith"
    )
    expect(page.get_by_label("A copy of your data (access)")).to_be_checked()
    problems = _look(page, "refused")
    context.close()
    assert not problems, "\n".join(problems)
