"""A whole erasure on the demo agency, in Chromium and a real SMTP server (issue 19).

ERA-01..03, NOT-01. One of the demo agency's debtors asks for erasure on the portal form with
the email address the agency holds; a caseworker links the request to them from the
candidates on the request's page; they prove it is them with the emailed code. The DPO (the
first administrator) records the ground in the request's Erasure panel, plans the erasure
(confirmed), reads the plan and approves it (confirmed); the server's built-in worker erases
the rows, and the plan page shows the evidence. The disclosure log says the agency's clients
received the debtor's customer record, so the clients are told (NOT-01): the notice arrives
in the aiosmtpd server.

The example register gives the clients no address: the test serves a copy of the examples
whose clients have an email address. The demo's own sources file says how each column goes
(the debtor's contact details are emptied) and keeps a debtor with a live case whole, so the
debtor asking has every case returned. The panel and the plan page are photographed in each state
at 1280 and 375 px into /tmp/shots-erasure (outside the repository), checked by axe and for
sideways overflow.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from server_db import latest_message_text, server_uow, six_digits
from sqlalchemy import create_engine, select, text
from test_browser import EXAMPLES, Server, running_server, sign_in
from test_portal_complaints_browser import Inbox, smtp_server

from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.subjects.models import Subject
from dataward.subjects.service import find_subjects

pytestmark = pytest.mark.browser

ORG = "jtr_collections"
SHOTS = Path(os.environ.get("DATAWARD_SCREENSHOTS_ERASURE", "/tmp/shots-erasure"))
CLIENTS_EMAIL = "data.changes@client.example"
PANEL = "section[aria-labelledby=erasure]"
axe = Axe()


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    with smtp_server(box) as port:
        yield box, port


def _examples_with_client_address(folder: Path) -> Path:
    """The examples, the agency's clients given an email address (NOT-01 needs one)."""
    copy = folder / "examples"
    shutil.copytree(EXAMPLES, copy)
    register = copy / "jtr-collections.yaml"
    source = register.read_text(encoding="utf-8")
    anchor = "  - id: clients\n    facts: [recipients.r1]\n    name: Our clients\n"
    assert anchor in source
    register.write_text(
        source.replace(
            anchor, anchor + f"    contacts: [{{kind: email, value: {CLIENTS_EMAIL}}}]\n", 1
        ),
        encoding="utf-8",
    )
    return copy


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, inbox: tuple[Inbox, int]) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve-erasure")
    examples = _examples_with_client_address(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAWARD_DEMO_SUBJECTS", "20")
        patch.setenv("DATAWARD_MAIL_SENDER", "smtp")
        patch.setenv("DATAWARD_MAIL_FROM", "privacy@jtr.example")
        patch.setenv("DATAWARD_SMTP_HOST", "127.0.0.1")
        patch.setenv("DATAWARD_SMTP_PORT", str(inbox[1]))
        patch.setenv("DATAWARD_SMTP_SECURITY", "none")
        patch.setenv("DATAWARD_WORKER_IDLE_SECONDS", "0.2")
        with running_server(examples, folder) as started:
            yield started


def _look(page: Page, name: str, part: str | None = None) -> list[str]:
    """Screenshots at both widths (and of ``part`` alone, the panel on a long page);
    serious axe findings and sideways overflow as problems."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"erasure-{name}-{width}.png", full_page=True)
        if part is not None:
            page.locator(part).screenshot(path=SHOTS / f"erasure-{name}-{width}-part.png")
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                problems.append(f"{name} at {width}px: {violation['id']}")
        if page.evaluate("document.documentElement.scrollWidth") > width + 1:
            problems.append(f"{name} at {width}px is wider than the screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def _agency_url(server: Server) -> str:
    """Where the server built the demo agency's own database (its settings' var_dir)."""
    var = Path(server.env.get("DATAWARD_VAR_DIR", "var"))
    return f"sqlite:///{var / 'demo-operational.db'}"


def _a_debtor(server: Server) -> tuple[str, str]:
    """A demo debtor with an email address and every case returned (no live case keeps
    them)."""
    engine = create_engine(_agency_url(server))
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT first_name || ' ' || last_name, email FROM debtors d "
                    "WHERE email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cases k "
                    "WHERE k.debtor_id = d.id AND k.returned_on IS NULL) ORDER BY id LIMIT 1"
                )
            ).one()
    finally:
        engine.dispose()
    return str(found[0]), str(found[1])


def _subject_of(server: Server, ref: str) -> str:
    """The subject the caseworker linked the request to."""
    with server_uow(server) as uow:
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        subject = uow.session.get(Subject, row.subject_id)
        assert subject is not None
        return subject.ref


def _send_the_form(page: Page, server: Server, name: str, email: str) -> str:
    page.goto(f"{server.base}/orgs/{ORG}/request")
    page.locator("input[name=rights][value=erasure]").check()
    page.get_by_label("I am asking for myself").check()
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your request has been sent"
    )
    found = re.search(r"q_[0-9a-f]{16}", page.get_by_role("status").inner_text())
    assert found is not None
    return found.group(0)


def _prove_it_is_them(page: Page, server: Server) -> None:
    link = re.search(
        r"http://\S+/requests/status/\S+", latest_message_text(server, "request_acknowledged")
    )
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("link", name="Send me a code").click()
    page.get_by_role("button", name="Send me a code").click()
    code = six_digits(latest_message_text(server, "request_code"))
    page.get_by_label("The code from the email").fill(code)
    page.get_by_role("button", name="Check my code").click()
    expect(page.locator("#verify-result")).to_contain_text("that proves who you are")


def _confirm(page: Page, button: str, confirm: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("button", name=confirm).click()


# RULES: ERA-01, ERA-02, ERA-03, NOT-01
def test_a_portal_erasure_request_is_planned_approved_erased_and_the_clients_told(
    browser: Browser, server: Server, inbox: tuple[Inbox, int]
) -> None:
    name, email = _a_debtor(server)
    public = browser.new_context(viewport={"width": 1280, "height": 900})
    reference = _send_the_form(public.new_page(), server, name, email)

    dpo = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(dpo, server, "admin", server.admin_password)
    request_page = f"{server.base}/console/requests/{ORG}/{reference}"
    dpo.goto(request_page)
    _confirm(dpo, "Link this subject…", "Link this subject")
    expect(dpo.locator("#erasure")).to_be_visible()
    _prove_it_is_them(public.new_page(), server)
    subject_ref = _subject_of(server, reference)
    # The disclosure log, first: the clients received her customer record.
    server.cli(
        "disclosure",
        "add",
        "--org",
        ORG,
        "--subject",
        subject_ref,
        "--recipient",
        "clients",
        "--purpose",
        "customer_business_need",
        "--on",
        "2026-03-02",
        "--dataset",
        "customers",
    )

    dpo.goto(request_page)
    panel = dpo.locator(PANEL)
    expect(panel).to_contain_text("None recorded yet")
    problems = _look(dpo, "panel-no-ground", PANEL)
    panel.get_by_label("The ground the subject relies on").select_option("consent_withdrawn")
    panel.get_by_role("button", name="Record the ground").click()
    expect(panel).to_contain_text("Consent withdrawn and no other lawful basis")
    problems += _look(dpo, "panel-ground", PANEL)
    _confirm(dpo, "Plan the erasure…", "Plan the erasure")

    expect(dpo.get_by_role("heading", level=1)).to_have_text(f"Erasure plan of {reference}")
    expect(dpo.locator(".lead")).to_contain_text("Planned: nothing has changed yet")
    expect(dpo.locator("#steps ~ div")).to_contain_text("emptied (set to null)")
    problems += _look(dpo, "plan-planned")
    _confirm(dpo, "Approve the erasure…", "Approve and erase")
    expect(dpo.locator(".flash")).to_contain_text("Erasure approved")

    deadline = time.monotonic() + 60
    while "Done:" not in dpo.locator(".lead").inner_text():
        assert time.monotonic() < deadline, "the worker did not finish the erasure"
        time.sleep(0.5)
        dpo.reload()
    evidence = dpo.locator("#evidence ~ div table")
    expect(evidence).to_contain_text("customers")
    expect(evidence.locator("tr", has_text="customers")).to_contain_text("erased")
    problems += _look(dpo, "plan-done")
    dpo.goto(request_page)
    expect(dpo.locator(PANEL)).to_contain_text("Done:")
    problems += _look(dpo, "panel-done", PANEL)

    # Her email address is gone from the agency's database.
    engine = create_engine(_agency_url(server))
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM debtors WHERE email = :e"), {"e": email})
        assert left.scalar() == 0
    engine.dispose()
    # NOT-01: the clients' notice arrives through the SMTP server (the demo's own requests
    # may tell them of other people: this one quotes the request).
    box, _ = inbox

    def notice() -> str | None:
        for message in box.messages:
            if CLIENTS_EMAIL in str(message["To"]):
                body = str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
                if reference in body:
                    return body
        return None

    deadline = time.monotonic() + 30
    while (body := notice()) is None:
        assert time.monotonic() < deadline, "the clients were not told"
        time.sleep(0.3)
    assert email not in body
    assert not problems, "\n".join(problems)


def _a_verified_request(server: Server) -> str:
    """Another debtor's erasure request, linked and proven as caseworkers do (services)."""
    engine = create_engine(_agency_url(server))
    with engine.connect() as conn:
        email = conn.execute(
            text("SELECT email FROM debtors WHERE email IS NOT NULL ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    engine.dispose()
    with server_uow(server) as uow:
        found = find_subjects(uow, ORG, "email", email)
        assert found, "the demo registered the debtor as a subject"
        today = uow.clock.today()
        requester = Requester(name="Demo Debtor", email=email)
        row = open_request(
            uow, NewRequest(ORG, ("erasure",), "email", today, requester), actor="user:admin"
        )
        link_subject(uow, ORG, row.ref, found[0].ref, Step("user:admin", today))
        verify_identity(uow, ORG, row.ref, "document", Step("user:admin", today))
        uow.commit()
        return row.ref


def _a_second_row_for_her(server: Server, ref: str) -> None:
    """The agency's database changes after the plan: a second customer record, same email."""
    engine = create_engine(_agency_url(server))
    with engine.begin() as conn:
        email = conn.execute(
            text("SELECT email FROM debtors WHERE email IS NOT NULL ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO debtors (id, customer_ref, title, first_name, middle_name, "
                "last_name, date_of_birth, ni_number, email, phone, address_line1, "
                "address_line2, town, postcode, vulnerable, created_on) "
                "SELECT (SELECT max(id) + 1 FROM debtors), 'DUP-' || customer_ref, title, "
                "first_name, middle_name, last_name, date_of_birth, NULL, email, NULL, "
                "address_line1, address_line2, town, postcode, vulnerable, created_on "
                "FROM debtors WHERE email = :e"
            ),
            {"e": email},
        )
    engine.dispose()


# RULES: ERA-02
def test_a_rejected_plan_is_planned_again_and_a_stale_one_says_so(
    browser: Browser, server: Server
) -> None:
    ref = _a_verified_request(server)
    dpo = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(dpo, server, "admin", server.admin_password)
    request_page = f"{server.base}/console/requests/{ORG}/{ref}"
    dpo.goto(request_page)
    panel = dpo.locator(PANEL)
    panel.get_by_label("The ground the subject relies on").select_option("no_longer_necessary")
    panel.get_by_role("button", name="Record the ground").click()
    _confirm(dpo, "Plan the erasure…", "Plan the erasure")
    dpo.get_by_text("Reject the plan…").click()
    dpo.get_by_label("Why (required; kept sealed in the request's history)").fill(
        "Check with finance before the contact details go."
    )
    _confirm(dpo, "Reject the plan", "Reject the plan")

    expect(dpo.locator(".lead")).to_contain_text("Rejected: nothing was erased")
    expect(dpo.locator("#rejected")).to_be_visible()
    expect(dpo.get_by_text("Check with finance before the contact details go.")).to_be_visible()
    problems = _look(dpo, "plan-rejected")
    dpo.goto(request_page)
    problems += _look(dpo, "panel-rejected", PANEL)
    _confirm(dpo, "Plan again…", "Plan the erasure")
    expect(dpo.locator(".lead")).to_contain_text("Planned: nothing has changed yet")

    _a_second_row_for_her(server, ref)
    _confirm(dpo, "Approve the erasure…", "Approve and erase")
    deadline = time.monotonic() + 60
    while "plan again" not in dpo.locator(".lead").inner_text():
        assert time.monotonic() < deadline, "the worker did not find the plan stale"
        time.sleep(0.5)
        dpo.reload()
    expect(dpo.locator("#stale")).to_have_text("The data changed since this plan: plan again")
    expect(dpo.get_by_role("button", name="Plan again…")).to_be_visible()
    problems += _look(dpo, "plan-stale")
    dpo.goto(request_page)
    problems += _look(dpo, "panel-stale", PANEL)
    assert not problems, "\n".join(problems)
