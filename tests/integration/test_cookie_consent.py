"""The cookie banner's config and consent log, and the portal preferences form."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import console_app

from dataward.accounts.links import sign_link
from dataward.consent.decisions import decide
from dataward.consent.models import CookieConsent
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork

VISITOR = "a1b2c3d4e5f6a7b8c9d0"


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    app = console_app(database_url, clock, vault)
    with UnitOfWork(app.state.session_factory, clock, vault) as unit:
        load_shop(unit)
        unit.commit()
    yield app
    app.state.engine.dispose()


def _logged(app: FastAPI) -> int:
    with app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(CookieConsent)) or 0)


def _choice(config: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "policy_version": config["policy_version"],
        "text_hash": config["text_hash"],
        "token": config["token"],
        "choice": {"analytics": False, "advertising": False},
        "visitor": VISITOR,
        "gpc": False,
    }
    return {**body, **overrides}


def test_the_banner_comes_from_the_register(app: FastAPI) -> None:
    client = TestClient(app)
    config = client.get(f"/api/v1/cookie-banner/{SHOP}").json()
    assert config["optional"] == ["analytics", "advertising"]
    names = [c["name"] for c in config["text"]["categories"]]
    assert names == ["Strictly necessary", "Analytics", "Advertising"]
    assert config["gpc"] is False
    assert client.get(f"/api/v1/cookie-banner/{SHOP}", headers={"Sec-GPC": "1"}).json()["gpc"]


def test_it_logs_a_choice_and_refuses_forged_or_oversized_ones(app: FastAPI) -> None:
    client = TestClient(app)
    config = client.get(f"/api/v1/cookie-banner/{SHOP}").json()
    url = f"/api/v1/cookie-banner/{SHOP}/consents"
    accepted = _choice(config, choice={"analytics": True, "advertising": False})
    assert client.post(url, content=json.dumps(accepted)).status_code == 201
    bad = [
        _choice(config, token="0" * 64),
        _choice(config, text_hash="f" * 64),
        _choice(config, policy_version="old"),
        _choice(config, choice={"analytics": True}),
        _choice(config, choice={"analytics": "yes", "advertising": False}),
        _choice(config, visitor="jane@example.com"),
        {**_choice(config), "extra": 1},
    ]
    for body in bad:
        reply = client.post(url, content=json.dumps(body))
        assert reply.status_code == 422, body
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["code"] == "cookie_consent_refused"
    huge = client.post(url, content=json.dumps(_choice(config, pad="x" * 5000)))
    assert huge.status_code == 413
    assert huge.json()["code"] == "cookie_consent_too_large"
    gpc = client.post(url, content=json.dumps(accepted), headers={"Sec-GPC": "1"})
    assert gpc.status_code == 422
    assert _logged(app) == 1


def test_the_portal_changes_a_preference_through_the_signed_link(app: FastAPI, clock: Any) -> None:
    state = app.state
    with UnitOfWork(state.session_factory, clock, state.vault) as uow:
        ref = customer(uow, "p@example.com")
        uow.commit()
    link, _ = sign_link(state.secret_key, clock, SHOP, ref, 7)
    visitor = TestClient(app, follow_redirects=False)
    page = visitor.get(f"/preferences/{link}")
    assert page.status_code == 200
    assert "Offers from the shop by text message" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token.group(1), "m:offers:sms": "on", "m:offers:post": "on"}
    saved = visitor.post(f"/preferences/{link}", data=form)
    assert saved.status_code == 303
    with UnitOfWork(state.session_factory, clock, state.vault) as uow:
        assert decide(uow, SHOP, ref, "offers", "sms").allow
        assert decide(uow, SHOP, ref, "offers", "post").allow
    forged = TestClient(app).post(f"/preferences/{link}", data=form)
    assert forged.status_code == 403
