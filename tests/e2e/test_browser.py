"""End to end: the real `dataward serve` process, driven with Debian's Chromium.

The server runs as a subprocess on a free port with its own SQLite database, exactly as
`make run` starts it. Screenshots of each step go to pytest's tmp_path.
"""

from __future__ import annotations

import base64
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

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


MAIN = "from dataward.cli.app import main; main()"


@dataclass
class Server:
    base: str
    admin_password: str
    env: dict[str, str]
    start: str = MAIN

    def cli(self, *args: str) -> str:
        """Run a `dataward` command against this server's database (on its clock)."""
        done = subprocess.run(
            [sys.executable, "-c", self.start, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@contextmanager
def running_server(folder: Path, workdir: Path, *, at: datetime | None = None) -> Iterator[Server]:
    """Start `dataward serve` on ``folder``; yield it once it answers. With ``at``, the
    server's wall clock (and its CLI's) starts there and ticks on (time_machine)."""
    port = _free_port()
    start = MAIN
    if at is not None:
        start = f"import time_machine; time_machine.travel({at.timestamp()}, tick=True).start(); "
        start += MAIN
    env = {
        **os.environ,
        "DATAWARD_DATABASE_URL": f"sqlite:///{workdir / 'dataward.db'}",
        "DATAWARD_KEYSTORE_URL": f"sqlite:///{workdir / 'keys.db'}",
        # Its own var folder: the demo agency's database is built there, so one server's
        # erasures and corrections never reach another's demo.
        "DATAWARD_VAR_DIR": str(workdir / "var"),
        "DATAWARD_KEK": base64.b64encode(os.urandom(32)).decode(),
        "DATAWARD_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DATAWARD_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DATAWARD_LOG_FORMAT": "json",
    }
    command = [
        sys.executable,
        "-c",
        start,
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
        log.seek(0)
        banner = log.read()
        match = re.search(r"^  password: (\S+)$", banner, re.MULTILINE)
        assert match, f"the banner shows no first administrator:\n{banner}"
        yield Server(base, match.group(1), env, start)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(WEB_FIXTURES, tmp_path_factory.mktemp("serve-fixtures")) as base:
        yield base


@pytest.fixture(scope="module")
def examples_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(EXAMPLES, tmp_path_factory.mktemp("serve-examples")) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def sign_in(page: Page, server: Server, username: str, password: str) -> None:
    page.goto(server.base + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def admin_page(browser: Browser, server: Server, **options: object) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)  # type: ignore[arg-type]
    page = context.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    return page


def test_it_clicks_from_the_registers_page_to_the_notice(
    browser: Browser, fixture_server: Server, tmp_path: Path
) -> None:
    page = admin_page(browser, fixture_server)
    page.screenshot(path=tmp_path / "0-dashboard.png", full_page=True)
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Registers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    page.screenshot(path=tmp_path / "1-registers.png", full_page=True)

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


def test_it_shows_the_public_notice_from_the_portal_without_signing_in(
    page: Page, fixture_server: Server, tmp_path: Path
) -> None:
    page.goto(fixture_server.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notices")
    expect(page.get_by_role("heading", name="Cookies on this site")).to_be_visible()
    page.screenshot(path=tmp_path / "portal.png", full_page=True)

    page.get_by_role("link", name="Acme Widgets privacy notice").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Widgets privacy notice")
    expect(page.locator("nav.tabs")).to_have_count(0)  # staff tabs stay in the console


@pytest.mark.parametrize("path", ["/orgs/acme_widgets/notice", "/orgs/acme_widgets/notice.html"])
def test_it_styles_the_notice_within_the_content_security_policy(
    page: Page, fixture_server: Server, path: str
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(fixture_server.base + path)

    contents = page.locator("nav.toc")
    expect(contents).to_be_visible()
    background = contents.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in {"rgba(0, 0, 0, 0)", "transparent"}
    assert not [text for text in console if "Content Security Policy" in text]


def test_it_shows_lint_findings_without_javascript(
    browser: Browser, fixture_server: Server, tmp_path: Path
) -> None:
    page = admin_page(browser, fixture_server, java_script_enabled=False)
    page.goto(fixture_server.base + "/orgs/acme_widgets/lint")

    expect(page.get_by_role("heading", level=1)).to_have_text("Lint findings")
    expect(page.locator("table.findings tbody tr").first).to_be_visible()
    expect(page.locator("table.findings")).to_contain_text("acme.yaml:")
    page.screenshot(path=tmp_path / "lint.png", full_page=True)
    page.context.close()


def test_it_offers_a_skip_link_to_keyboard_users(page: Page, fixture_server: Server) -> None:
    page.goto(fixture_server.base + "/orgs/acme_widgets/notice")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()


def test_it_shows_a_404_page_for_an_unknown_organisation(
    page: Page, fixture_server: Server, tmp_path: Path
) -> None:
    response = page.goto(fixture_server.base + "/orgs/nobody_here/notice")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Register not found")
    expect(page.get_by_role("link", name="Go to the list of organisations")).to_be_visible()
    page.screenshot(path=tmp_path / "404.png", full_page=True)


def test_it_serves_every_page_of_the_example_registers(
    browser: Browser, examples_server: Server, tmp_path: Path
) -> None:
    page = admin_page(browser, examples_server)
    page.goto(examples_server.base + "/console/registers")
    organisations = page.locator("a.org-link")
    expect(organisations).to_have_count(len(list(EXAMPLES.glob("*.yaml"))))
    hrefs = [organisations.nth(i).get_attribute("href") for i in range(organisations.count())]

    for href in hrefs:
        assert href
        for tail in ("", "/notice", "/lint", "/coverage"):
            response = page.goto(examples_server.base + href + tail)
            assert response is not None
            assert response.status == 200, f"{href}{tail} answered {response.status}"
            expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("table.coverage")).to_be_visible()
        name = href.rsplit("/", 1)[-1]
        page.screenshot(path=tmp_path / f"{name}-coverage.png", full_page=True)
    page.context.close()


# Accounts


def test_it_refuses_a_wrong_password_without_saying_which_part(
    page: Page, fixture_server: Server, tmp_path: Path
) -> None:
    sign_in(page, fixture_server, "admin", "not-the-password-123")

    expect(page.get_by_role("alert")).to_have_text(
        "The username or password is not right. Check both and try again."
    )
    page.screenshot(path=tmp_path / "wrong-password.png", full_page=True)


def test_it_signs_in_with_a_totp_code(page: Page, fixture_server: Server, tmp_path: Path) -> None:
    import pyotp

    made = fixture_server.cli("user", "create", "dee", "--role", "dpo", "--totp")
    password = made.split("password: ")[1].split()[0]
    secret = made.split("TOTP key: ")[1].split()[0]

    sign_in(page, fixture_server, "dee", password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.screenshot(path=tmp_path / "totp.png", full_page=True)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator(".who")).to_contain_text("dee")


def test_it_keeps_a_caseworker_out_of_admin_pages(
    page: Page, fixture_server: Server, tmp_path: Path
) -> None:
    made = fixture_server.cli("user", "create", "casey", "--role", "caseworker")
    password = made.split("password: ")[1].split()[0]
    sign_in(page, fixture_server, "casey", password)
    nav = page.get_by_role("navigation", name="Site")
    expect(nav.get_by_role("link", name="Subjects")).to_be_visible()
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)

    response = page.goto(fixture_server.base + "/console/users")

    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator(".lead")).to_contain_text("Your role (caseworker) does not allow this")
    page.screenshot(path=tmp_path / "403.png", full_page=True)


def test_it_finds_a_subject_and_opens_the_signed_preferences_link(
    browser: Browser, fixture_server: Server, tmp_path: Path
) -> None:
    fixture_server.cli(
        "subject",
        "add",
        "--org",
        "acme_widgets",
        "--group",
        "customers",
        "-i",
        "email=pat.jones@example.com",
        "-i",
        "name=Pat Jones",
    )
    page = admin_page(browser, fixture_server)
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Subjects").click()
    finder = page.get_by_role("region", name="Find a subject")
    finder.get_by_label("Organisation").select_option("acme_widgets")
    finder.get_by_label("Identity").select_option("email")
    finder.get_by_label("Value").fill("  PAT.JONES@example.com ")
    finder.get_by_role("button", name="Find").click()
    page.screenshot(path=tmp_path / "search.png", full_page=True)

    page.locator("table.results a").first.click()
    expect(page.locator("table.identities")).to_contain_text("pat.jones@example.com")
    expect(page.locator("table.timeline")).to_contain_text("subject.created")
    page.get_by_role("button", name="Make a preferences link").click()
    flash = page.locator(".flash--success")
    expect(flash).to_contain_text("Preferences link for this subject")
    page.screenshot(path=tmp_path / "subject.png", full_page=True)
    link = re.search(r"http://\S+/preferences/\S+", flash.inner_text())
    assert link is not None

    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    visitor.goto(link.group(0))
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Your preferences with Acme Widgets"
    )
    expect(visitor.get_by_role("button", name="Save my choices")).to_be_visible()
    visitor.screenshot(path=tmp_path / "preferences.png", full_page=True)
    broken = visitor.goto(link.group(0)[:-4] + "AAAA")
    assert broken is not None
    assert broken.status == 404
    expect(visitor.get_by_role("heading", level=1)).to_have_text("This link does not work")
    visitor.context.close()
    page.context.close()
