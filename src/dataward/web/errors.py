"""Errors at the HTTP edge: problem+json under /api/, an explanatory page elsewhere.

No traceback or exception text ever reaches a user. Unexpected errors become a generic
500 and one log line naming the error type and route, never the message (it may quote
personal data).
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dataward.accounts.errors import InputRefused, LoginRequired, SessionExpired
from dataward.errors import DatawardError
from dataward.logging import get_logger
from dataward.web.templating import render

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


class BodyTooLarge(InputRefused):
    """A body over its route's cap (``web.bodies``): refused before or while it is read."""

    code = "body_too_large"
    http_status = 413
    title = "Request body too large"


class TooManyRequests(DatawardError):
    """A client over its refusals per window (``web.refusals``), answered with no database work."""

    code = "too_many_requests"
    http_status = 429
    title = "Too many refused requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


_EXPLANATIONS: dict[int, str] = {
    404: (
        "There is no page at this address. Check the address, or start again from the list "
        "of organisations."
    ),
    403: "Your account is not allowed to open this page.",
    405: "This address exists, but not for this kind of request.",
    500: (
        "Something went wrong inside dataward and the page could not be produced. Nothing "
        "was changed. The error has been logged with the reference below; try again, and "
        "if it keeps happening, give the reference to whoever runs this server."
    ),
}

_CODES: dict[int, str] = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    422: "validation_failed",
    500: "internal_error",
}


def is_api(request_path: str) -> bool:
    return request_path == "/api" or request_path.startswith("/api/")


def problem_response(body: dict[str, object], status: int) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _problem(status: int, detail: str, instance: str, **extra: object) -> dict[str, object]:
    code = _CODES.get(status, "http_error")
    return {
        "type": f"https://dataward.dev/errors/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        **extra,
    }


def _error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    details: list[str] | None = None,
    reference: str | None = None,
) -> Response:
    context = {
        "status": status,
        "title": title,
        "message": message,
        "details": details or [],
        "reference": reference,
    }
    return render(request, "error.html", context, status_code=status)


async def _dataward_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DatawardError)
    if is_api(request.url.path):
        response = problem_response(exc.problem(instance=request.url.path), exc.http_status)
        if exc.http_status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="dataward"'
        _retry_after(response, exc)
        return response
    if isinstance(exc, LoginRequired):
        return _to_sign_in(request, exc)
    message = exc.message
    if exc.code == "register_not_found":
        message = (
            f"{exc.message.rstrip('.')}. dataward loads registers from the examples folder "
            "when it starts; the organisations it holds are listed on the home page."
        )
    page = _error_page(request, exc.http_status, exc.title, message, exc.details)
    _retry_after(page, exc)
    return page


def _retry_after(response: Response, exc: DatawardError) -> None:
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)


def _to_sign_in(request: Request, exc: LoginRequired) -> Response:
    """A page that needs a session sends the browser to sign in, then back here."""
    location = getattr(exc, "location", None)
    if location is None:
        query = {"next": request.url.path}
        if isinstance(exc, SessionExpired):
            query["ended"] = "1"
        location = "/login?" + urlencode(query)
    response = RedirectResponse(location, status_code=303)
    if isinstance(exc, SessionExpired):
        response.delete_cookie("dataward_session", path="/")
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    explanation = _EXPLANATIONS.get(status, str(exc.detail))
    if is_api(request.url.path):
        detail = "There is no API resource at this address." if status == 404 else explanation
        response: Response = problem_response(_problem(status, detail, request.url.path), status)
    else:
        response = _error_page(request, status, HTTPStatus(status).phrase, explanation)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()
    ]
    if is_api(request.url.path):
        body = _problem(422, "The request is not valid.", request.url.path, errors=errors)
        return problem_response(body, 422)
    return _error_page(request, 400, "Bad request", "The address is not valid.", errors)


class CatchUnexpectedErrors:
    """Turns any exception the handlers did not map into a generic 500, and logs it.

    Starlette's own last-resort handler re-raises so the server prints a traceback; this
    middleware sits inside it and answers instead, so nothing reaches a user or the log
    beyond the line written here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            reference = uuid.uuid4().hex[:12]
            route = scope.get("route")
            log.error(
                "web.unexpected_error",
                reference=reference,
                error=type(exc).__name__,
                method=scope.get("method"),
                route=getattr(route, "path", None),
            )
            if started:
                return
            request = Request(scope)
            if is_api(request.url.path):
                body = _problem(
                    500,
                    "dataward could not complete the request; the error has been logged.",
                    request.url.path,
                    reference=reference,
                )
                response: Response = problem_response(body, 500)
            else:
                response = _error_page(
                    request, 500, "Something went wrong", _EXPLANATIONS[500], reference=reference
                )
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DatawardError, _dataward_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(CatchUnexpectedErrors)
