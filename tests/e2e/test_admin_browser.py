"""The admin pages in Chromium, without JavaScript: confirmations, redirects, one-time secrets.

Issue 15, items 3, 4 and 7. Every page changed for them is photographed at 1280 and 375 px
(into pytest's tmp_path, not committed) and checked for sideways overflow at 375 px.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser import EXAMPLES, Server, running_server, sign_in

from dataward.web.pages import LINT_PAGE

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(EXAMPLES, tmp_path_factory.mktemp("serve-admin")) as running:
        yield running


@pytest.fixture
def admin(browser: Browser, server: Server) -> Iterator[Page]:
    # No JavaScript: every confirmation and form must work without it.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    yield page
    context.close()


def shoot(page: Page, folder: Path, name: str) -> None:
    """Screenshots at both widths; at 375 px the page must not scroll sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
        if width == 375:
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 375, f"{name} is {wide} px wide at 375 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def secret_shown(page: Page) -> str | None:
    found = page.locator("#shown-password")
    return found.inner_text() if found.count() else None


def test_adding_a_user_survives_a_reload_once_and_disabling_asks_first(
    admin: Page, server: Server, tmp_path: Path
) -> None:
    """Issue 15, item 3 (and item 4: the new user's role defaults to auditor)."""
    admin.goto(server.base + "/console/users")
    form = admin.get_by_role("region", name="Add a user")
    expect(form.get_by_label("Role")).to_have_value("auditor")
    form.get_by_label("Username").fill("casey")
    form.get_by_role("button", name="Add user").click()

    expect(admin).to_have_url(re.compile(r"/console/users$"))  # redirected, not a post result
    password = secret_shown(admin)
    assert password
    expect(admin.locator(".flash--success")).to_contain_text("casey is added as auditor.")
    shoot(admin, tmp_path, "users-secret")
    admin.reload()  # a GET: nothing is posted again
    assert secret_shown(admin) == password
    admin.reload()
    assert secret_shown(admin) is None
    expect(admin.locator(".flash--error")).to_have_count(0)

    admin.get_by_role("button", name="Disable casey").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Disable casey")
    expect(admin.get_by_role("region", name="What happens")).to_contain_text("sign in")
    shoot(admin, tmp_path, "confirm-disable")
    admin.get_by_role("link", name="Cancel").click()
    expect(admin.get_by_role("row", name=re.compile("casey"))).to_contain_text("active")
    admin.get_by_role("button", name="Disable casey").click()
    admin.get_by_role("button", name="Disable casey").click()  # the confirmation's button
    expect(admin).to_have_url(re.compile(r"/console/users$"))
    expect(admin.locator(".flash--success")).to_contain_text("casey is disabled.")
    shoot(admin, tmp_path, "users")


def test_a_role_change_is_confirmed_and_a_token_is_shown_once_then_revoked(
    admin: Page, server: Server, tmp_path: Path
) -> None:
    """Issue 15, items 3 and 4: role change and token revoke through their confirmations."""
    server.cli("user", "create", "dee")
    admin.goto(server.base + "/console/users")
    admin.get_by_label("Role of dee").select_option("dpo")
    admin.get_by_role("button", name="Change role of dee").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Change the role of dee")
    expect(admin.get_by_role("region", name="What happens")).to_contain_text(
        "dee goes from auditor to dpo"
    )
    shoot(admin, tmp_path, "confirm-role")
    admin.get_by_role("button", name="Make them dpo").click()
    expect(admin.locator(".flash--success")).to_contain_text("dee is now dpo (was auditor).")

    admin.goto(server.base + "/console/tokens")
    admin.get_by_label("Name (what uses it)").fill("crm sync")
    admin.get_by_label("registers:read").check()
    admin.get_by_role("button", name="Create token").click()
    expect(admin).to_have_url(re.compile(r"/console/tokens$"))
    expect(admin.locator("#shown-token")).to_contain_text("dw_")
    shoot(admin, tmp_path, "tokens-secret")
    admin.get_by_role("button", name="Revoke crm sync").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Revoke the token crm sync")
    shoot(admin, tmp_path, "confirm-revoke")
    admin.get_by_role("button", name="Revoke the token").click()
    expect(admin.locator(".flash--success")).to_contain_text("is revoked")
    expect(admin.locator("#shown-token")).to_have_count(0)
    shoot(admin, tmp_path, "tokens")


def test_the_dashboard_lint_page_and_notice_fit_a_phone(
    admin: Page, server: Server, tmp_path: Path
) -> None:
    """Issue 15, items 4 and 7: counts on the dashboard; the lint page filtered and paged;
    the notice names its two version numbers."""
    admin.goto(server.base + "/console")
    expect(admin.locator(".counts")).to_contain_text("Audit chain")
    expect(admin.locator(".counts")).to_contain_text("dataward audit verify")
    shoot(admin, tmp_path, "dashboard")

    admin.goto(server.base + "/orgs/johnnie_johnson_housing/lint")
    expect(admin.locator("table.findings tbody tr")).to_have_count(LINT_PAGE)
    shoot(admin, tmp_path, "lint")
    admin.get_by_label("Severity").select_option("warning")
    admin.get_by_role("button", name="Show").click()
    expect(admin).to_have_url(re.compile(r"severity=warning"))
    expect(admin.locator("table.findings .badge--error")).to_have_count(0)
    shoot(admin, tmp_path, "lint-warnings")

    admin.goto(server.base + "/orgs/jtr_collections/notice")
    header = admin.locator(".notice-header")
    expect(header).to_contain_text("Published as notice version 1")
    expect(header).to_contain_text(
        "The organisation's own reference for this document: Version 8.1"
    )
    shoot(admin, tmp_path, "notice")
