"""Who is asking, and whether they may: each route declares one ``Access`` rule.

Routes carry their rule as a dependency (``dependencies=[PUBLIC]``, ``console(...)``,
``api(...)``); ``create_app`` refuses to start if any route has none, and the
authorisation matrix test checks every route for every role. Console pages take a session
cookie; the API takes a bearer token (or, for reading only, a console session). Every form
post is read here, size-capped, and its CSRF token checked before the route runs.

No body is read before the rule has accepted the caller: the rule opens the request's body
gate (``web.bodies``) with the route's cap, and a route with a body parameter, which FastAPI
would read before any dependency, runs its rule first (``web.rule_first``). Refusals are
recorded through the app's ``RefusalGuard`` (``web.refusals``), which rolls them up per
client and throttles a client that earns too many.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from dataward.accounts.errors import (
    AccessDenied,
    CsrfRefused,
    InputRefused,
    LoginRequired,
    SessionExpired,
    TokenInvalid,
)
from dataward.accounts.models import ApiToken, User, WebSession
from dataward.accounts.permissions import Permission, permissions_of
from dataward.accounts.sessions import SessionPolicy, check_csrf, load_session
from dataward.accounts.token_checks import AcceptedTokens
from dataward.accounts.token_uses import TokenUseLedger
from dataward.accounts.tokens import check_token, token_refusal
from dataward.errors import ValidationFailed
from dataward.logging import get_logger
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import ACCESS_REFUSED, SECURITY_CSRF_REFUSED
from dataward.web.bodies import UPLOAD_ROUTES, admit_body
from dataward.web.refusals import RefusalGuard

SESSION_COOKIE = "dataward_session"
LOGIN_COOKIE = "dataward_login"
CSRF_FIELD = "csrf_token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

log = get_logger(__name__)


@dataclass
class Principal:
    """The person or token behind a request; anonymous when ``user`` is None."""

    user: User | None = None
    session: WebSession | None = None
    token: ApiToken | None = None
    permissions: frozenset[Permission] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        if self.token is not None:
            return f"token:{self.token.ref}"
        return f"user:{self.user.ref}" if self.user else "anonymous"

    @property
    def signed_in(self) -> bool:
        return self.session is not None and self.session.stage == "full"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def principal_of(request: Request) -> Principal:
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else Principal()


def app_uow(request: Request, *, read_only: bool = False) -> UnitOfWork:
    state = request.app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault, read_only=read_only)


def audit_refusal(request: Request, action: str, **details: str | int | bool | None) -> None:
    """Record a refused request: the first of its kind from its client in a window at once,
    in its own transaction (the refusal itself changes nothing), the rest as a count."""
    route = request.scope.get("route")
    guard: RefusalGuard = request.app.state.refusals
    guard.record(
        request,
        action=action,
        actor=principal_of(request).actor,
        details={"route": getattr(route, "name", None), **details},
    )


def _session_policy(request: Request) -> SessionPolicy:
    policy: SessionPolicy = request.app.state.session_policy
    return policy


class Access:
    """A route's rule: who may call it. Instances are used as FastAPI dependencies."""

    def __init__(
        self, kind: str, permission: Permission | None = None, *, inline: bool = False
    ) -> None:
        self.kind = kind
        self.permission = permission
        # An inline API rule leaves a bearer token to the route, which checks it with
        # ``check_bearer`` in its own unit of work: one trip to the thread pool and one
        # connection per call instead of two, for routes called per person by campaigns.
        self.inline = inline

    def __repr__(self) -> str:
        return f"Access({self.kind!r}, {self.permission!r})"

    async def __call__(self, request: Request) -> None:
        if getattr(request.state, "ruled", None) is self:
            return  # the rule ran before the route read its body (RuleFirstRoute)
        # A client that earned too many refusals is answered before any database work.
        guard: RefusalGuard = request.app.state.refusals
        guard.check(request)
        if self.inline and request.headers.get("authorization"):
            request.state.access = self
            return
        principal = await run_in_threadpool(self._resolve, request)
        request.state.principal = principal
        admit_body(request, self.kind)
        # A beacon reads its own small JSON body: no form, no CSRF (cross-site by design).
        if request.method not in _SAFE and self.kind not in ("api", "beacon"):
            form = await _read_form(request)
            request.state.form = form
            await run_in_threadpool(self._check_csrf, request, principal, form)
        request.state.ruled = self

    def _resolve(self, request: Request) -> Principal:
        if self.kind == "api":
            return self._api(request)
        cookie = request.cookies.get(SESSION_COOKIE)
        if self.kind == "beacon":
            return Principal()
        if self.kind in ("public", "login"):
            return self._optional_session(request, cookie)
        if not cookie:
            raise LoginRequired("sign in to continue")
        principal = self._session(request, cookie)
        assert principal.session is not None
        stage = principal.session.stage
        if self.kind == "signin_step":
            if stage == "full":
                raise _redirect(LoginRequired("you are signed in already"), "/console")
            return principal
        if stage != "full":
            raise _redirect(LoginRequired("finish signing in"), _step_page(stage))
        self._require(request, principal)
        return principal

    def _session(self, request: Request, cookie: str) -> Principal:
        with app_uow(request) as uow:
            try:
                active = load_session(uow, cookie, _session_policy(request))
            except SessionExpired:
                uow.commit()  # the ended session is deleted and audited
                raise
            uow.commit()
            return Principal(
                active.user, active.row, None, frozenset(permissions_of(active.user.role))
            )

    def _optional_session(self, request: Request, cookie: str | None) -> Principal:
        if not cookie:
            return Principal()
        try:
            principal = self._session(request, cookie)
        except LoginRequired:
            return Principal()
        return principal if principal.signed_in else Principal(session=principal.session)

    def _api(self, request: Request) -> Principal:
        assert self.permission is not None
        header = request.headers.get("authorization")
        route = getattr(request.scope.get("route"), "name", "") or ""
        if header:
            with app_uow(request, read_only=True) as uow:
                return self._bearer(request, uow, header, route)
        cookie = request.cookies.get(SESSION_COOKIE)
        # A console session may read the API from the browser; changes need a token, so
        # no cross-site form can make them with the cookie alone.
        if cookie and request.method in _SAFE:
            principal = self._session(request, cookie)
            if principal.signed_in:
                self._require(request, principal)
                return principal
        needed = self.permission.value
        audit_refusal(request, ACCESS_REFUSED, reason="login_required", needed=needed)
        raise LoginRequired("this API needs a bearer token: `Authorization: Bearer dw_...`")

    def _bearer(self, request: Request, uow: UnitOfWork, header: str, route: str) -> Principal:
        """The principal of a bearer token, checked in ``uow`` (read-only is enough)."""
        assert self.permission is not None
        scheme, _, secret = header.partition(" ")
        guard: RefusalGuard = request.app.state.refusals
        if scheme.lower() != "bearer" or not secret.strip():
            guard.record(request, **token_refusal(None, route, "malformed"))
            raise TokenInvalid("send the API token as `Authorization: Bearer dw_...`")
        uses: TokenUseLedger = request.app.state.token_uses
        accepted: AcceptedTokens = request.app.state.accepted_tokens
        now = uow.clock.now()
        checked = accepted.check(secret.strip(), self.permission, now)
        if checked is None:
            checked = check_token(uow, secret.strip(), self.permission, route)
            # The principal (and the cache) carry these rows past the unit of work.
            for row in (checked.token, checked.user):
                if row is not None:
                    uow.session.expunge(row)
            accepted.remember(secret.strip(), checked, now)
        if checked.error is not None:
            # The first refusal of its kind from this client is written before answering.
            guard.record(request, **token_refusal(checked.token, route, checked.reason))
            raise checked.error
        assert checked.user is not None
        assert checked.token is not None
        token = checked.token
        if uses.immediate:
            with app_uow(request) as writer:
                uses.note(token.id, token.ref, route, now)
                uses.flush(writer)
                writer.commit()
        else:
            # The use is counted and written with the others of its window. A window
            # closes on the uses before this one, so each event spans about one window.
            if uses.due(now):
                _write_token_uses(request, uses)
            uses.note(token.id, token.ref, route, now)
        scopes = frozenset(Permission(s) for s in token.scopes)
        return Principal(checked.user, None, token, scopes)

    def _require(self, request: Request, principal: Principal) -> None:
        if self.permission is None or principal.can(self.permission):
            return
        request.state.principal = principal
        audit_refusal(request, ACCESS_REFUSED, needed=self.permission.value)
        role = principal.user.role if principal.user else "none"
        raise AccessDenied(
            f"your role ({role}) does not allow this; ask an administrator if you need it"
        )

    def _check_csrf(self, request: Request, principal: Principal, form: FormData) -> None:
        given = form.get(CSRF_FIELD)
        token = given if isinstance(given, str) else ""
        try:
            if self.kind in ("public", "login"):
                _check_login_csrf(request, token)
            elif principal.session is None:
                raise CsrfRefused("sign in again, then resubmit the form")
            else:
                now = int(request.app.state.clock.now().timestamp())
                check_csrf(principal.session, token, now, _session_policy(request))
        except CsrfRefused:
            audit_refusal(request, SECURITY_CSRF_REFUSED)
            raise


def _write_token_uses(request: Request, uses: TokenUseLedger) -> None:
    """Write the counted token uses in a transaction of their own.

    A failure does not fail this request, whose own check succeeded: the counts stay in
    the ledger (``flush`` puts them back) and the next accepted call tries again.
    """
    guard: RefusalGuard = request.app.state.refusals
    try:
        with app_uow(request) as uow:
            uses.flush(uow)
            guard.flush_due(uow)  # a quiet API's refusal counts go out with its uses
            uow.commit()
    except Exception as exc:
        log.error("web.token_uses_not_written", error=type(exc).__name__, uses=uses.pending_uses())


def _redirect(error: LoginRequired, location: str) -> LoginRequired:
    error.location = location  # type: ignore[attr-defined]
    return error


def _step_page(stage: str) -> str:
    return "/login/totp/setup" if stage == "enrol" else "/login/totp"


async def _read_form(request: Request) -> FormData:
    """The posted form, read whole (the body gate refuses it past 64 KiB: ``web.bodies``)."""
    await request.body()  # Starlette parses the form from the cached body
    route = getattr(request.scope.get("route"), "name", "") or ""
    return await request.form(max_files=1 if route in UPLOAD_ROUTES else 0, max_fields=40)


def login_csrf_pair(secret: bytes) -> tuple[str, str]:
    """A cookie value and the form token that matches it (double submit, signed)."""
    nonce = secrets.token_urlsafe(24)
    return nonce, _login_mac(secret, nonce)


def set_form_cookie(request: Request, response: Response, nonce: str, path: str) -> None:
    """The cookie half of ``login_csrf_pair`` for a form without a session (sign-in, the
    portal's forms), scoped to the path that posts it."""
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
        path=path,
    )


def _login_mac(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, b"login-csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def _check_login_csrf(request: Request, token: str) -> None:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    secret: bytes = request.app.state.secret_key
    if not nonce or not hmac.compare_digest(_login_mac(secret, nonce), token):
        raise CsrfRefused(
            "the sign-in form had expired or did not come from this site, so nothing was "
            "done; open the sign-in page again"
        )


def form_text(form: FormData, name: str, limit: int, *, required: bool = True) -> str:
    """One text field of a form, checked for presence and length (the cap is per field)."""
    value = form.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputRefused(f"{name.replace('_', ' ')} is required")
        return ""
    if not isinstance(value, str):
        raise InputRefused(f"{name.replace('_', ' ')} must be text")
    if len(value) > limit or "\x00" in value:
        raise InputRefused(f"{name.replace('_', ' ')} is too long (at most {limit} characters)")
    return value


def parse_day(value: str, name: str) -> date:
    """A day typed in a form or a filter (ISO, as a date input sends it), or a clear error."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"{name} must be a date like 2026-11-25") from None


def posted_form(request: Request) -> FormData:
    """The form ``Access`` read and checked for this request."""
    form = getattr(request.state, "form", None)
    return form if isinstance(form, FormData) else FormData()


@dataclass(frozen=True)
class RouteInfo:
    name: str
    path: str
    route: Any  # the APIRoute, or a framework route (docs, static files)


def app_routes(app: Any) -> list[RouteInfo]:
    """Every route the app serves, including those of included routers, with full paths."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI includes routers lazily
    except ImportError:  # older FastAPI copies routes into app.routes
        return [RouteInfo(getattr(r, "name", ""), getattr(r, "path", ""), r) for r in app.routes]
    return [
        RouteInfo(str(ctx.name or ""), str(ctx.path or ""), ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
    ]


def rule_of(route: Any) -> Access | None:
    """The Access rule a route declared, if any."""
    if not isinstance(route, APIRoute):
        return None
    for dependency in route.dependant.dependencies:
        if isinstance(dependency.call, Access):
            return dependency.call
    return None


PUBLIC: Any = Depends(Access("public"))
# Anyone, from any site, with no session: the cookie banner's consent log.
BEACON: Any = Depends(Access("beacon"))
LOGIN: Any = Depends(Access("login"))
SIGNIN_STEP: Any = Depends(Access("signin_step"))


def console(permission: Permission | None = None) -> Any:
    return Depends(Access("console", permission))


def api(scope: Permission, *, inline: bool = False) -> Any:
    return Depends(Access("api", scope, inline=inline))


def remembered_principal(request: Request) -> Principal | None:
    """For a route with an inline API rule: the principal of a remembered bearer token.

    No database: the token was accepted a moment ago (``AcceptedTokens``) and its use is
    counted here. None when the token must be looked up, or token uses are due to be
    written: ``check_bearer`` then does it in a unit of work.
    """
    access = getattr(request.state, "access", None)
    if not isinstance(access, Access) or access.permission is None:
        return None
    state = request.app.state
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    now = state.clock.now()
    uses: TokenUseLedger = state.token_uses
    if scheme.lower() != "bearer" or uses.immediate or uses.due(now):
        return None
    accepted: AcceptedTokens = state.accepted_tokens
    checked = accepted.check(secret.strip(), access.permission, now)
    if checked is None or checked.token is None or checked.user is None:
        return None
    token = checked.token
    route = getattr(request.scope.get("route"), "name", "") or ""
    uses.note(token.id, token.ref, route, now)
    principal = Principal(checked.user, None, token, frozenset(Permission(s) for s in token.scopes))
    request.state.principal = principal
    request.state.access = None  # resolved: check_bearer must not check or count it again
    return principal


def check_bearer(request: Request, uow: UnitOfWork) -> Principal:
    """For a route with an inline API rule: check its bearer token in ``uow``.

    Does nothing more when the rule already ran (no bearer token: a console session).
    Raises as the rule itself would; the principal is on ``request.state`` either way.
    """
    access = getattr(request.state, "access", None)
    if not isinstance(access, Access):
        return principal_of(request)
    route = getattr(request.scope.get("route"), "name", "") or ""
    principal = access._bearer(request, uow, request.headers["authorization"], route)
    request.state.principal = principal
    admit_body(request, access.kind)
    return principal
