"""The cookie banner and cookie page say what a visitor needs, in their words (MKT-05).

Issue 15, item 6: an organisation with no optional cookies got an empty checkbox group
with Accept and Reject; an analytics cookie carrying a customer reference was "(always on)"
with no way to refuse; the public read "(link target not in the text)" and
"Collections's"; there was no way to change a choice later.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consent_support import SHOP_FILE, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import console_app

from dataward.consent.cookies import possessive, public_statements, public_url
from dataward.crypto.keystore import Vault
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXEMPT_ANALYTICS = SHOP_FILE.read_text(encoding="utf-8").replace(
    "{id: analytics, name: Analytics, consent_required: true,",
    "{id: analytics, name: Analytics, consent_required: false,",
)


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    app = console_app(database_url, clock, vault)
    with UnitOfWork(app.state.session_factory, clock, vault) as unit:
        for name in ("jtr-collections", "johnnie-johnson-housing", "r3-repairs"):
            store_register(unit, load_register(EXAMPLES / f"{name}.yaml"), actor="test")
        unit.commit()
    yield app
    app.state.engine.dispose()


def test_possessive_of_a_name_ending_in_s() -> None:
    """Issue 15, item 6: "JTR Collections'" and "Corner Shop's", never "Collections's"."""
    assert possessive("JTR Collections") == "JTR Collections'"
    assert possessive("Corner Shop") == "Corner Shop's"


def test_a_lost_link_and_a_relative_policy_address_never_reach_the_public() -> None:
    """Issue 15, item 6: an editor's note about a lost link is not shown; the sentence
    that needed the link says nothing without it, so it goes too."""
    kept = public_statements(
        ["Cookies help.", "View our cookie policy here (link target not in the text)."]
    )
    assert kept == ["Cookies help."]
    assert public_statements(["See our cookie policy (page/cookie-policy)."]) == [
        "See our cookie policy."
    ]
    assert public_url("page/cookie-policy") is None
    assert public_url("https://shop.example/cookies") == "https://shop.example/cookies"


def test_an_organisation_with_nothing_to_choose_gets_no_choice(app: FastAPI) -> None:
    """Issue 15, item 6 (a): JTR lists no cookie that can be turned off: the banner says
    what is used and offers only OK; the page says there is nothing to choose."""
    client = TestClient(app)
    config = client.get("/api/v1/cookie-banner/jtr_collections").json()
    assert config["optional"] == []
    text = config["text"]
    assert text["title"] == "Cookies on JTR Collections' sites"
    assert text["nothing_to_choose"] == (
        "JTR Collections lists no cookies you can turn off, so there is nothing to choose."
    )
    page = client.get("/orgs/jtr_collections/cookies").text
    assert "Cookies on JTR Collections&#39; sites" in page
    assert "Collections&#39;s" not in page
    assert "nothing to choose" in page


def test_analytics_exempt_from_consent_has_an_off_switch(
    app: FastAPI, clock: Any, vault: Vault
) -> None:
    """Issue 15, item 6 (b): only strictly necessary is always on (MKT-05); analytics the
    register sets without consent starts on but can be refused, and the choice is logged."""
    from dataward.register.loader import parse_register

    with UnitOfWork(app.state.session_factory, clock, vault) as uow:
        store_register(uow, parse_register(EXEMPT_ANALYTICS, str(SHOP_FILE)), actor="test")
        uow.commit()
    client = TestClient(app)
    config = client.get("/api/v1/cookie-banner/corner_shop").json()
    kinds = {c["id"]: (c["kind"], c["optional"]) for c in config["text"]["categories"]}
    assert kinds == {
        "necessary": ("necessary", False),
        "analytics": ("exempt", True),
        "advertising": ("consent", True),
    }
    assert config["optional"] == ["analytics", "advertising"]
    body = {
        "policy_version": config["policy_version"],
        "text_hash": config["text_hash"],
        "token": config["token"],
        "choice": {"analytics": False, "advertising": False},
        "visitor": "a1b2c3d4e5f6a7b8c9d0",
        "gpc": False,
    }
    assert client.post("/api/v1/cookie-banner/corner_shop/consents", json=body).status_code == 201
    page = client.get("/orgs/corner_shop/cookies").text
    assert "On unless you turn them off." in page
    assert "Always on: the site cannot work without these." in page


def test_the_examples_cookie_pages_show_no_editors_notes(app: FastAPI) -> None:
    """Issue 15, item 6 (c, d): no "(link target not in the text)", no "(always on)"
    analytics with a customer reference, and a Cookie settings link on the page."""
    client = TestClient(app)
    for org in ("jtr_collections", "johnnie_johnson_housing", "r3_repairs"):
        page = client.get(f"/orgs/{org}/cookies").text
        config = client.get(f"/api/v1/cookie-banner/{org}").json()
        for said in (page, str(config["text"])):
            assert "link target" not in said, org
            assert "(page/cookie-policy)" not in said, org
            assert "s's " not in said.replace("&#39;", "'"), org
        assert "data-dw-cookie-settings" in page, org
        assert config["text"]["policy_url"] is None or config["text"]["policy_url"].startswith(
            "http"
        )
    jjh = client.get("/api/v1/cookie-banner/johnnie_johnson_housing").json()
    always_on = [c["name"] for c in jjh["text"]["categories"] if not c["optional"]]
    assert always_on == []
    # Named for no exemption (DW034) or identifying people (DW054): off until agreed.
    kinds = {c["id"]: c["kind"] for c in jjh["text"]["categories"]}
    assert kinds == {"website_monitoring": "consent", "myaccount_analytics": "consent"}


def test_the_preferences_page_has_the_cookie_settings_link(app: FastAPI) -> None:
    """Issue 15, item 6 (d): the subject's preferences page carries the link too."""
    from consent_support import SHOP, customer

    from dataward.accounts.links import sign_link

    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        load_shop(uow)
        ref = customer(uow, "kim@example.com")
        uow.commit()
    link, _ = sign_link(state.secret_key, state.clock, SHOP, ref, 7)
    page = TestClient(app).get(f"/preferences/{link}").text
    assert 'href="/orgs/corner_shop/cookies#cookie-settings" data-dw-cookie-settings' in page


def test_the_notice_page_links_to_the_cookie_settings(app: FastAPI) -> None:
    """Issue 15, item 6 (d): the organisation's notice page, which dataward serves without
    cookies, still leads to the choices for the organisation's own sites."""
    page = TestClient(app).get("/orgs/jtr_collections/notice").text
    assert "cookies on JTR Collections&#39; own sites" in page
    assert 'href="/orgs/jtr_collections/cookies#cookie-settings"' in page
