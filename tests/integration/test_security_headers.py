"""No-store where an answer may show someone's data, HSTS over TLS (issue 14, item 8)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import ORG, add_person, add_user, api_token, console_app, session_cookie

from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork
from dataward.web import security
from dataward.web.auth import SESSION_COOKIE

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    app = console_app(database_url, clock, vault)
    yield app
    app.state.engine.dispose()


def test_pages_and_answers_that_may_show_identities_are_never_stored(app: FastAPI) -> None:
    """issue 14, item 8: console pages, portal pages and API answers showed decrypted
    identities with no Cache-Control, so a browser or a shared cache could keep them."""
    ref = add_person(app)
    admin = add_user(app, "admin", "admin")
    token = api_token(app, admin, ["subjects:read", "decisions:read"])
    staff = TestClient(app, follow_redirects=False)
    staff.cookies.set(SESSION_COOKIE, session_cookie(app, admin))
    console = staff.get(f"/console/subjects/{ORG}/{ref}")
    assert console.status_code == 200
    assert "jane.doe@example.com" in console.text
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    answers = {
        "console subject page": console,
        "console home": staff.get("/console"),
        "portal home": TestClient(app).get("/"),
        "sign-in page": TestClient(app).get("/login"),
        "API answer": api.get("/api/v1/organisations"),
        "API refusal": TestClient(app).get("/api/v1/organisations"),
        "unknown page": TestClient(app).get("/nowhere"),
        "bad preferences link": TestClient(app).get("/preferences/not-a-token"),
        "unexpected error": _unexpected_error(app),
    }
    for name, response in answers.items():
        assert response.headers.get("cache-control") == "no-store", name


def _unexpected_error(app: FastAPI) -> Any:
    def explode() -> None:
        raise RuntimeError("a failure nobody foresaw")

    app.add_api_route("/api/v1/boom", explode)
    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/boom")
    assert response.status_code == 500
    return response


def test_what_is_the_same_for_everyone_may_be_cached(app: FastAPI) -> None:
    """issue 14, item 8: static assets and the public notice stay cacheable."""
    anonymous = TestClient(app)
    for path in ("/static/dataward.css", f"/orgs/{ORG}/notice", f"/orgs/{ORG}/notice.html"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert "cache-control" not in response.headers, path
    # A route's own caching is kept.
    assert anonymous.get("/notice.css").headers["cache-control"] == "public, max-age=300"


def test_a_public_notice_shown_to_someone_signed_in_is_not_stored(app: FastAPI) -> None:
    """issue 14, item 8: signed in, the notice page carries the user's name."""
    staff = TestClient(app)
    staff.cookies.set(SESSION_COOKIE, session_cookie(app, add_user(app, "dpo", "dpo")))
    response = staff.get(f"/orgs/{ORG}/notice")
    assert response.status_code == 200
    assert "dpo" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_the_session_cookie_name_is_the_one_the_headers_look_for() -> None:
    assert f"{SESSION_COOKIE}=".encode() == security._SESSION


def test_hsts_is_sent_over_tls_only(app: FastAPI) -> None:
    """issue 14, item 8: Strict-Transport-Security when served over TLS."""
    over_tls = TestClient(app, base_url="https://testserver").get("/")
    assert over_tls.headers["strict-transport-security"] == HSTS
    plain = TestClient(app).get("/")
    assert "strict-transport-security" not in plain.headers
    # Without DATAWARD_TRUST_PROXY a forwarded scheme is anyone's to claim.
    claimed = TestClient(app).get("/", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in claimed.headers


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [("https", True), ("HTTPS, http", True), ("http", False), ("http, https", False)],
)
def test_behind_a_trusted_proxy_the_forwarded_scheme_decides(
    database_url: str, clock: Any, vault: Vault, uow: UnitOfWork, forwarded: str, expected: bool
) -> None:
    """issue 14, item 8: a proxy that terminates TLS says so in X-Forwarded-Proto."""
    app = console_app(database_url, clock, vault, trust_proxy=True)
    try:
        response = TestClient(app).get("/", headers={"X-Forwarded-Proto": forwarded})
        assert ("strict-transport-security" in response.headers) is expected
    finally:
        app.state.engine.dispose()
