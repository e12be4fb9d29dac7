"""Console administration: users (create, disable, enable, reset) and API tokens.

A new password or token is shown once, on the page that answers the form, and never
stored in plain text anywhere (not even in a flash message).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.errors import InputRefused
from dataward.accounts.permissions import TOKEN_SCOPES, Permission, Role
from dataward.accounts.service import (
    create_user,
    get_user,
    get_user_by_ref,
    list_users,
    reset_password,
    set_disabled,
)
from dataward.accounts.tokens import create_token, list_tokens, revoke_token
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import WEB_INPUT_REFUSED
from dataward.web.auth import app_uow, audit_refusal, console, form_text, posted_form, principal_of
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_now
from dataward.web.staff import run_form
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
ADMIN = console(Permission.USERS_ADMIN)


def _users_page(request: Request, uow: UnitOfWork, status: int = 200, **extra: object) -> Response:
    context = {"users": list_users(uow), "roles": [r.value for r in Role], "shown": None, **extra}
    return render(request, "console/users.html", context, status_code=status)


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
            uow.commit()
        except DatawardError as error:
            uow.rollback()
            return _refused(request, uow, error)
        shown = {"username": user.username, "password": password, "what": "created"}
        return _users_page(request, uow, shown=shown)


@router.post("/console/users/{ref}/reset", name="user_reset", dependencies=[ADMIN])
def user_reset(request: Request, ref: str) -> Response:
    actor = principal_of(request).actor
    clear_totp = posted_form(request).get("clear_totp") == "yes"
    with app_uow(request) as uow:
        try:
            user = get_user_by_ref(uow, ref[:32])
            password = reset_password(
                uow, request.app.state.passwords, user, clear_totp=clear_totp, actor=actor
            )
            uow.commit()
        except DatawardError as error:
            uow.rollback()
            return _refused(request, uow, error)
        shown = {"username": user.username, "password": password, "what": "reset"}
        return _users_page(request, uow, shown=shown)


def _refused(request: Request, uow: UnitOfWork, error: DatawardError) -> Response:
    audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
    flash_now(request, "error", error_text(error))
    return _users_page(request, uow, status=error.http_status)


@router.post("/console/users/{ref}/disable", name="user_disable", dependencies=[ADMIN])
def user_disable(request: Request, ref: str) -> Response:
    return _set_disabled(request, ref, True)


@router.post("/console/users/{ref}/enable", name="user_enable", dependencies=[ADMIN])
def user_enable(request: Request, ref: str) -> Response:
    return _set_disabled(request, ref, False)


def _set_disabled(request: Request, ref: str, disabled: bool) -> Response:
    principal = principal_of(request)

    def change(uow: UnitOfWork) -> str:
        user = get_user_by_ref(uow, ref[:32])
        if principal.user is not None and user.id == principal.user.id and disabled:
            raise InputRefused("you cannot disable your own account")
        set_disabled(uow, user, disabled, actor=principal.actor)
        request.app.state.accepted_tokens.forget_all()  # the owner's tokens go with them
        return f"{user.username} is {'disabled' if disabled else 'enabled'}."

    return run_form(request, "/console/users", change)


def _tokens_page(request: Request, uow: UnitOfWork, status: int = 200, **extra: object) -> Response:
    context = {
        "tokens": list_tokens(uow),
        "users": [u for u in list_users(uow) if u.disabled_at is None],
        "scopes": [s.value for s in TOKEN_SCOPES],
        "now": uow.clock.now(),
        "shown": None,
        **extra,
    }
    return render(request, "console/tokens.html", context, status_code=status)


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
            uow.commit()
        except DatawardError as error:
            uow.rollback()
            audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
            flash_now(request, "error", error_text(error))
            return _tokens_page(request, uow, status=error.http_status)
        shown = {"secret": secret, "name": token.name, "ref": token.ref}
        return _tokens_page(request, uow, shown=shown)


@router.post("/console/tokens/{ref}/revoke", name="token_revoke", dependencies=[ADMIN])
def token_revoke(request: Request, ref: str) -> Response:
    actor = principal_of(request).actor

    def revoke(uow: UnitOfWork) -> str:
        token = revoke_token(uow, ref[:32], actor=actor)
        request.app.state.accepted_tokens.forget_all()
        return f"The token {token.name} ({token.ref}) is revoked."

    return run_form(request, "/console/tokens", revoke)
