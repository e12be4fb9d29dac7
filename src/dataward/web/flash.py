"""Flash messages: kept on the server-side session until the next page shows them."""

from __future__ import annotations

from fastapi import Request

from dataward.accounts.sessions import clear_flashes, keep_flash
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork


def take_flashes(request: Request) -> list[tuple[str, str]]:
    """This request's own flashes plus those the session kept; the session's are cleared."""
    from dataward.web.auth import principal_of

    own: list[tuple[str, str]] = list(getattr(request.state, "flashes", []))
    session = principal_of(request).session
    if session is None or not session.flashes:
        return own
    kept = [(kind, text) for kind, text in session.flashes]
    session.flashes = []
    state = request.app.state
    with UnitOfWork(state.session_factory, state.clock) as uow:
        clear_flashes(uow, session.id)
        uow.commit()
    return kept + own


def flash_now(request: Request, kind: str, text: str) -> None:
    """A message for the page this request renders."""
    request.state.flashes = [*getattr(request.state, "flashes", []), (kind, text)]


def flash_later(uow: UnitOfWork, request: Request, kind: str, text: str) -> None:
    """A message for the next page (after a redirect), saved with the caller's unit of work."""
    from dataward.web.auth import principal_of

    session = principal_of(request).session
    if session is not None:
        keep_flash(uow, session.id, kind, text)


def error_text(error: DatawardError) -> str:
    """A flash from the error hierarchy: its title, message and stable code."""
    message = error.message[:1].upper() + error.message[1:]
    return f"{error.title}: {message}. (code {error.code})"
