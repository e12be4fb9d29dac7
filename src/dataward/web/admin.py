"""Console administration: users (create, role, disable, enable, reset) and API tokens.

Every form posts, then redirects (post/redirect/get), so a reload never acts twice. A new
password or token is a one-time secret (``web.flash.keep_secret``): sealed in the session,
shown on the page the form redirects to and on one reload at most, never in a URL or a log.
Destructive actions (disable, reset a password, change a role, revoke a token) ask first:
their post is answered with a page that says what will happen (``web.confirm``), and only
its second post, with ``confirm=yes``, acts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.errors import InputRefused, TokenNotFound
from dataward.accounts.models import ApiToken, User
from dataward.accounts.permissions import ROLE_PERMISSIONS, TOKEN_SCOPES, Permission, Role
from dataward.accounts.roles import DEFAULT_ROLE, change_role, ensure_not_last_admin
from dataward.accounts.service import (
    create_user,
    get_user,
    get_user_by_ref,
    list_users,
    parse_role,
    reset_password,
    set_disabled,
)
from dataward.accounts.tokens import create_token, list_tokens, revoke_token
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import WEB_INPUT_REFUSED
from dataward.web.auth import app_uow, audit_refusal, console, form_text, posted_form, principal_of
from dataward.web.confirm import Confirmation, confirm_then_run
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_later, flash_now, keep_secret, take_secret
from dataward.web.staff import run_form
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
ADMIN = console(Permission.USERS_ADMIN)
USERS = "/console/users"
TOKENS = "/console/tokens"

# What each role may do, in words, least privilege first: the form and the confirmation say it.
ROLE_ORDER = (Role.AUDITOR, Role.CASEWORKER, Role.DPO, Role.ADMIN)
ROLE_WORDS = {
    Role.AUDITOR: "reads registers and the audit log; no personal data",
    Role.CASEWORKER: "finds and changes subjects; reads registers",
    Role.DPO: "subjects, registers, the audit log and the outbox",
    Role.ADMIN: "everything, including users and API tokens",
}


def _secret_page(response: Response) -> Response:
    # A page holding a secret must not be kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _users_page(request: Request, uow: UnitOfWork, status: int = 200, **extra: object) -> Response:
    shown = take_secret(request, "users") if status == 200 else None
    context = {
        "users": list_users(uow),
        "roles": [(r.value, ROLE_WORDS[r]) for r in ROLE_ORDER],
        "default_role": DEFAULT_ROLE.value,
        "shown": shown[0] if shown else None,
        "shows_left": shown[1] if shown else 0,
        "entered": {},
        **extra,
    }
    return _secret_page(render(request, "console/users.html", context, status_code=status))


@router.get("/console/users", name="users_page", dependencies=[ADMIN])
def users_page(request: Request, uow: Uow) -> Response:
    return _users_page(request, uow)


@router.post("/console/users", name="user_create", dependencies=[ADMIN])
def user_create(request: Request) -> Response:
    form = posted_form(request)
    actor = principal_of(request).actor
    with app_uow(request) as uow:
        try:
            username = form_text(form, "username", 80)
            role = form_text(form, "role", 20)
            user, password = create_user(
                uow, request.app.state.passwords, username, role, actor=actor
            )
            keep_secret(
                uow,
                request,
                "users",
                {"what": "created", "username": user.username, "secret": password},
            )
            flash_later(uow, request, "success", f"{user.username} is added as {user.role}.")
            uow.commit()
        except DatawardError as error:
            uow.rollback()
            # Nothing changed, so the form is shown again with what was typed (no redirect).
            entered = {
                "username": str(form.get("username") or "")[:80],
                "role": str(form.get("role") or "")[:20],
            }
            return _refused(request, uow, error, entered=entered)
    return RedirectResponse(USERS, status_code=303)


def _refused(request: Request, uow: UnitOfWork, error: DatawardError, **extra: object) -> Response:
    audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
    flash_now(request, "error", error_text(error))
    return _users_page(request, uow, status=error.http_status, **extra)


def _user(uow: UnitOfWork, ref: str) -> User:
    return get_user_by_ref(uow, ref[:32])


@router.post("/console/users/{ref}/reset", name="user_reset", dependencies=[ADMIN])
def user_reset(request: Request, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        with app_uow(request, read_only=True) as uow:
            name = _user(uow, ref).username
        consequences = [
            "A new password is made and shown to you once, to give to them by a safe route.",
            "Their current password stops working and every session of theirs ends.",
            "A lockout after failed sign-ins is lifted.",
        ]
        if form.get("clear_totp") == "yes":
            consequences.append("Their two-step sign-in is removed; they set it up again.")
        return Confirmation(
            f"Reset the password of {name}", consequences, "Reset the password", USERS, True
        )

    def reset(uow: UnitOfWork, form: FormData, actor: str) -> str:
        user = _user(uow, ref)
        password = reset_password(
            uow,
            request.app.state.passwords,
            user,
            clear_totp=form.get("clear_totp") == "yes",
            actor=actor,
        )
        keep_secret(
            uow, request, "users", {"what": "reset", "username": user.username, "secret": password}
        )
        return f"The password of {user.username} is reset."

    return confirm_then_run(request, USERS, confirm, reset)


@router.post("/console/users/{ref}/disable", name="user_disable", dependencies=[ADMIN])
def user_disable(request: Request, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        with app_uow(request, read_only=True) as uow:
            name = _user(uow, ref).username
        return Confirmation(
            f"Disable {name}",
            [
                "They can no longer sign in, and every session of theirs ends now.",
                "API tokens acting for them stop working.",
                "Their history stays; you can enable them again later.",
            ],
            f"Disable {name}",
            USERS,
            True,
        )

    def disable(uow: UnitOfWork, form: FormData, actor: str) -> str:
        return _set_disabled(request, uow, ref, True)

    return confirm_then_run(request, USERS, confirm, disable)


@router.post("/console/users/{ref}/enable", name="user_enable", dependencies=[ADMIN])
def user_enable(request: Request, ref: str) -> Response:
    # Enabling gives back access the person had: no confirmation, like any undo.
    return run_form(request, USERS, lambda uow: _set_disabled(request, uow, ref, False))


def _set_disabled(request: Request, uow: UnitOfWork, ref: str, disabled: bool) -> str:
    principal = principal_of(request)
    user = _user(uow, ref)
    if principal.user is not None and user.id == principal.user.id and disabled:
        raise InputRefused("you cannot disable your own account")
    if disabled:
        ensure_not_last_admin(uow, user, "disabled")
    set_disabled(uow, user, disabled, actor=principal.actor)
    request.app.state.accepted_tokens.forget_all()  # the owner's tokens go with them
    return f"{user.username} is {'disabled' if disabled else 'enabled'}."


@router.post("/console/users/{ref}/role", name="user_role", dependencies=[ADMIN])
def user_role(request: Request, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        new = parse_role(form_text(form, "role", 20))
        with app_uow(request, read_only=True) as uow:
            user = _user(uow, ref)
            name, old = user.username, Role(user.role)
        if new is old:
            raise InputRefused(f"{name} already has the role {old.value}")
        gains = sorted(ROLE_PERMISSIONS[new] - ROLE_PERMISSIONS[old])
        loses = sorted(ROLE_PERMISSIONS[old] - ROLE_PERMISSIONS[new])
        consequences = [f"{name} goes from {old.value} to {new.value}: {ROLE_WORDS[new]}."]
        if loses:
            consequences.append("They lose: " + ", ".join(p.value for p in loses) + ".")
        if gains:
            consequences.append("They gain: " + ", ".join(p.value for p in gains) + ".")
        consequences.append("It applies at once, to their sessions and their API tokens.")
        return Confirmation(
            f"Change the role of {name}", consequences, f"Make them {new.value}", USERS, True
        )

    def change(uow: UnitOfWork, form: FormData, actor: str) -> str:
        user = _user(uow, ref)
        old = change_role(uow, user, form_text(form, "role", 20), actor=actor)
        request.app.state.accepted_tokens.forget_all()  # tokens are bounded by the role
        return f"{user.username} is now {user.role} (was {old})."

    return confirm_then_run(request, USERS, confirm, change)


def _tokens_page(request: Request, uow: UnitOfWork, status: int = 200, **extra: object) -> Response:
    shown = take_secret(request, "tokens") if status == 200 else None
    context = {
        "tokens": list_tokens(uow),
        "users": [u for u in list_users(uow) if u.disabled_at is None],
        "scopes": [s.value for s in TOKEN_SCOPES],
        "now": uow.clock.now(),
        "shown": shown[0] if shown else None,
        "shows_left": shown[1] if shown else 0,
        **extra,
    }
    return _secret_page(render(request, "console/tokens.html", context, status_code=status))


@router.get("/console/tokens", name="tokens_page", dependencies=[ADMIN])
def tokens_page(request: Request, uow: Uow) -> Response:
    return _tokens_page(request, uow)


@router.post("/console/tokens", name="token_create", dependencies=[ADMIN])
def token_create(request: Request) -> Response:
    form = posted_form(request)
    actor = principal_of(request).actor
    max_days = request.app.state.settings.token_max_days
    with app_uow(request) as uow:
        try:
            name = form_text(form, "name", 80)
            owner = get_user(uow, form_text(form, "owner", 80))
            days_text = form_text(form, "days", 6)
            if not days_text.isdigit():
                raise InputRefused("days must be a whole number")
            scopes = [s for s in form.getlist("scope") if isinstance(s, str) and len(s) <= 40]
            secret, token = create_token(
                uow, owner, name, scopes, int(days_text), max_days=max_days, actor=actor
            )
            keep_secret(
                uow, request, "tokens", {"name": token.name, "ref": token.ref, "secret": secret}
            )
            flash_later(
                uow, request, "success", f"The token {token.name} ({token.ref}) is created."
            )
            uow.commit()
        except DatawardError as error:
            uow.rollback()
            audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
            flash_now(request, "error", error_text(error))
            return _tokens_page(request, uow, status=error.http_status)
    return RedirectResponse(TOKENS, status_code=303)


def _token(uow: UnitOfWork, ref: str) -> tuple[ApiToken, User]:
    for token, owner in list_tokens(uow):
        if token.ref == ref:
            return token, owner
    raise TokenNotFound(f"there is no API token {ref[:40]!r}")


@router.post("/console/tokens/{ref}/revoke", name="token_revoke", dependencies=[ADMIN])
def token_revoke(request: Request, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        with app_uow(request, read_only=True) as uow:
            token, owner = _token(uow, ref[:32])
            name, token_ref, owner_name = token.name, token.ref, owner.username
        return Confirmation(
            f"Revoke the token {name} ({token_ref})",
            [
                f"Every system sending it (it acts for {owner_name}) is refused from now on.",
                "A revoked token cannot be brought back: make a new one if it is still needed.",
            ],
            "Revoke the token",
            TOKENS,
            True,
        )

    def revoke(uow: UnitOfWork, form: FormData, actor: str) -> str:
        token = revoke_token(uow, ref[:32], actor=actor)
        request.app.state.accepted_tokens.forget_all()
        return f"The token {token.name} ({token.ref}) is revoked."

    return confirm_then_run(request, TOKENS, confirm, revoke)
