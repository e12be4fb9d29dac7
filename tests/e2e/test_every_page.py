"""Every console and portal page, at 1280 and 375 px: looked at, checked by axe (issue 15).

Each page is opened as its user would (the public without signing in, staff as the first
administrator) on the real `dataward serve` with the example registers. For each page and
width the test keeps a full-page screenshot in pytest's tmp_path (an artefact to look at,
not committed), runs axe-core and fails on any serious or critical violation, and fails if
the page is wider than a 375 px phone (content hidden off to the side).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from test_browser import EXAMPLES, Server, running_server, sign_in

pytestmark = pytest.mark.browser

ORG = "jtr_collections"
PUBLIC_PAGES = [
    "/",
    f"/orgs/{ORG}/notice",
    f"/orgs/{ORG}/notice/versions",
    f"/orgs/{ORG}/cookies",
    f"/orgs/{ORG}/request",
    "/login",
]
CONSOLE_PAGES = [
    "/console",
    "/console/subjects",
    "/console/subjects/{org}/{ref}",
    "/console/registers",
    f"/orgs/{ORG}",
    f"/orgs/{ORG}/lint",
    f"/orgs/{ORG}/coverage",
    f"/orgs/{ORG}/notice/diff?from=1&to=1",
    "/console/users",
    "/console/tokens",
    "/console/outbox",
    "/console/audit",
    "/console/requests/dashboard",
]
WIDTHS = (1280, 375)
axe = Axe()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    saved = os.environ.get("DATAWARD_DEMO_SUBJECTS")
    os.environ["DATAWARD_DEMO_SUBJECTS"] = "20"  # a few demo people are enough to look at
    try:
        with running_server(EXAMPLES, tmp_path_factory.mktemp("every-page")) as started:
            yield started
    finally:
        if saved is None:
            os.environ.pop("DATAWARD_DEMO_SUBJECTS", None)
        else:
            os.environ["DATAWARD_DEMO_SUBJECTS"] = saved


@pytest.fixture(scope="module")
def subject_ref(server: Server) -> str:
    return server.cli(
        "subject", "add", "--org", ORG, "-g", "customers", "-i", "email=every.page@example.com"
    ).strip()


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def _check(page: Page, url: str, shots: Path) -> list[str]:
    """Problems of one page at each width: serious axe findings and sideways overflow."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        answer = page.goto(url)
        assert answer is not None
        assert answer.status < 400, f"{url}: {answer.status}"
        expect(page.locator("h1").first).to_be_visible()
        page.screenshot(path=shots / f"{_name(url)}-{width}.png", full_page=True)
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                where = [n["target"] for n in violation["nodes"]][:3]
                problems.append(f"{url} at {width}px: {violation['id']} {where}")
        if width == 375:
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width + 1:
                problems.append(f"{url} at 375px is {wide}px wide")
    return problems


def test_every_public_page(browser: Browser, server: Server, tmp_path: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    problems = [p for path in PUBLIC_PAGES for p in _check(page, server.base + path, tmp_path)]
    context.close()
    assert not problems, "\n".join(problems)


def test_every_console_page(
    browser: Browser, server: Server, subject_ref: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    problems = []
    for path in CONSOLE_PAGES:
        url = server.base + path.format(org=ORG, ref=subject_ref)
        problems += _check(page, url, tmp_path)
    context.close()
    assert not problems, "\n".join(problems)
