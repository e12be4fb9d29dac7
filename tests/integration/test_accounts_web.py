"""Signing in, sessions, CSRF, tokens, links and bad input through HTTP (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from structlog.testing import capture_logs
from web_support import (
    ORG,
    PASSWORD,
    add_person,
    add_user,
    api_token,
    audit_actions,
    console_app,
    csrf_from,
    log_in,
    login_form,
    signed_in,
)

from dataward.accounts.models import ApiToken, User, WebSession
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork
from dataward.web.auth import SESSION_COOKIE


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    web = console_app(database_url, clock, vault, totp_required_roles=["admin"])
    yield web
    web.state.engine.dispose()


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def _count(app: FastAPI, model: Any) -> int:
    with app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_it_signs_in_with_a_password_and_lands_on_the_console(app: FastAPI) -> None:
    add_user(app, "casey@acme.example", "caseworker")
    client = _client(app)

    response = log_in(client, "Casey@Acme.example")

    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    dashboard = client.get("/console")
    assert dashboard.status_code == 200
    assert "casey@acme.example" in dashboard.text
    assert "auth.session_started" in audit_actions(app)


def test_it_marks_the_session_cookie_secure_when_configured(
    database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork
) -> None:
    web = console_app(database_url, clock, vault, cookie_secure=True)
    add_user(web, "casey", "caseworker")
    client = TestClient(web, base_url="https://testserver", follow_redirects=False)

    response = log_in(client, "casey")

    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()
    web.state.engine.dispose()


def test_it_gives_no_hint_which_part_of_a_sign_in_was_wrong(app: FastAPI) -> None:
    add_user(app, "casey", "caseworker")

    wrong_password = log_in(_client(app), "casey", "not the password at all")
    unknown_user = log_in(_client(app), "nobody", PASSWORD)

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "The username or password is not right" in wrong_password.text
    assert "The username or password is not right" in unknown_user.text
    assert SESSION_COOKIE not in wrong_password.headers.get("set-cookie", "")
    assert _count(app, WebSession) == 0
    assert audit_actions(app).count("auth.login_refused") == 2


def test_it_locks_an_account_after_repeated_failures_and_lifts_it_later(
    app: FastAPI, clock: FixedClock
) -> None:
    add_user(app, "casey", "caseworker")
    for _ in range(5):
        assert log_in(_client(app), "casey", "wrong password here").status_code == 401
    app.state.throttle.clear("ignored")  # the stored lockout holds on its own

    locked = log_in(_client(app), "casey")

    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    clock.advance(timedelta(minutes=16))
    assert log_in(_client(app), "casey").status_code == 303


def test_it_throttles_unknown_usernames_like_known_ones(app: FastAPI) -> None:
    for _ in range(5):
        log_in(_client(app), "ghost", "wrong password here")

    response = log_in(_client(app), "ghost", "wrong password here")

    assert response.status_code == 429
    assert "Too many failed attempts" in response.text


def test_it_refuses_a_disabled_user_and_ends_their_session(app: FastAPI) -> None:
    casey = add_user(app, "casey", "caseworker")
    client = _client(app)
    assert log_in(client, "casey").status_code == 303
    admin = signed_in(app, "boss", "admin")
    csrf = csrf_from(admin.get("/console/users").text)

    disabled = admin.post(
        f"/console/users/{casey.ref}/disable", data={"csrf_token": csrf, "confirm": "yes"}
    )

    assert disabled.status_code == 303
    assert client.get("/console").headers["location"].startswith("/login")
    again = log_in(_client(app), "casey")
    assert again.status_code == 403
    assert "This account is disabled" in again.text
    assert "user.disabled" in audit_actions(app)


def test_it_asks_for_a_totp_code_and_accepts_each_code_once(
    app: FastAPI, clock: FixedClock
) -> None:
    user = add_user(app, "dee", "dpo")
    secret = pyotp.random_base32(length=32)
    with UnitOfWork(app.state.session_factory, clock) as uow:
        row = uow.session.get(User, user.id)
        assert row is not None
        row.totp_secret = secret
        uow.commit()
    client = _client(app)

    first = log_in(client, "dee")
    assert first.headers["location"] == "/login/totp"
    assert client.get("/console").headers["location"] == "/login/totp"
    page = client.get("/login/totp")
    code = pyotp.TOTP(secret).at(clock.now())
    wrong = client.post("/login/totp", data={"code": "000000", "csrf_token": csrf_from(page.text)})
    assert wrong.status_code == 401
    done = client.post("/login/totp", data={"code": code, "csrf_token": csrf_from(page.text)})

    assert done.status_code == 303
    assert client.get("/console").status_code == 200
    replay = _client(app)
    log_in(replay, "dee")
    page = replay.get("/login/totp")
    reused = replay.post("/login/totp", data={"code": code, "csrf_token": csrf_from(page.text)})
    assert reused.status_code == 401
    assert "used already" in reused.text


def test_it_makes_a_role_that_requires_totp_set_it_up(app: FastAPI, clock: FixedClock) -> None:
    add_user(app, "ada", "admin")
    client = _client(app)

    response = log_in(client, "ada")

    assert response.headers["location"] == "/login/totp/setup"
    page = client.get("/login/totp/setup")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    code = pyotp.TOTP(secret).at(clock.now())
    done = client.post(
        "/login/totp/setup",
        data={"secret": secret, "code": code, "csrf_token": csrf_from(page.text)},
    )
    assert done.status_code == 303
    assert client.get("/console/users").status_code == 200
    assert "user.totp_enrolled" in audit_actions(app)


def test_it_ends_an_idle_session_and_says_so(app: FastAPI, clock: FixedClock) -> None:
    client = signed_in(app, "casey", "caseworker")
    assert client.get("/console").status_code == 200

    clock.advance(timedelta(minutes=31))
    response = client.get("/console/subjects")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fconsole%2Fsubjects&ended=1"
    assert "Your session ended" in _client(app).get(response.headers["location"]).text
    assert "auth.session_expired" in audit_actions(app)
    assert _count(app, WebSession) == 0


def test_it_refuses_a_forged_or_replayed_csrf_token_and_changes_nothing(app: FastAPI) -> None:
    admin = signed_in(app, "boss", "admin")
    users_before = _count(app, User)
    old = signed_in(app, "old", "admin")
    stale = csrf_from(old.get("/console/users").text)  # a token of another session

    forged = admin.post(
        "/console/users", data={"username": "x1", "role": "dpo", "csrf_token": "1.abc"}
    )
    replayed = admin.post(
        "/console/users", data={"username": "x2", "role": "dpo", "csrf_token": stale}
    )
    missing = admin.post("/console/users", data={"username": "x3", "role": "dpo"})

    for response in (forged, replayed, missing):
        assert response.status_code == 403
        assert "nothing was changed" in response.text
    assert _count(app, User) == users_before + 1  # only "old"
    assert audit_actions(app).count("security.csrf_refused") == 3


def test_it_refuses_a_sign_in_form_without_its_cookie(app: FastAPI) -> None:
    add_user(app, "casey", "caseworker")
    token = login_form(_client(app))  # the form of another browser

    response = _client(app).post(
        "/login", data={"username": "casey", "password": PASSWORD, "csrf_token": token}
    )

    assert response.status_code == 403
    assert _count(app, WebSession) == 0


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"username": "u" * 500, "role": "dpo"}, 422, "Username is too long"),
        ({"username": "ok.name", "role": "emperor"}, 422, "The role must be one of"),
        ({"username": "bad name!", "role": "dpo"}, 422, "A username has 2 to 80"),
        ({"role": "dpo"}, 422, "Username is required"),
    ],
)
def test_it_refuses_malformed_form_fields_with_a_clear_message(
    app: FastAPI, data: dict[str, str], status: int, message: str
) -> None:
    admin = signed_in(app, "boss", "admin")
    users_before = _count(app, User)
    csrf = csrf_from(admin.get("/console/users").text)

    response = admin.post("/console/users", data={**data, "csrf_token": csrf})

    assert message in response.text
    assert "(code input_invalid)" in response.text
    assert response.status_code == status
    assert _count(app, User) == users_before
    assert "web.input_refused" in audit_actions(app)


def test_it_refuses_an_oversized_form(app: FastAPI) -> None:
    admin = signed_in(app, "boss", "admin")
    csrf = csrf_from(admin.get("/console/users").text)

    response = admin.post(
        "/console/users", data={"username": "x" * 100_000, "role": "dpo", "csrf_token": csrf}
    )

    assert response.status_code == 413
    assert "larger than 64 KiB" in response.text
    assert "web.input_refused" in audit_actions(app)


def test_it_shows_a_new_token_once_and_stores_only_its_hash(app: FastAPI) -> None:
    admin = signed_in(app, "boss", "admin")
    csrf = csrf_from(admin.get("/console/tokens").text)

    response = admin.post(
        "/console/tokens",
        data={
            "name": "crm",
            "owner": "boss",
            "scope": ["subjects:read"],
            "days": "30",
            "csrf_token": csrf,
        },
    )

    assert response.status_code == 303  # post, then redirect (issue 15, item 3)
    assert response.headers["location"] == "/console/tokens"
    shown = admin.get("/console/tokens").text
    secret = shown.split('id="shown-token">')[1].split("<")[0]
    assert secret.startswith("dw_")
    with app.state.session_factory() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix)
    assert secret in admin.get("/console/tokens").text  # one reload still shows it
    assert secret not in admin.get("/console/tokens").text
    person = add_person(app)
    found = TestClient(app).get(
        f"/api/v1/subjects/{ORG}/{person}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert found.status_code == 200
    assert found.json()["identities"][0]["value"] == "jane.doe@example.com"


def test_it_audits_each_refusal_at_once_and_refuses_a_wrong_scope_or_expired_token(
    app: FastAPI, clock: FixedClock
) -> None:
    owner = add_user(app, "engine", "dpo")
    reader = api_token(app, owner, ["registers:read"], days=1)

    with TestClient(app) as client:
        ok = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {reader}"})
        scope = client.get("/api/v1/audit/head", headers={"Authorization": f"Bearer {reader}"})
        clock.advance(timedelta(days=2))
        expired = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {reader}"})
        forged = client.get("/api/v1/organisations", headers={"Authorization": "Bearer dw_forged"})
        during = audit_actions(app)

    assert ok.status_code == 200
    assert (scope.status_code, scope.json()["code"]) == (403, "scope_missing")
    assert (expired.status_code, expired.json()["code"]) == (401, "token_expired")
    assert (forged.status_code, forged.json()["code"]) == (401, "token_invalid")
    assert expired.headers["content-type"] == "application/problem+json"
    assert expired.headers["www-authenticate"].startswith("Bearer")
    # Refusals are written at once; the accepted use waits for its window (here, shutdown).
    assert during.count("api_token.refused") == 3
    assert during.count("api_token.used") == 0
    assert audit_actions(app).count("api_token.used") == 1


def test_it_opens_the_preferences_page_by_a_signed_link_only(
    app: FastAPI, clock: FixedClock
) -> None:
    ref = add_person(app)
    caseworker = signed_in(app, "casey", "caseworker")
    page = caseworker.get(f"/console/subjects/{ORG}/{ref}")
    made = caseworker.post(
        f"/console/subjects/{ORG}/{ref}/preferences-link", data={"csrf_token": csrf_from(page.text)}
    )
    assert made.status_code == 303
    shown = caseworker.get(made.headers["location"]).text
    link = shown.split("http://testserver")[1].split("<")[0].split()[0]
    visitor = TestClient(app)

    opened = visitor.get(link)
    tampered = visitor.get(link[:-3] + "AAA")
    clock.advance(timedelta(days=15))
    expired = visitor.get(link)

    assert opened.status_code == 200
    assert "Your preferences with Acme Widgets" in opened.text
    assert "Save my choices" in opened.text
    assert tampered.status_code == 404
    assert "not valid" in tampered.text
    assert expired.status_code == 410
    assert "has expired" in expired.text
    actions = audit_actions(app)
    assert "preferences_link.issued" in actions
    assert actions.count("portal.link_refused") == 2


def test_it_finds_a_subject_by_an_identity_and_records_who_looked(app: FastAPI) -> None:
    ref = add_person(app, "sam@example.com")
    client = signed_in(app, "casey", "caseworker")
    csrf = csrf_from(client.get("/console/subjects").text)

    found = client.post(
        "/console/subjects/search",
        data={"org": ORG, "kind": "email", "value": " SAM@example.com", "csrf_token": csrf},
    )
    page = client.get(f"/console/subjects/{ORG}/{ref}")

    assert found.status_code == 200
    assert f"/console/subjects/{ORG}/{ref}" in found.text
    assert "sam@example.com" in page.text  # decrypted for this page
    assert "subject.viewed" in page.text  # the timeline comes from the audit chain
    assert "subject.created" in page.text


def test_it_keeps_identities_and_usernames_out_of_logs(app: FastAPI) -> None:
    add_person(app, "private.person@example.com")
    with capture_logs() as logs:
        log_in(_client(app), "secret.user@example.com", "wrong password here")
        client = signed_in(app, "casey", "caseworker")
        csrf = csrf_from(client.get("/console/subjects").text)
        client.post(
            "/console/subjects/search",
            data={
                "org": ORG,
                "kind": "email",
                "value": "private.person@example.com",
                "csrf_token": csrf,
            },
        )
    assert "private.person" not in repr(logs)
    assert "secret.user" not in repr(logs)


def test_it_lets_a_caseworker_not_reach_admin_pages(app: FastAPI) -> None:
    client = signed_in(app, "casey", "caseworker")

    response = client.get("/console/users")
    dashboard = client.get("/console")

    assert response.status_code == 403
    assert "Your role (caseworker) does not allow this" in response.text
    assert 'href="/console/users"' not in dashboard.text
    assert "access.refused" in audit_actions(app)


def test_it_documents_every_api_route_with_problem_shapes(app: FastAPI) -> None:
    spec = TestClient(app).get("/openapi.json").json()

    assert "Problem" in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        for operation in operations.values():
            errors = {k: v for k, v in operation["responses"].items() if k[0] in "45"}
            assert errors, f"{path} documents no error response"
            for status, body in errors.items():
                if status == "422":
                    continue
                assert "application/problem+json" in body["content"], (path, status)
