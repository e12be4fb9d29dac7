"""A caseworker corrects a demo customer's phone number in Chromium (issue 19, REC-01,
NOT-01), and sees the restriction and portability panels of the demo queue.

The server builds the demo agency (20 people) and its request queue, which logs each
changing request's subject as disclosed to JTR's ``clients`` and ``enforcement_agents``.
JTR's notice gives its recipients no contact address, so this test serves a copy of the
examples in which ``clients`` has one (``dpo@client-council.example``): the test's own
data, never the published register. The correction goes through the console's form; the
demo's operational database row changes and the recipient's notice is in the outbox.

Screenshots at 1280 and 375 px go to /tmp/shots-bench/ (outside the repository).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from server_db import MAIL, server_uow
from sqlalchemy import create_engine, select, text
from test_browser import EXAMPLES, Server, running_server, sign_in
from test_request_browser import shoot

from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.subjects.models import Subject

pytestmark = pytest.mark.browser

ORG = "jtr_collections"
CLIENT_EMAIL = "dpo@client-council.example"
NEW_PHONE = "+447700900124"


def _examples_with_a_client_contact(folder: Path) -> Path:
    copied = folder / "examples"
    shutil.copytree(EXAMPLES, copied)
    jtr = copied / "jtr-collections.yaml"
    body = jtr.read_text(encoding="utf-8")
    anchor = "  - id: clients\n    facts: [recipients.r1]\n"
    assert anchor in body
    contact = f"    contacts:\n      - {{kind: email, value: {CLIENT_EMAIL}}}\n"
    jtr.write_text(body.replace(anchor, anchor + contact, 1), encoding="utf-8")
    return copied


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve-rectification")
    examples = _examples_with_a_client_contact(folder)
    saved = os.environ.get("DATAWARD_DEMO_SUBJECTS")
    os.environ["DATAWARD_DEMO_SUBJECTS"] = "20"
    try:
        with running_server(examples, folder) as started:
            yield started
    finally:
        if saved is None:
            os.environ.pop("DATAWARD_DEMO_SUBJECTS", None)
        else:
            os.environ["DATAWARD_DEMO_SUBJECTS"] = saved


@pytest.fixture
def admin(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("navigation", name="Site")).to_be_visible()
    yield page
    context.close()


def _demo_request(server: Server, right: str) -> str:
    with server_uow(server) as uow:
        rows = uow.session.scalars(
            select(RightsRequest).where(RightsRequest.organisation == ORG)
        ).all()
        found = [r.ref for r in rows if right in r.rights and r.subject_id is not None]
        assert found, f"the demo opened no linked {right} request"
        return found[0]


def _phones(server: Server) -> int:
    var = Path(server.env.get("DATAWARD_VAR_DIR", "var"))
    engine = create_engine(f"sqlite:///{var / 'demo-operational.db'}")
    try:
        with engine.connect() as conn:
            query = text("SELECT COUNT(*) FROM debtors WHERE phone = :p")
            return int(conn.execute(query, {"p": NEW_PHONE}).scalar_one())
    finally:
        engine.dispose()


def test_a_caseworker_corrects_a_demo_customer_and_the_client_is_told(
    admin: Page, server: Server
) -> None:
    """REC-01: the bound column changes in the demo agency's own database; NOT-01: the
    recipient the disclosure log names is emailed the corrected value."""
    ref = _demo_request(server, "rectification")
    assert _phones(server) == 0
    page = admin
    page.goto(server.base + f"/console/requests/{ORG}/{ref}")
    panel = page.get_by_role("region", name="Rectification")
    expect(panel).to_contain_text("No correction recorded yet.")
    panel.get_by_label("Dataset").select_option("customers")
    panel.get_by_label("Column").fill("phone")
    panel.get_by_label("The corrected value").fill(NEW_PHONE)
    panel.scroll_into_view_if_needed()
    shoot(page, "rectification-form")
    panel.get_by_role("button", name="Record the correction").click()

    expect(page.locator(".flash--success")).to_contain_text(
        "Corrected customers.phone in 1 row; the recipients are told."
    )
    panel = page.get_by_role("region", name="Rectification")
    expect(panel.locator("table.rectifications")).to_contain_text("customers.phone")
    expect(panel.locator("table.rectifications")).to_contain_text("corrected in 1 row")
    told = panel.locator("ul.recipients-told")
    expect(told).to_contain_text("Our clients: rectification, told by email")
    expect(told).to_contain_text("Self-employed enforcement agents: rectification, not told")
    shoot(page, "rectification-result")

    assert _phones(server) == 1
    with server_uow(server) as uow:
        message = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "recipient_rectification")
        ).one()
        mime = open_message(uow, message, MAIL)
    assert mime["To"] == CLIENT_EMAIL
    assert NEW_PHONE in str(mime.get_body(("plain",)).get_content())


def test_the_demo_restriction_and_portability_panels(admin: Page, server: Server) -> None:
    """RES-01 (Art 18(3)): the demo's applied restriction offers to tell the requester
    first; POR-01 (Art 20(2)): the portability request answered by post cannot be sent
    elsewhere (the code would have nowhere to go), and says so."""
    page = admin
    page.goto(server.base + f"/console/requests/{ORG}/{_demo_request(server, 'restriction')}")
    restrictions = page.locator("#restrictions + p + ul")
    expect(restrictions).to_contain_text("Requester not yet told it will be lifted.")
    expect(restrictions.get_by_role("button", name="Lift…")).to_have_count(0)
    restrictions.get_by_role("button", name="Tell the requester it will be lifted…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tell the requester it will be lifted"
    )
    shoot(page, "restriction-warn-confirm")
    page.get_by_role("button", name="Tell the requester it will be lifted").click()
    expect(page.locator(".flash--success")).to_contain_text("Tell the requester")
    restrictions = page.locator("#restrictions + p + ul")
    expect(restrictions).to_contain_text("Requester told it will be lifted")
    expect(restrictions.get_by_role("button", name="Lift…")).to_have_count(1)
    restrictions.scroll_into_view_if_needed()
    shoot(page, "restriction-told")

    page.goto(server.base + f"/console/requests/{ORG}/{_demo_request(server, 'portability')}")
    panel = page.get_by_role("region", name="Send to another organisation")
    # The demo's portability request came by post, with no email for the one-time code.
    expect(panel).to_contain_text("gave no email address for the one-time code")
    expect(panel.get_by_label("Organisation's name")).to_have_count(0)
    panel.scroll_into_view_if_needed()
    shoot(page, "portability-destination")


def test_a_caseworker_sends_a_portability_package_to_another_organisation(
    admin: Page, server: Server
) -> None:
    """POR-01 (Art 20(2)): recorded on the request's page, confirmed first; the name and
    address show to staff, and the package goes there once ready."""
    with server_uow(server) as uow:
        subject = uow.session.scalars(
            select(Subject.ref).where(Subject.organisation == ORG).order_by(Subject.ref)
        ).first()
        assert subject is not None
        today = uow.clock.today()
        asked = Requester(name="Tom Lewis", email="tom.lewis@example.com", words="Send my data.")
        new = NewRequest(ORG, ("portability",), "email", today, asked, subject_ref=subject)
        ref = open_request(uow, new, actor="user:test").ref
        uow.commit()
    page = admin
    page.goto(server.base + f"/console/requests/{ORG}/{ref}")
    panel = page.get_by_role("region", name="Send to another organisation")
    panel.get_by_label("Organisation's name").fill("Example Energy Ltd")
    panel.get_by_label("Email address the subject gave for it").fill(CLIENT_EMAIL)
    panel.scroll_into_view_if_needed()
    shoot(page, "portability-destination-form")
    panel.get_by_role("button", name="Send it there…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Send the portability package to another organisation"
    )
    shoot(page, "portability-destination-confirm")
    page.get_by_role("button", name="Record and send").click()
    expect(page.locator(".flash--success")).to_contain_text("Receiving organisation recorded.")
    panel = page.get_by_role("region", name="Send to another organisation")
    expect(panel).to_contain_text("To go to Example Energy Ltd at")
    expect(panel).to_contain_text(CLIENT_EMAIL)
    panel.scroll_into_view_if_needed()
    shoot(page, "portability-destination-recorded")
