"""The cookie banner in Chromium against a real `dataward serve`: shown, reject, accept,
Global Privacy Control (injected: Chromium has no switch for it), asking again after the
register's cookie section changes; the server-side log holds each choice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text
from test_browser import Server, running_server

from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.uow import UnitOfWork

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CONSENT_FIXTURES = ROOT / "tests" / "fixtures" / "consent" / "registers"
PAGE = "/orgs/corner_shop/cookies"
GPC_SCRIPT = (
    "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"
)


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(CONSENT_FIXTURES, tmp_path_factory.mktemp("serve-consent")) as server:
        yield server


def _log(server: Server) -> list[tuple[str, str, bool]]:
    engine = create_engine(server.env["DATAWARD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT visitor, choice, gpc FROM cookie_consents ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    return [(str(r[0]), str(r[1]), bool(r[2])) for r in rows]


def _page(browser: Browser, gpc: bool = False) -> Page:
    options: dict[str, object] = {"viewport": {"width": 1280, "height": 900}}
    if gpc:
        options["extra_http_headers"] = {"Sec-GPC": "1"}
    context = browser.new_context(**options)  # type: ignore[arg-type]
    if gpc:
        context.add_init_script(GPC_SCRIPT)
    return context.new_page()


def _state(page: Page, value: str) -> None:
    expect(page.locator("html")).to_have_attribute("data-cookie-consent", value)


def test_the_banner_is_shown_and_reject_is_logged(
    browser: Browser, shop_server: Server, tmp_path: Path
) -> None:
    page = _page(browser)
    page.goto(shop_server.base + PAGE)
    banner = page.get_by_role("region", name="Cookies on Corner Shop's sites")
    expect(banner).to_be_visible()
    accept = banner.get_by_role("button", name="Accept optional cookies")
    reject = banner.get_by_role("button", name="Reject optional cookies")
    assert accept.evaluate("b => getComputedStyle(b).fontSize") == reject.evaluate(
        "b => getComputedStyle(b).fontSize"
    )
    assert accept.bounding_box() is not None
    page.screenshot(path=tmp_path / "banner.png")
    before = len(_log(shop_server))
    # Keyboard only: the heading has focus, Tab reaches the checkboxes then the buttons.
    expect(banner.get_by_role("heading")).to_be_focused()
    reject.focus()
    page.keyboard.press("Enter")
    _state(page, "recorded")
    expect(banner).to_be_hidden()
    log = _log(shop_server)
    assert len(log) == before + 1
    assert '"analytics": false' in log[-1][1]
    page.reload()
    _state(page, "known")
    expect(page.get_by_role("region", name="Cookies on Corner Shop's sites")).to_be_hidden()
    page.context.close()


def test_accept_is_logged(browser: Browser, shop_server: Server) -> None:
    page = _page(browser)
    page.goto(shop_server.base + PAGE)
    page.get_by_role("button", name="Accept optional cookies").click()
    _state(page, "recorded")
    visitor = page.evaluate(
        "JSON.parse(localStorage.getItem('dataward-cookie-consent:corner_shop')).visitor"
    )
    mine = [row for row in _log(shop_server) if row[0] == visitor]
    assert len(mine) == 1
    assert '"advertising": true' in mine[0][1]
    page.context.close()


def test_gpc_refuses_without_asking(browser: Browser, shop_server: Server) -> None:
    page = _page(browser, gpc=True)
    page.goto(shop_server.base + PAGE)
    _state(page, "gpc")
    expect(page.get_by_role("region", name="Cookies on Corner Shop's sites")).to_have_count(0)
    visitor = page.evaluate(
        "JSON.parse(localStorage.getItem('dataward-cookie-consent:corner_shop')).visitor"
    )
    mine = [row for row in _log(shop_server) if row[0] == visitor]
    assert len(mine) == 1
    assert mine[0][2] is True
    assert "true" not in mine[0][1]
    page.context.close()


def test_it_asks_again_when_the_cookie_section_changes(
    browser: Browser, shop_server: Server
) -> None:
    page = _page(browser)
    page.goto(shop_server.base + PAGE)
    page.get_by_role("button", name="Reject optional cookies").click()
    _state(page, "recorded")
    source = (CONSENT_FIXTURES / "shop.yaml").read_text(encoding="utf-8")
    changed = source.replace("duration: 1 year}", "duration: 2 years}")
    assert changed != source
    engine = make_engine(shop_server.env["DATAWARD_DATABASE_URL"])
    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, parse_register(changed, "shop.yaml"))
        uow.commit()
    engine.dispose()
    page.reload()
    banner = page.get_by_role("region", name="Cookies on Corner Shop's sites")
    expect(banner).to_be_visible()
    banner.get_by_role("checkbox", name="Analytics").check()
    banner.get_by_role("button", name="Save cookie choices").click()
    _state(page, "recorded")
    visitor = page.evaluate(
        "JSON.parse(localStorage.getItem('dataward-cookie-consent:corner_shop')).visitor"
    )
    mine = [row for row in _log(shop_server) if row[0] == visitor]
    assert len(mine) == 2
    assert '"analytics": true' in mine[1][1]
    page.context.close()


def test_a_subject_changes_a_preference_through_the_signed_link(
    browser: Browser, shop_server: Server
) -> None:
    # RULES: LAW-05 (consent recorded, as easy to withdraw as to give)
    from dataward.accounts.links import sign_link
    from dataward.clock import SystemClock

    ref = shop_server.cli(
        "subject", "add", "--org", "corner_shop", "-g", "customers", "-i", "email=kim@example.com"
    ).strip()
    secret = shop_server.env["DATAWARD_SECRET_KEY"].encode()
    link, _ = sign_link(secret, SystemClock(), "corner_shop", ref, 7)
    page = _page(browser)
    page.goto(f"{shop_server.base}/preferences/{link}")
    # The cookie banner comes first, above the page (issue 15, item 6: it covers nothing).
    page.get_by_role("button", name="Reject optional cookies").click()
    _state(page, "recorded")
    sms = page.get_by_label("Offers from the shop by text message")
    expect(sms).not_to_be_checked()
    sms.check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your choices were saved")
    page.goto(f"{shop_server.base}/preferences/{link}")
    expect(page.get_by_label("Offers from the shop by text message")).to_be_checked()
    engine = create_engine(shop_server.env["DATAWARD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            given = conn.execute(text("SELECT count(*) FROM consent_records")).scalar_one()
    finally:
        engine.dispose()
    assert given == 1
    # Withdrawing is the same one click.
    page.get_by_label("Offers from the shop by text message").uncheck()
    page.get_by_role("button", name="Save my choices").click()
    page.goto(f"{shop_server.base}/preferences/{link}")
    expect(page.get_by_label("Offers from the shop by text message")).not_to_be_checked()
    page.context.close()
