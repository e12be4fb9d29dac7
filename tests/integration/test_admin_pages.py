"""Staff administration pages: confirmations, post/redirect/get, one-time secrets, roles.

Issue 15, items 3 and 4, through HTTP on both backends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from structlog.testing import capture_logs
from web_support import add_user, api_token, console_app, csrf_from, signed_in

from dataward.accounts.models import ApiToken, User, WebSession
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    web = console_app(database_url, clock, vault)
    yield web
    web.state.engine.dispose()


def _user(app: FastAPI, username: str) -> User:
    with app.state.session_factory() as session:
        found = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(found)
        return found


def _events(app: FastAPI, action: str) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            session.expunge(row)
        return rows


def _csrf(client: TestClient, path: str = "/console/users") -> str:
    return csrf_from(client.get(path).text)


def _shown(html: str, element: str) -> str | None:
    marker = f'id="{element}">'
    return html.split(marker)[1].split("<")[0] if marker in html else None


def test_a_destructive_post_without_confirmation_changes_nothing_and_asks_first(
    app: FastAPI,
) -> None:
    """Issue 15, item 3: disable, reset, role change and revoke need confirm=yes; without it
    the answer is the confirmation page and nothing changes."""
    admin = signed_in(app, "boss", "admin")
    casey = add_user(app, "casey", "caseworker")
    token_owner = _user(app, "boss")
    api_token(app, token_owner, ["registers:read"])
    with app.state.session_factory() as session:
        token_ref = session.scalars(select(ApiToken.ref)).one()
    csrf = _csrf(admin)
    before = len(_events(app, "user.disabled"))

    answers = {
        "Disable casey": admin.post(
            f"/console/users/{casey.ref}/disable", data={"csrf_token": csrf}
        ),
        "Reset the password of casey": admin.post(
            f"/console/users/{casey.ref}/reset", data={"csrf_token": csrf}
        ),
        "Change the role of casey": admin.post(
            f"/console/users/{casey.ref}/role", data={"csrf_token": csrf, "role": "dpo"}
        ),
        f"Revoke the token test ({token_ref})": admin.post(
            f"/console/tokens/{token_ref}/revoke", data={"csrf_token": csrf, "confirm": "no"}
        ),
    }

    for title, answer in answers.items():
        assert answer.status_code == 200
        assert f"<h1>{title}</h1>" in answer.text
        assert 'name="confirm" value="yes"' in answer.text
    after = _user(app, "casey")
    assert after.disabled_at is None
    assert after.role == "caseworker"
    assert after.password_hash == casey.password_hash
    assert len(_events(app, "user.disabled")) == before
    assert not _events(app, "user.password_reset")
    assert not _events(app, "user.role_changed")
    assert not _events(app, "api_token.revoked")


def test_the_confirmation_page_says_what_happens_and_posts_to_the_action(app: FastAPI) -> None:
    """Issue 15, item 3: the shared confirmation convention, usable without JavaScript."""
    admin = signed_in(app, "boss", "admin")
    casey = add_user(app, "casey", "caseworker")
    users = admin.get("/console/users").text
    assert f'action="/console/users/{casey.ref}/disable"' in users

    page = admin.post(f"/console/users/{casey.ref}/disable", data={"csrf_token": _csrf(admin)})

    assert page.status_code == 200
    assert "What happens" in page.text
    assert "every session of theirs ends" in page.text
    assert f'action="/console/users/{casey.ref}/disable"' in page.text
    assert 'name="confirm" value="yes"' in page.text
    assert 'href="/console/users">Cancel</a>' in page.text
    assert _user(app, "casey").disabled_at is None
    done = admin.post(
        f"/console/users/{casey.ref}/disable",
        data={"csrf_token": csrf_from(page.text), "confirm": "yes"},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/console/users")
    assert _user(app, "casey").disabled_at is not None
    assert "casey is disabled." in admin.get("/console/users").text


def test_adding_a_user_redirects_and_shows_the_password_once_and_on_one_reload(
    app: FastAPI,
) -> None:
    """Issue 15, item 3: a reload after "Add user" does not post again; the secret survives
    one reload, then is gone."""
    admin = signed_in(app, "boss", "admin")
    csrf = _csrf(admin)

    with capture_logs() as logs:
        made = admin.post(
            "/console/users", data={"username": "new.person", "role": "dpo", "csrf_token": csrf}
        )
        first = admin.get(made.headers["location"]).text
        reload = admin.get("/console/users").text
        third = admin.get("/console/users").text

    assert (made.status_code, made.headers["location"]) == (303, "/console/users")
    password = _shown(first, "shown-password")
    assert password
    assert "new.person is added as dpo." in first
    assert "shown once more" in first
    assert _shown(reload, "shown-password") == password
    assert "last time it is shown" in reload
    assert _shown(third, "shown-password") is None
    assert password not in repr(logs)
    with app.state.session_factory() as session:
        stored = json.dumps([s.flashes for s in session.scalars(select(WebSession))])
    assert password not in stored  # sealed, and gone once shown twice
    assert len(_events(app, "user.created")) == 2  # boss and new.person, nothing twice


def test_a_one_time_secret_is_sealed_to_its_session(app: FastAPI) -> None:
    """Issue 15, item 3: the stored flash cannot be read without the session cookie."""
    admin = signed_in(app, "boss", "admin")
    made = admin.post(
        "/console/users",
        data={"username": "new.person", "role": "auditor", "csrf_token": _csrf(admin)},
    )
    assert made.status_code == 303
    with app.state.session_factory() as session:
        stored = json.dumps([s.flashes for s in session.scalars(select(WebSession))])
    assert '"secret"' in stored
    assert "new.person" not in stored.split('"success"')[0]  # the secret entry names nobody
    other = signed_in(app, "other", "admin")

    assert _shown(other.get("/console/users").text, "shown-password") is None
    assert _shown(admin.get("/console/users").text, "shown-password")


def test_a_one_time_secret_left_unshown_expires(app: FastAPI, clock: FixedClock) -> None:
    """Issue 15, item 3: a secret is short-lived even when never shown."""
    admin = signed_in(app, "boss", "admin")
    admin.post(
        "/console/users",
        data={"username": "new.person", "role": "auditor", "csrf_token": _csrf(admin)},
    )
    clock.advance(timedelta(minutes=11))

    assert _shown(admin.get("/console/users").text, "shown-password") is None


def test_resetting_a_password_is_confirmed_then_shown_once(app: FastAPI) -> None:
    """Issue 15, item 3: reset asks first, then redirects to the one-time password."""
    admin = signed_in(app, "boss", "admin")
    casey = add_user(app, "casey", "caseworker")
    page = admin.post(
        f"/console/users/{casey.ref}/reset", data={"csrf_token": _csrf(admin), "clear_totp": "yes"}
    )
    assert "Reset the password of casey" in page.text
    assert "Their two-step sign-in is removed" in page.text
    assert 'name="clear_totp" value="yes"' in page.text  # carried to the confirming post

    done = admin.post(
        f"/console/users/{casey.ref}/reset",
        data={"csrf_token": csrf_from(page.text), "confirm": "yes", "clear_totp": "yes"},
    )

    assert (done.status_code, done.headers["location"]) == (303, "/console/users")
    shown = admin.get("/console/users").text
    assert "New password: casey" in shown
    assert _shown(shown, "shown-password")
    assert _user(app, "casey").password_hash != casey.password_hash
    [event] = _events(app, "user.password_reset")
    assert event.details == {"totp_cleared": True}


def test_creating_a_token_redirects_and_revoking_it_asks_first(app: FastAPI) -> None:
    """Issue 15, item 3: token creation is post/redirect/get; revoke is confirmed."""
    admin = signed_in(app, "boss", "admin")
    csrf = _csrf(admin, "/console/tokens")
    made = admin.post(
        "/console/tokens",
        data={"name": "crm", "owner": "boss", "scope": "registers:read", "days": "30"}
        | {"csrf_token": csrf},
    )
    assert (made.status_code, made.headers["location"]) == (303, "/console/tokens")
    page = admin.get("/console/tokens").text
    assert (_shown(page, "shown-token") or "").startswith("dw_")
    with app.state.session_factory() as session:
        ref = session.scalars(select(ApiToken.ref)).one()
    assert f'action="/console/tokens/{ref}/revoke"' in page

    confirm = admin.post(f"/console/tokens/{ref}/revoke", data={"csrf_token": csrf})
    assert f"Revoke the token crm ({ref})" in confirm.text
    assert "cannot be brought back" in confirm.text
    assert not _events(app, "api_token.revoked")
    done = admin.post(
        f"/console/tokens/{ref}/revoke",
        data={"csrf_token": csrf_from(confirm.text), "confirm": "yes"},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/console/tokens")
    assert len(_events(app, "api_token.revoked")) == 1
    missing = admin.post("/console/tokens/t_nothing/revoke", data={"csrf_token": csrf})
    assert (missing.status_code, missing.headers["location"]) == (303, "/console/tokens")
    assert "(code token_not_found)" in admin.get("/console/tokens").text


def test_an_admin_changes_a_role_confirmed_and_audited_with_old_and_new(app: FastAPI) -> None:
    """Issue 15, item 4: a role changes in the console; the audit row holds from and to."""
    admin = signed_in(app, "boss", "admin")
    casey = add_user(app, "casey", "caseworker")
    users = admin.get("/console/users").text
    assert f'action="/console/users/{casey.ref}/role"' in users
    csrf = csrf_from(users)

    page = admin.post(
        f"/console/users/{casey.ref}/role", data={"csrf_token": csrf, "role": "auditor"}
    )
    assert "casey goes from caseworker to auditor" in page.text
    assert (
        "They lose: complaints:read, complaints:write, decisions:read, disclosures:read, "
        "disclosures:write, holds:read, holds:write, requests:read, requests:write, "
        "subjects:read, subjects:write." in page.text
    )
    assert "They gain: audit:read." in page.text
    done = admin.post(
        f"/console/users/{casey.ref}/role",
        data={"csrf_token": csrf_from(page.text), "role": "auditor", "confirm": "yes"},
    )

    assert (done.status_code, done.headers["location"]) == (303, "/console/users")
    assert _user(app, "casey").role == "auditor"
    [event] = _events(app, "user.role_changed")
    assert event.entity_id == casey.ref
    assert event.details == {"from": "caseworker", "to": "auditor"}
    assert "casey is now auditor (was caseworker)." in admin.get("/console/users").text
    for role, message in (("auditor", "already has the role auditor"), ("emperor", "one of")):
        refused = admin.post(
            f"/console/users/{casey.ref}/role", data={"csrf_token": csrf, "role": role}
        )
        assert refused.status_code == 303  # back to the list, which says why
        assert message in admin.get("/console/users").text
    assert len(_events(app, "user.role_changed")) == 1


def test_the_last_active_admin_cannot_be_demoted(app: FastAPI) -> None:
    """Issue 15, item 4: a clear error, nothing changed; with a second admin it works."""
    admin = signed_in(app, "boss", "admin")
    boss = _user(app, "boss")
    csrf = _csrf(admin)

    refused = admin.post(
        f"/console/users/{boss.ref}/role",
        data={"csrf_token": csrf, "role": "dpo", "confirm": "yes"},
    )
    page = admin.get("/console/users").text

    assert refused.status_code == 303
    assert "The user boss is the last active administrator and cannot be demoted" in page
    assert "(code last_admin)" in page
    assert _user(app, "boss").role == "admin"
    assert not _events(app, "user.role_changed")
    add_user(app, "second", "admin")
    done = admin.post(
        f"/console/users/{boss.ref}/role",
        data={"csrf_token": csrf, "role": "dpo", "confirm": "yes"},
    )
    assert done.status_code == 303
    assert _user(app, "boss").role == "dpo"


def test_a_new_user_defaults_to_the_least_privilege(app: FastAPI) -> None:
    """Issue 15, item 4: the form preselects auditor, not admin."""
    admin = signed_in(app, "boss", "admin")

    page = admin.get("/console/users").text

    form = page.split('id="new-user"')[1]
    assert '<option value="auditor" selected>' in form
    assert '<option value="admin" selected>' not in form
    assert "least privilege" in form


def test_a_refused_new_user_keeps_what_was_typed(app: FastAPI) -> None:
    """Issue 15, item 3: nothing changed, the form is shown again with its values."""
    admin = signed_in(app, "boss", "admin")
    add_user(app, "taken", "dpo")

    answer = admin.post(
        "/console/users", data={"username": "taken", "role": "dpo", "csrf_token": _csrf(admin)}
    )

    assert answer.status_code == 409
    assert 'value="taken"' in answer.text
    assert '<option value="dpo" selected>' in answer.text.split('id="new-user"')[1]


def test_the_dashboard_shows_counts_each_to_the_roles_that_may_see_them(app: FastAPI) -> None:
    """Issue 15, item 4: subjects per organisation, outbox, users and the audit chain's head;
    no verification result is invented."""
    from web_support import ORG, add_person

    add_person(app, "a@example.com")
    add_person(app, "b@example.com")
    admin = signed_in(app, "boss", "admin")
    add_user(app, "gone", "dpo")
    with UnitOfWork(app.state.session_factory, app.state.clock) as unit:
        gone = unit.session.scalars(select(User).where(User.username == "gone")).one()
        gone.disabled_at = unit.clock.now()
        unit.commit()

    page = admin.get("/console").text
    auditor = signed_in(app, "audrey", "auditor").get("/console").text
    caseworker = signed_in(app, "casey", "caseworker").get("/console").text

    glance = page.split("At a glance")[1].split("<h2>Pages</h2>")[0]
    assert f"2 subjects</a> of <code>{ORG}</code>" in glance
    assert "Waiting to send</dt><dd>0 messages" in glance
    assert "Active</dt><dd>1 user</dd>" in glance
    assert "Disabled</dt><dd>1 user</dd>" in glance
    assert "Newest row <strong>#" in glance
    assert "run <code>dataward audit verify</code>" in glance
    assert "No signed head yet" in glance  # main records signed heads; none was made here
    assert "intact" not in glance.lower()
    # an auditor sees the chain, not subject counts or users; a caseworker no audit chain
    assert "Audit chain" in auditor
    assert "2 subjects" not in auditor
    assert "Active</dt>" not in auditor
    assert "2 subjects" in caseworker
    assert "Audit chain" not in caseworker
    assert "Waiting to send" not in caseworker


def test_the_next_form_drops_a_pending_secret(app: FastAPI) -> None:
    """Issue 15, item 3: a secret shows after its own form, never beside the next one's news."""
    admin = signed_in(app, "boss", "admin")
    casey = add_user(app, "casey", "caseworker")
    admin.post(
        "/console/users",
        data={"username": "new.person", "role": "auditor", "csrf_token": _csrf(admin)},
    )
    assert _shown(admin.get("/console/users").text, "shown-password")  # shown once

    csrf = _csrf(admin, "/console")  # not the users page: that would show it a second time
    admin.post(f"/console/users/{casey.ref}/disable", data={"csrf_token": csrf, "confirm": "yes"})
    after = admin.get("/console/users").text

    assert "casey is disabled." in after
    assert _shown(after, "shown-password") is None
