"""The portal's public pages with the cookie banner, in Chromium (issue 15, items 2 and 6).

The banner sits in the page's flow, so it covers nothing (the preferences page's Save
button is clickable while it is shown) and its Accept and Reject fit a 375x667 phone; a
"Cookie settings" link reopens the choices; an analytics category exempt from consent has
an off switch that works and is logged; an organisation with nothing to choose gets OK
only. Screenshots at 1280 and 375 px of every page touched are kept as test artefacts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import create_engine, text
from test_browser import Server, running_server

from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.uow import UnitOfWork

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOP_FILE = ROOT / "tests" / "fixtures" / "consent" / "registers" / "shop.yaml"
SIZES = {"wide": (1280, 900), "phone": (375, 667)}
# Where screenshots go to be looked at (kept out of the repository).
SHOTS = Path(os.environ.get("DATAWARD_SCREENSHOTS", "/tmp/dataward-screenshots/portal"))


def _variant(organisation: str, name: str, cookies_from: str, cookies_to: str) -> str:
    source = SHOP_FILE.read_text(encoding="utf-8")
    changed = source.replace("organisation: corner_shop", f"organisation: {organisation}")
    changed = changed.replace("  name: Corner Shop\n", f"  name: {name}\n", 1)
    out = changed.replace(cookies_from, cookies_to)
    assert out != changed
    return out


# Analytics set without consent (a DUAA low-risk use): on, with an off switch.
CAFE = _variant(
    "corner_cafe",
    "Corner Cafe",
    "{id: analytics, name: Analytics, consent_required: true,",
    "{id: analytics, name: Analytics, consent_required: false,",
)
# Only strictly necessary cookies: nothing to choose. The name ends in s.
BAKERS = _variant(
    "village_bakers",
    "Village Bakers",
    "    - {id: analytics, name: Analytics, consent_required: true, description: Count visits "
    "so we can improve the site.}\n"
    "    - {id: advertising, name: Advertising, consent_required: true, description: Show you "
    "our offers on other sites.}\n",
    "",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(SHOP_FILE.parent, tmp_path_factory.mktemp("serve-portal")) as running:
        engine = make_engine(running.env["DATAWARD_DATABASE_URL"])
        bakers = BAKERS.replace(
            "    - {name: _stats, provider: Corner Shop, category: analytics, purpose: Counts "
            "visits., duration: 1 year}\n"
            "    - {name: _ads, provider: Ad partner, category: advertising, purpose: Shows our "
            "offers elsewhere., duration: 90 days}\n",
            "",
        )
        with UnitOfWork(make_session_factory(engine)) as uow:
            store_register(uow, parse_register(CAFE, "cafe.yaml"))
            store_register(uow, parse_register(bakers, "bakers.yaml"))
            uow.commit()
        engine.dispose()
        yield running


def _page(browser: Browser, size: str = "wide") -> Page:
    width, height = SIZES[size]
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


def _shoot(page: Page, name: str, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for folder in (tmp_path, SHOTS):
        page.screenshot(path=folder / f"{name}.png", full_page=True)


def _state(page: Page, value: str) -> None:
    expect(page.locator("html")).to_have_attribute("data-cookie-consent", value)


def _banner(page: Page, owner: str) -> Locator:
    return page.get_by_role("region", name=f"Cookies on {owner} sites")


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


def _preferences_link(server: Server, email: str) -> str:
    from dataward.accounts.links import sign_link
    from dataward.clock import SystemClock

    ref = server.cli(
        "subject", "add", "--org", "corner_shop", "-g", "customers", "-i", f"email={email}"
    ).strip()
    secret = server.env["DATAWARD_SECRET_KEY"].encode()
    link, _ = sign_link(secret, SystemClock(), "corner_shop", ref, 7)
    return f"{server.base}/preferences/{link}"


def _on_top(page: Page, target: Locator) -> bool:
    """Whether the element itself is what a click at its centre would reach."""
    return bool(
        target.evaluate(
            "el => { const r = el.getBoundingClientRect();"
            " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return hit === el || el.contains(hit); }"
        )
    )


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_save_button_is_clickable_with_the_banner_shown(
    browser: Browser, server: Server, size: str, tmp_path: Path
) -> None:
    """Issue 15, item 6 (e): the banner covered the preferences page's Save button."""
    page = _page(browser, size)
    page.goto(_preferences_link(server, f"save-{size}@example.com"))
    expect(_banner(page, "Corner Shop's")).to_be_visible()
    _shoot(page, f"preferences-with-banner-{size}", tmp_path)
    save = page.get_by_role("button", name="Save my choices")
    save.scroll_into_view_if_needed()
    assert _on_top(page, save)
    page.get_by_label("Offers from the shop by text message").check()
    save.click()
    expect(page.locator(".panel[role=status]")).to_contain_text(
        "Your choices were saved (1 change)"
    )
    # The banner was never answered, so it is still there: it did not stand in the way.
    expect(_banner(page, "Corner Shop's")).to_be_visible()
    _shoot(page, f"preferences-saved-{size}", tmp_path)
    page.context.close()


def test_the_banner_buttons_fit_a_phone(browser: Browser, server: Server, tmp_path: Path) -> None:
    """Issue 15, item 6 (e): at 375x667 the banner's own buttons were below the fold."""
    page = _page(browser, "phone")
    page.goto(server.base + "/orgs/corner_shop/cookies")
    banner = _banner(page, "Corner Shop's")
    expect(banner).to_be_visible()
    _shoot(page, "cookies-banner-phone", tmp_path)
    for name in ("Accept optional cookies", "Reject optional cookies"):
        box = banner.get_by_role("button", name=name).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 375, name
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= 667, name
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()


def test_cookie_settings_reopens_the_choices(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """Issue 15, item 6 (d): a choice made can be changed later from every page."""
    page = _page(browser)
    page.goto(server.base + "/orgs/corner_shop/cookies")
    banner = _banner(page, "Corner Shop's")
    banner.get_by_role("button", name="Reject optional cookies").click()
    _state(page, "recorded")
    expect(banner).to_have_count(0)
    # The preferences page carries the link too; it reopens with the choice made.
    page.goto(_preferences_link(server, "settings@example.com"))
    _state(page, "known")
    expect(_banner(page, "Corner Shop's")).to_have_count(0)
    page.get_by_role("link", name="Cookie settings").click()
    banner = _banner(page, "Corner Shop's")
    expect(banner).to_be_visible()
    analytics = banner.get_by_role("checkbox", name="Analytics")
    expect(analytics).not_to_be_checked()
    _shoot(page, "preferences-cookie-settings-wide", tmp_path)
    analytics.check()
    banner.get_by_role("button", name="Save cookie choices").click()
    _state(page, "recorded")
    visitor = page.evaluate(
        "JSON.parse(localStorage.getItem('dataward-cookie-consent:corner_shop')).visitor"
    )
    mine = [row for row in _log(server) if row[0] == visitor]
    assert len(mine) == 2
    assert '"analytics": true' in mine[1][1]
    page.context.close()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_exempt_analytics_has_a_working_off_switch(
    browser: Browser, server: Server, size: str, tmp_path: Path
) -> None:
    """Issue 15, item 6 (b): analytics set without consent is not "(always on)": it is on
    with an off switch (MKT-05), and turning it off is logged."""
    page = _page(browser, size)
    page.goto(server.base + "/orgs/corner_cafe/cookies")
    banner = _banner(page, "Corner Cafe's")
    expect(banner).to_be_visible()
    _shoot(page, f"cookies-exempt-analytics-{size}", tmp_path)
    expect(banner).not_to_contain_text("Analytics (always on)")
    expect(banner).to_contain_text("Strictly necessary (always on)")
    analytics = banner.get_by_role("checkbox", name="Analytics")
    expect(analytics).to_be_checked()
    expect(analytics).to_be_enabled()
    analytics.uncheck()
    banner.get_by_role("button", name="Save cookie choices").click()
    _state(page, "recorded")
    visitor = page.evaluate(
        "JSON.parse(localStorage.getItem('dataward-cookie-consent:corner_cafe')).visitor"
    )
    mine = [row for row in _log(server) if row[0] == visitor]
    assert len(mine) == 1
    assert '"analytics": false' in mine[0][1]
    page.context.close()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_nothing_to_choose_offers_only_ok(
    browser: Browser, server: Server, size: str, tmp_path: Path
) -> None:
    """Issue 15, item 6 (a, c): no empty checkbox group, no Accept or Reject; the owner's
    name ending in s takes the apostrophe alone."""
    page = _page(browser, size)
    page.goto(server.base + "/orgs/village_bakers/cookies")
    banner = _banner(page, "Village Bakers'")
    expect(banner).to_be_visible()
    _shoot(page, f"cookies-nothing-to-choose-{size}", tmp_path)
    expect(banner.get_by_role("checkbox")).to_have_count(0)
    expect(banner.get_by_role("button")).to_have_count(1)
    expect(banner).to_contain_text("nothing to choose")
    expect(page.locator("body")).not_to_contain_text("Bakers's")
    banner.get_by_role("button", name="OK").click()
    _state(page, "acknowledged")
    page.reload()
    _state(page, "known")
    expect(_banner(page, "Village Bakers'")).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_portal_home_is_shot(
    browser: Browser, server: Server, size: str, tmp_path: Path
) -> None:
    """The portal's home: its own note that it sets no cookies for visitors."""
    page = _page(browser, size)
    page.goto(server.base + "/")
    expect(page.get_by_role("heading", name="Privacy notices")).to_be_visible()
    _shoot(page, f"home-{size}", tmp_path)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]
    page.context.close()
