"""Request bodies: read only after the caller is authorised, and never past a route's cap.

``BodyLimits`` (a pure ASGI middleware) hands every request a ``BodyGate`` in place of the
server's ``receive``. The gate gives out no byte of the body until the route's ``Access``
rule has accepted the caller and opened it with the route's cap (``admit_body``): an
anonymous caller is answered 401 before one byte is pulled from the connection, so the
server buffers nothing for it however large the body it announces. Opening refuses a
declared ``Content-Length`` over the cap at once, without reading; a chunked body is cut
off at the cap while it streams. Both are a 413 problem+json with code ``body_too_large``.
"""

from __future__ import annotations

import sys
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dataward.logging import get_logger
from dataward.web.audit_actions import WEB_INPUT_REFUSED
from dataward.web.errors import BodyTooLarge

log = get_logger(__name__)

GATE = "dataward.body_gate"
MAX_FORM_BYTES = 64 * 1024
# The cookie banner's beacon refuses more than 2 KiB itself (consent.cookies.MAX_BODY, with
# its own code); this cap only stops the gate reading much beyond that.
MAX_BEACON_BYTES = 8 * 1024
# Routes whose cap is a setting of their own, by route name.
_ROUTE_CAPS = {
    "api_decision_batch": "batch_body_max_bytes",
    "request_document_upload": "request_document_max_bytes",
}
# Console forms that carry one file (an ID document); every other form is refused a file.
UPLOAD_ROUTES = frozenset({"request_document_upload"})
# Routes that answer while reading when the client asks (``?stream=true``).
_STREAMED = frozenset({"api_decision_batch"})


class BodyReadBeforeAccess(RuntimeError):
    """A route read its body before its Access rule ran: a bug, answered as a 500."""


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


class BodyGate:
    """The request's ``receive``: shut until ``open``, then counting against the cap."""

    def __init__(self, receive: Receive, declared: int | None, announced: bool) -> None:
        self._receive = receive
        self.declared = declared
        self.announced = announced  # a Content-Length above 0, or a chunked body
        self.cap: int | None = None
        self.what = "request body"
        self.pulled = 0
        self.refused = False

    def open(self, cap: int, what: str) -> None:
        """Let the route read up to ``cap`` bytes; BodyTooLarge if it announced more."""
        self.cap, self.what = cap, what
        if self.declared is not None and self.declared > cap:
            self.refused = True
            raise BodyTooLarge(f"the {what} is larger than {_size(cap)}")

    async def __call__(self) -> Message:
        if self.cap is None:
            if not self.announced:
                # No body to guard: a response listening for a disconnect (a static file
                # on a server before ASGI 2.4) may receive as it always could.
                return await self._receive()
            raise BodyReadBeforeAccess("the request body was read before the route's rule ran")
        message = await self._receive()
        if message["type"] == "http.request":
            self.pulled += len(message.get("body", b""))
            if self.pulled > self.cap:
                self.refused = True
                raise BodyTooLarge(f"the {self.what} is larger than {_size(self.cap)}")
        return message


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length, and whether the request announces a body at all."""
    declared: int | None = None
    chunked = False
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            declared = int(text) if text.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked or (declared is None and _has_length(scope)) or bool(declared)


def _has_length(scope: Scope) -> bool:
    # A Content-Length that is not a number: treat it as announcing a body.
    return any(name == b"content-length" for name, _ in scope.get("headers", []))


class BodyLimits:
    """Gives each HTTP request a ``BodyGate``; audits a body refused as too large."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate = BodyGate(receive, *_body_headers(scope))
        scope[GATE] = gate
        await self.app(scope, gate, send)
        if gate.refused:
            await _audit_too_large(scope)


async def _audit_too_large(scope: Scope) -> None:
    # Imported here: auth imports this module to open the gate.
    from dataward.web.auth import audit_refusal

    try:
        request = Request(scope)
        await run_in_threadpool(audit_refusal, request, WEB_INPUT_REFUSED, reason="too_large")
    except Exception as exc:  # the answer is sent; a lost refusal must not become a 500
        log.error("web.refusal_not_written", error=type(exc).__name__)


def body_cap(settings: Any, kind: str, route_name: str) -> tuple[int, str]:
    """The cap of a route's body and what to call the body in the refusal."""
    setting = _ROUTE_CAPS.get(route_name)
    if setting is not None:
        return int(getattr(settings, setting)), "request body"
    if kind == "beacon":
        return MAX_BEACON_BYTES, "request body"
    if kind == "api":
        return int(settings.api_body_max_bytes), "request body"
    return MAX_FORM_BYTES, "form"


def admit_body(request: Request, kind: str) -> None:
    """Open the request's gate with its route's cap: the caller has been accepted."""
    gate = request.scope.get(GATE)
    if not isinstance(gate, BodyGate) or gate.cap is not None:
        return
    route = getattr(request.scope.get("route"), "name", "") or ""
    cap, what = body_cap(request.app.state.settings, kind, route)
    if route in _STREAMED and request.query_params.get("stream") in ("true", "1"):
        # A streamed batch is answered line by line as it arrives and holds at most a chunk
        # in memory: its size is not a danger, so it has no cap (docs/decisions.md).
        cap = sys.maxsize
    gate.open(cap, what)
