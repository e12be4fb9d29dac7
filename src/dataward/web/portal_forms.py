"""What the public portal's forms share: their protections and their refused-form page.

The rights request form (``web.portal_requests``) and the complaint form
(``web.portal_complaints``) are anonymous, so each is guarded the same way: a signed
double-submit CSRF cookie scoped to the form's path, a per-client hourly throttle (one per
server process, like sign-in's), a cap on each field, and a refusal that re-shows the form
with what was typed (bounded; never stored) and audits only the refusal's code. A
``PortalForm`` names one form's differences; the logic is here once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from dataward.errors import DatawardError
from dataward.outbox.config import get_mail_settings
from dataward.requests.errors import (
    CodeDead,
    CodeExpired,
    CodeThrottled,
    CodeUsed,
    CodeWrong,
    NoCodeSent,
    RequestLimitReached,
)
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import WEB_INPUT_REFUSED
from dataward.web.auth import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    app_uow,
    audit_refusal,
    login_csrf_pair,
    set_form_cookie,
)
from dataward.web.templating import render
from dataward.web.throttle import Throttle, throttle_key

NO_STORE = {"Cache-Control": "no-store"}
# Each refused one-time code by the flag the page explains (the status page's verify panel,
# the package download page): the same words wherever a code is typed.
CODE_FLAGS: dict[type[DatawardError], str] = {
    CodeThrottled: "throttled",
    CodeWrong: "wrong",
    CodeDead: "dead",
    CodeExpired: "expired",
    CodeUsed: "used",
    NoCodeSent: "missing",
}


def code_flag(request: Request, error: DatawardError) -> str:
    """The flag for a refused code, the refusal audited (by its code, never the input)."""
    audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
    return CODE_FLAGS.get(type(error), "unavailable")


_throttle_lock = threading.Lock()


def public_status_url(request: Request, address: Callable[[str, str], str], token: str) -> str:
    """A status page's absolute address, as the emails give it (``MailSettings.public_url``)."""
    mail = get_mail_settings().for_port(request.app.state.settings.port)
    return address(mail.public_url, token)


@dataclass(frozen=True)
class PortalForm:
    """One portal form: ``kind`` ("request", "complaint") names its throttle and its
    refusal; ``path`` is its address with ``{org}``; a field too long is refused with
    ``invalid`` in the ``labels``' words."""

    kind: str
    path: str
    template: str
    limits: Mapping[str, int]
    labels: Mapping[str, str]
    invalid: type[DatawardError]
    # How a NUL in a field is refused, after its label; None: as a field too long.
    nul_refusal: str | None = None
    # Whether what is typed again drops NULs.
    typed_drops_nul: bool = False

    def form_path(self, org: str) -> str:
        return self.path.format(org=org)

    def page(
        self,
        request: Request,
        organisation: str,
        context: dict[str, Any],
        *,
        status: int = 200,
    ) -> Response:
        """The form with a fresh CSRF pair, its cookie scoped to the form, never cached."""
        nonce, csrf = login_csrf_pair(request.app.state.secret_key)
        context = {**context, "csrf_field": CSRF_FIELD, "csrf_token": csrf}
        response = render(request, self.template, context, status_code=status)
        set_form_cookie(request, response, nonce, self.form_path(organisation))
        response.headers.update(NO_STORE)
        return response

    def _throttle(self, request: Request) -> Throttle:
        """The per-client count of this form's submissions, one per server process."""
        state, attribute = request.app.state, f"portal_{self.kind}_throttle"
        with _throttle_lock:
            if getattr(state, attribute, None) is None:
                setattr(state, attribute, Throttle(state.clock, timedelta(hours=1)))
        throttle: Throttle = getattr(state, attribute)
        return throttle

    def _client_key(self, request: Request) -> str:
        host = request.client.host if request.client else "unknown"
        return throttle_key(f"portal-{self.kind}", host)

    def typed_text(self, form: FormData) -> dict[str, Any]:
        """The text fields typed, to show again on a refused form (bounded; never stored)."""
        return {
            name: self._shown(value[: self.limits[name]])
            for name, value in form.items()
            if name in self.limits and isinstance(value, str)
        }

    def _shown(self, value: str) -> str:
        return value.replace("\x00", "") if self.typed_drops_nul else value

    def field(self, form: FormData, name: str) -> str:
        """One text field, trimmed; too long, or holding a NUL, is refused in the form's
        words."""
        value = form.get(name)
        if not isinstance(value, str):
            return ""
        label, limit = self.labels[name], self.limits[name]
        too_long = f"{label} is too long (at most {limit} characters)"
        if len(value) > limit:
            raise self.invalid(too_long)
        if "\x00" in value:
            raise self.invalid(f"{label} {self.nul_refusal}" if self.nul_refusal else too_long)
        return value.strip()

    def fields(self, form: FormData) -> dict[str, str]:
        """Every capped text field, read by ``field``."""
        return {name: self.field(form, name) for name in self.limits}

    def submit(
        self,
        request: Request,
        organisation: str,
        controller_name: str,
        open_it: Callable[[UnitOfWork], str],
        refused: Callable[[str, int], Response],
        sent_to: str,
    ) -> Response:
        """Send the form: throttled per client, ``open_it`` opens what it asks for in one
        unit of work and gives its status token; the 303 goes to ``sent_to`` + the token.
        Refused (bad input, or throttled: 429), nothing is opened, the refusal's code is
        audited, and ``refused`` re-shows the form with the message and status."""
        throttle, client = self._throttle(request), self._client_key(request)
        limit = request.app.state.settings.portal_requests_per_client
        try:
            self._refuse_if_throttled(throttle, client, limit, controller_name)
            with app_uow(request) as writer:
                token = open_it(writer)
                writer.commit()
        except DatawardError as error:
            audit_refusal(request, WEB_INPUT_REFUSED, code=error.code)
            message = error.message[:1].upper() + error.message[1:]
            status = 429 if isinstance(error, RequestLimitReached) else 422
            return refused(message, status)
        if limit:
            throttle.failed(client)  # counts a form sent, not a failure
        response = RedirectResponse(sent_to + token, status_code=303)
        # The form's CSRF cookie is spent.
        response.delete_cookie(LOGIN_COOKIE, path=self.form_path(organisation))
        return response

    def _refuse_if_throttled(
        self, throttle: Throttle, client: str, limit: int, controller_name: str
    ) -> None:
        """RequestLimitReached when this client has sent ``limit`` in the last hour."""
        if limit and throttle.blocked(client, limit):
            minutes = max(1, throttle.retry_after(client) // 60)
            raise RequestLimitReached(
                f"too many {self.kind}s have been sent from here in the last hour; try again "
                f"in {minutes} minutes, or write to {controller_name}"
            )
