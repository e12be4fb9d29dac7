"""A complaint from the portal to its outcome, in Chromium and a real SMTP server (issue 17).

CMP-01: a person finds the complaint form from the published notice, says what happened,
sends it and reads their reference on the thank-you page. A caseworker closes the complaint
(upheld, with an explanation) through the service; the server's built-in worker delivers
the queued emails to an aiosmtpd server; the outcome email carries the explanation and the
route to the ICO from the register, and its status link opens a page showing the outcome.
The form, the thank-you page and the status page are screenshot at 1280 and 375 px (kept
out of the repository), checked by axe and for sideways overflow.
"""

from __future__ import annotations

import email
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from server_db import server_uow
from sqlalchemy import select
from test_browser import WEB_FIXTURES, Server, running_server

from dataward.clock import in_uk_time
from dataward.complaints.models import Complaint
from dataward.complaints.status_links import status_address, status_link_token
from dataward.complaints.steps import Step, close

pytestmark = pytest.mark.browser

ORG = "acme_widgets"
SHOTS = Path(os.environ.get("DATAWARD_SCREENSHOTS_PORTAL", "/tmp/shots-portal"))
WIDTHS = (1280, 375)
EXPLANATION = "We sent your letter to the wrong address. We have corrected our records."
axe = Axe()


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            parsed = email.message_from_bytes(envelope.content, policy=default_policy)
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(inbox: Inbox) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    with smtp_server(box) as port:
        yield box, port


@pytest.fixture(scope="module")
def fixture_server(
    tmp_path_factory: pytest.TempPathFactory, inbox: tuple[Inbox, int]
) -> Iterator[Server]:
    """The server, whose built-in worker sends through the test SMTP server."""
    folder = tmp_path_factory.mktemp("serve-complaints")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAWARD_MAIL_SENDER", "smtp")
        patch.setenv("DATAWARD_MAIL_FROM", "privacy@acme.example")
        patch.setenv("DATAWARD_SMTP_HOST", "127.0.0.1")
        patch.setenv("DATAWARD_SMTP_PORT", str(inbox[1]))
        patch.setenv("DATAWARD_SMTP_SECURITY", "none")
        patch.setenv("DATAWARD_WORKER_IDLE_SECONDS", "0.2")
        with running_server(WEB_FIXTURES, folder) as server:
            yield server


def _look(page: Page, name: str) -> list[str]:
    """Screenshots at each width; serious axe findings and sideways overflow as problems."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"complaint-{name}-{width}.png", full_page=True)
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                problems.append(f"{name} at {width}px: {violation['id']}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width + 1:
            problems.append(f"{name} at {width}px is {wide}px wide")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def _close_upheld(server: Server, reference: str) -> None:
    """A caseworker closes the complaint, upheld, as the console or API would."""
    secret = server.env["DATAWARD_SECRET_KEY"].encode()
    with server_uow(server) as uow:
        row = uow.session.scalars(select(Complaint).where(Complaint.ref == reference)).one()
        token, _ = status_link_token(secret, uow.clock, row)
        today = in_uk_time(uow.clock.now()).date()
        step = Step("user:u_case", today, link=status_address(server.base, token))
        close(uow, ORG, reference, "upheld", EXPLANATION, step)
        uow.commit()


def _delivered(box: Inbox, count: int) -> list[EmailMessage]:
    """The messages the worker has delivered, once ``count`` have arrived (20 s at most)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with box.lock:
            if len(box.messages) >= count:
                return list(box.messages)
        time.sleep(0.1)
    raise AssertionError(f"{len(box.messages)} of {count} messages arrived")


def _text(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_a_person_complains_and_reads_the_outcome_with_the_ico_route(
    browser: Browser, fixture_server: Server, inbox: tuple[Inbox, int]
) -> None:
    """CMP-01: an electronic form, a reference and acknowledgement at once, the outcome
    told with the route to the ICO."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{fixture_server.base}/orgs/{ORG}/notice")
    page.get_by_role("link", name="Make a complaint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a complaint")
    expect(page.get_by_text("You can complain to the ICO.")).to_be_visible()
    problems = _look(page, "form")

    page.get_by_label("What happened?").fill("You posted my bank statement to my neighbour.")
    page.get_by_label("What is it about?").select_option("disclosure")
    page.get_by_label("I am complaining for myself").check()
    page.get_by_label("Your full name").fill("Pat Jones")
    page.get_by_label("Email address").fill("pat.jones@example.com")
    page.get_by_label("By email").check()
    page.get_by_role("button", name="Send my complaint").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your complaint has been sent"
    )
    panel = page.get_by_role("status")
    expect(panel).to_contain_text("Your reference is c_")
    found = re.search(r"c_[0-9a-f]{16}", panel.inner_text())
    assert found is not None
    reference = found.group(0)
    expect(page.locator("dl.facts")).to_contain_text("Acknowledged")
    problems += _look(page, "thanks")

    _close_upheld(fixture_server, reference)
    messages = _delivered(inbox[0], 2)
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == [
        f"The outcome of your complaint ({reference})",
        f"We have your complaint {reference}",
    ]
    assert all(m["To"] == "pat.jones@example.com" for m in messages)
    outcome = next(m for m in messages if "outcome" in str(m["Subject"]))
    body = _text(outcome)
    assert "We upheld your complaint" in body
    assert EXPLANATION in re.sub(r"\s+", " ", body)
    assert "https://ico.org.uk/make-a-complaint/" in body
    assert "You can complain to the ICO." in body
    link = re.search(r"http://\S+/complaints/status/\S+", body)
    assert link is not None
    acknowledgement = next(m for m in messages if "We have" in str(m["Subject"]))
    assert "/complaints/status/" in _text(acknowledgement)

    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    visitor.goto(link.group(0))
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"Your complaint {reference}")
    expect(visitor.get_by_role("status")).to_contain_text("We upheld your complaint")
    expect(visitor.locator("dl.facts")).to_contain_text("Closed")
    expect(visitor.get_by_text(EXPLANATION)).to_be_visible()
    expect(visitor.get_by_role("link", name="The outcome of your complaint")).to_be_visible()
    problems += _look(visitor, "status")
    visitor.get_by_role("link", name="The outcome of your complaint").click()
    expect(visitor.get_by_role("heading", name="Complaining to the ICO")).to_be_visible()
    visitor.context.close()
    context.close()
    assert not problems, "\n".join(problems)


def test_a_refused_complaint_keeps_what_was_typed(browser: Browser, fixture_server: Server) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{fixture_server.base}/orgs/{ORG}/complain")
    page.get_by_label("What happened?").fill("You lost my file.")
    page.get_by_label("I am complaining for someone else").check()
    page.get_by_label("The name of the person you are complaining for").fill("Sam Smith")
    page.get_by_label("Your full name").fill("Alex Carer")
    page.get_by_label("Email address").fill("alex@example.com")
    page.get_by_role("button", name="Send my complaint").click()
    expect(page.get_by_role("alert")).to_contain_text("in what role")
    expect(page.get_by_label("What happened?")).to_have_value("You lost my file.")
    expect(page.get_by_label("The name of the person you are complaining for")).to_have_value(
        "Sam Smith"
    )
    problems = _look(page, "refused")
    context.close()
    assert not problems, "\n".join(problems)
