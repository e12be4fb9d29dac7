"""End to end: the real `dataward serve` process, driven with Debian's Chromium.

The server runs as a subprocess on a free port with its own SQLite database, exactly as
`make run` starts it. Screenshots of each step go to pytest's tmp_path.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WEB_FIXTURES = ROOT / "tests" / "fixtures" / "web" / "registers"
EXAMPLES = ROOT / "examples"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(folder: Path, workdir: Path) -> Iterator[str]:
    """Start `dataward serve` on ``folder``; yield its base URL once it answers."""
    port = _free_port()
    env = {
        **os.environ,
        "DATAWARD_DATABASE_URL": f"sqlite:///{workdir / 'dataward.db'}",
        "DATAWARD_LOG_FORMAT": "json",
    }
    command = [
        sys.executable,
        "-c",
        "from dataward.cli.app import main; main()",
        "serve",
        "--examples",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log = (workdir / "server.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"dataward serve exited with {process.returncode}:\n{log.read()}")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("dataward serve did not answer within 60 seconds")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(WEB_FIXTURES, tmp_path_factory.mktemp("serve-fixtures")) as base:
        yield base


@pytest.fixture(scope="module")
def examples_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(EXAMPLES, tmp_path_factory.mktemp("serve-examples")) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_it_clicks_from_the_home_page_to_the_notice(
    page: Page, fixture_server: str, tmp_path: Path
) -> None:
    page.goto(fixture_server + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    page.screenshot(path=tmp_path / "1-home.png", full_page=True)

    page.get_by_role("link", name="Acme Widgets", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Widgets")
    page.screenshot(path=tmp_path / "2-overview.png", full_page=True)

    page.get_by_role("link", name="Privacy notice", exact=True).click()
    expect(page).to_have_url(re.compile(r"/orgs/acme_widgets/notice$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Widgets privacy notice")
    contents = page.locator("nav.toc")
    expect(contents).to_be_visible()
    expect(contents.get_by_role("heading", name="Contents")).to_be_visible()
    expect(page.get_by_role("heading", level=2).first).to_be_visible()
    page.screenshot(path=tmp_path / "3-notice.png", full_page=True)

    first_entry = contents.get_by_role("link").first
    target = first_entry.get_attribute("href")
    assert target is not None
    assert target.startswith("#")
    first_entry.click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    expect(page.locator(target)).to_be_in_viewport()
    assert (tmp_path / "3-notice.png").stat().st_size > 0


@pytest.mark.parametrize("path", ["/orgs/acme_widgets/notice", "/orgs/acme_widgets/notice.html"])
def test_it_styles_the_notice_within_the_content_security_policy(
    page: Page, fixture_server: str, path: str
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(fixture_server + path)

    contents = page.locator("nav.toc")
    expect(contents).to_be_visible()
    background = contents.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in {"rgba(0, 0, 0, 0)", "transparent"}
    assert not [text for text in console if "Content Security Policy" in text]


def test_it_shows_lint_findings_without_javascript(
    browser: Browser, fixture_server: str, tmp_path: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(fixture_server + "/orgs/acme_widgets/lint")

    expect(page.get_by_role("heading", level=1)).to_have_text("Lint findings")
    expect(page.locator("table.findings tbody tr").first).to_be_visible()
    expect(page.locator("table.findings")).to_contain_text("acme.yaml:")
    page.screenshot(path=tmp_path / "lint.png", full_page=True)
    context.close()


def test_it_offers_a_skip_link_to_keyboard_users(page: Page, fixture_server: str) -> None:
    page.goto(fixture_server + "/orgs/acme_widgets")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()


def test_it_shows_a_404_page_for_an_unknown_organisation(
    page: Page, fixture_server: str, tmp_path: Path
) -> None:
    response = page.goto(fixture_server + "/orgs/nobody_here")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Register not found")
    expect(page.get_by_role("link", name="Go to the list of organisations")).to_be_visible()
    page.screenshot(path=tmp_path / "404.png", full_page=True)


def test_it_serves_every_page_of_the_example_registers(
    page: Page, examples_server: str, tmp_path: Path
) -> None:
    page.goto(examples_server + "/")
    organisations = page.locator("a.org-link")
    expect(organisations).to_have_count(len(list(EXAMPLES.glob("*.yaml"))))
    hrefs = [organisations.nth(i).get_attribute("href") for i in range(organisations.count())]

    for href in hrefs:
        assert href
        for tail in ("", "/notice", "/lint", "/coverage"):
            response = page.goto(examples_server + href + tail)
            assert response is not None
            assert response.status == 200, f"{href}{tail} answered {response.status}"
            expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("table.coverage")).to_be_visible()
        name = href.rsplit("/", 1)[-1]
        page.screenshot(path=tmp_path / f"{name}-coverage.png", full_page=True)
