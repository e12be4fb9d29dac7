"""Signing in and out: password, then a TOTP code (or setting one up), then the console."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dataward.accounts.audit_actions import AUTH_LOGIN_REFUSED
from dataward.accounts.errors import InputRefused, TooManyAttempts
from dataward.accounts.models import User
from dataward.accounts.passwords import MAX_LENGTH
from dataward.accounts.service import (
    LoginOutcome,
    LoginPolicy,
    check_password,
    check_totp,
    enrol_totp,
    new_totp_secret,
    totp_uri,
)
from dataward.accounts.sessions import ActiveSession, end_session, start_session
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import WEB_INPUT_REFUSED
from dataward.web.auth import (
    LOGIN,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SIGNIN_STEP,
    app_uow,
    audit_refusal,
    console,
    form_text,
    login_csrf_pair,
    posted_form,
    principal_of,
    set_form_cookie,
)
from dataward.web.templating import render
from dataward.web.throttle import throttle_key

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

WRONG = "The username or password is not right. Check both and try again."
WRONG_CODE = "The code is not right, or was used already. Enter the newest code."
LOCKED = (
    "Too many failed attempts to sign in. Wait {minutes} minutes and try again, or ask an "
    "administrator to reset your password."
)
DISABLED = "This account is disabled. Ask an administrator if you need it again."


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would make phishing links look like ours."""
    if not target or len(target) > 500:
        return "/console"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/console"
    return target


def _login_page(
    request: Request, *, error: str | None = None, status: int = 200, username: str = ""
) -> Response:
    secret: bytes = request.app.state.secret_key
    nonce, token = login_csrf_pair(secret)
    ended = request.query_params.get("ended") == "1"
    context = {
        "error": error,
        "username": username[:80],
        "login_csrf": token,
        "next": _safe_next(request.query_params.get("next")),
        "ended": ended,
    }
    response = render(request, "login.html", context, status_code=status)
    set_form_cookie(request, response, nonce, "/login")
    return response


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
        path="/",
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", name="login_form", dependencies=[LOGIN])
def login_form(request: Request) -> Response:
    if principal_of(request).signed_in:
        return RedirectResponse("/console", status_code=303)
    return _login_page(request)


@router.post("/login", name="login_submit", dependencies=[LOGIN])
def login_submit(request: Request) -> Response:
    state = request.app.state
    form = posted_form(request)
    try:
        username = form_text(form, "username", 200)
        password = form_text(form, "password", MAX_LENGTH)
    except InputRefused as error:
        audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
        return _login_page(request, error=_sentence(error.message), status=400)
    minutes = state.settings.login_lockout_minutes
    client_key = throttle_key("client", _client(request))
    user_key = throttle_key("user", username)
    if state.throttle.blocked(client_key, state.settings.login_attempts_per_client) or (
        state.throttle.blocked(user_key, state.settings.login_max_failures)
    ):
        audit_refusal(request, AUTH_LOGIN_REFUSED, reason="throttled")
        refusal = TooManyAttempts(LOCKED.format(minutes=minutes))
        return _login_page(request, error=refusal.message, status=429, username=username)
    with app_uow(request) as uow:
        outcome = check_password(uow, state.passwords, state.login_policy, username, password)
        token = _begin(uow, request, outcome)
        uow.commit()
    if not outcome.accepted:
        state.throttle.failed(client_key)
        state.throttle.failed(user_key)
        return _refused_page(request, outcome, username, minutes)
    state.throttle.clear(user_key)
    assert token is not None
    target = _safe_next(form_text(form, "next", 500, required=False) or None)
    location = target if outcome.stage == "full" else _step(outcome.stage)
    response = RedirectResponse(location, status_code=303)
    _set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def _begin(uow: UnitOfWork, request: Request, outcome: LoginOutcome) -> str | None:
    if not outcome.accepted or outcome.user is None or outcome.stage is None:
        return None
    # Any session the browser already had ends: a new sign-in gets a new session id.
    old = principal_of(request)
    if old.session is not None and old.user is not None:
        end_session(uow, _active(uow, old.session.id, old.user), reason="new_sign_in")
    token, _row = start_session(uow, outcome.user, outcome.stage, request.app.state.session_policy)
    return token


def _active(uow: UnitOfWork, session_id: str, user: User) -> ActiveSession:
    from dataward.accounts.models import WebSession

    row = uow.session.get(WebSession, session_id)
    assert row is not None
    return ActiveSession(row, user)


def _step(stage: str | None) -> str:
    return "/login/totp/setup" if stage == "enrol" else "/login/totp"


def _refused_page(request: Request, outcome: LoginOutcome, username: str, minutes: int) -> Response:
    if outcome.reason == "locked":
        return _login_page(
            request, error=LOCKED.format(minutes=minutes), status=429, username=username
        )
    if outcome.reason == "disabled":
        return _login_page(request, error=DISABLED, status=403, username=username)
    return _login_page(request, error=WRONG, status=401, username=username)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


@router.get("/login/totp", name="totp_form", dependencies=[SIGNIN_STEP])
def totp_form(request: Request) -> Response:
    session = principal_of(request).session
    if session is not None and session.stage == "enrol":
        return RedirectResponse("/login/totp/setup", status_code=303)
    return render(request, "totp.html", {"error": None})


@router.post("/login/totp", name="totp_submit", dependencies=[SIGNIN_STEP])
def totp_submit(request: Request) -> Response:
    principal = principal_of(request)
    assert principal.user is not None
    try:
        code = form_text(posted_form(request), "code", 10)
    except InputRefused as error:
        audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
        return render(request, "totp.html", {"error": _sentence(error.message)}, status_code=400)
    return _finish(request, lambda uow, user: check_totp(uow, user, _policy(request), code))


@router.get("/login/totp/setup", name="totp_setup_form", dependencies=[SIGNIN_STEP])
def totp_setup_form(request: Request) -> Response:
    return _setup_page(request, new_totp_secret())


def _setup_page(
    request: Request, secret: str, error: str | None = None, status: int = 200
) -> Response:
    user = principal_of(request).user
    assert user is not None
    context = {"secret": secret, "uri": totp_uri(secret, user.username), "error": error}
    return render(request, "totp_setup.html", context, status_code=status)


@router.post("/login/totp/setup", name="totp_setup_submit", dependencies=[SIGNIN_STEP])
def totp_setup_submit(request: Request) -> Response:
    form = posted_form(request)
    try:
        secret = form_text(form, "secret", 64)
        code = form_text(form, "code", 10)
    except InputRefused as error:
        audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
        return _setup_page(request, new_totp_secret(), _sentence(error.message), 400)
    try:
        return _finish(
            request, lambda uow, user: enrol_totp(uow, user, _policy(request), secret, code)
        )
    except DatawardError as error:
        audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
        return _setup_page(request, new_totp_secret(), _sentence(error.message), 400)


def _policy(request: Request) -> LoginPolicy:
    policy: LoginPolicy = request.app.state.login_policy
    return policy


def _finish(request: Request, check: Callable[[UnitOfWork, User], LoginOutcome]) -> Response:
    """Run the second step; on success replace the pending session by a full one."""
    principal = principal_of(request)
    assert principal.user is not None
    assert principal.session is not None
    with app_uow(request) as uow:
        user = uow.session.get(User, principal.user.id)
        assert user is not None
        outcome: LoginOutcome = check(uow, user)
        token = None
        if outcome.accepted:
            end_session(uow, _active(uow, principal.session.id, user), reason="second_step_done")
            token, _row = start_session(uow, user, "full", request.app.state.session_policy)
        uow.commit()
    if token is None:
        minutes = request.app.state.settings.login_lockout_minutes
        message = LOCKED.format(minutes=minutes) if outcome.reason == "locked" else WRONG_CODE
        status = 429 if outcome.reason == "locked" else 401
        if principal.session.stage == "enrol":
            return _setup_page(request, new_totp_secret(), message, status)
        return render(request, "totp.html", {"error": message}, status_code=status)
    response = RedirectResponse("/console", status_code=303)
    _set_session_cookie(request, response, token)
    return response


@router.post("/logout", name="logout", dependencies=[console()])
def logout(request: Request) -> Response:
    principal = principal_of(request)
    assert principal.session is not None
    assert principal.user is not None
    with app_uow(request) as uow:
        end_session(uow, _active(uow, principal.session.id, principal.user), reason="signed_out")
        uow.commit()
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
