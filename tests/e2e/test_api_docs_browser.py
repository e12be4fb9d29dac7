"""/docs in Chromium against a real `dataward serve`, with every request that leaves this
machine blocked: Swagger UI still renders every operation, offers Authorize, runs "Try it
out", and breaks no rule of the content security policy (issue 14, item 10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from test_browser import WEB_FIXTURES, Server, running_server

pytestmark = pytest.mark.browser

# Records each security policy violation the page reports, from before its first script.
VIOLATIONS_SCRIPT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(WEB_FIXTURES, tmp_path_factory.mktemp("serve-docs")) as server:
        yield server


class Offline:
    """A page that may reach this server only; what else it asked for, and what it logged."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.blocked: list[str] = []
        self.console: list[str] = []
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(VIOLATIONS_SCRIPT)
        context.route("**/*", self._only_local)
        self.page: Page = context.new_page()
        self.page.on("console", lambda message: self.console.append(message.text))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.host = urlsplit(server.base).netloc

    def _only_local(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == self.host:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__violations")
        return found + [text for text in self.console if "Content Security Policy" in text]


def test_it_renders_swagger_ui_offline_within_the_policy(
    browser: Browser, docs_server: Server, tmp_path: Path
) -> None:
    """issue 14, item 10: /docs was blank offline and told a CDN who read it."""
    offline = Offline(browser, docs_server)
    page = offline.page

    page.goto(docs_server.base + "/docs")

    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 12
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/subjects/search")
    ).to_be_visible()
    authorize = page.locator("button.authorize")
    expect(authorize).to_be_visible()
    page.screenshot(path=tmp_path / "docs.png", full_page=False)

    # Authorize offers the bearer scheme the document declares (item 8).
    authorize.click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_contain_text("bearerAuth")
    expect(dialog).to_contain_text("Bearer")
    page.screenshot(path=tmp_path / "docs-authorize.png")
    dialog.locator("button.close-modal").click()

    # "Try it out" reaches this server (connect-src 'self').
    health = page.locator(".opblock", has_text="/api/v1/health")
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    answer = health.locator(".live-responses-table tbody .response-col_status").first
    expect(answer).to_have_text("200")
    health.screenshot(path=tmp_path / "docs-try-it-out.png")

    assert offline.blocked == []
    assert offline.violations() == []
    assert offline.errors == []
    page.context.close()
