"""Flash messages and one-time secrets, kept on the server-side session for the next page.

One-time secrets (a new password, a new API token) follow post/redirect/get like every form:
the post stores the secret here and redirects; the page it redirects to shows it. The rule:

- The secret never goes into a URL, a log, the audit chain or a cookie.
- It is stored in the session's flash list sealed with AES-GCM under a key derived from the
  session cookie, which the database does not hold (it keeps the cookie's SHA-256 only): a
  copy of the sessions table cannot read it, and neither can another session.
- It is shown on its own page at most twice (the page the form redirected to, and one
  reload, since a reload is the usual answer to a page that looked wrong), and kept at most
  ``SECRET_MINUTES``; then it is gone. The next form posted drops it too, and signing out
  ends the session and the secret with it.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request
from sqlalchemy import update

from dataward.accounts.models import WebSession
from dataward.accounts.sessions import keep_flash
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork

# The flash kind of a sealed one-time secret, never shown as text (a kind, not a password).
SECRET_KIND = "secret"  # noqa: S105
SECRET_SHOWS = 2
SECRET_MINUTES = 10
_FLASH_TEXT_MAX = 500  # what accounts.sessions keeps of a flash


def take_flashes(request: Request) -> list[tuple[str, str]]:
    """This request's own flashes plus those the session kept; the session's are cleared.

    Sealed secrets stay for ``take_secret`` on their own page.
    """
    from dataward.web.auth import principal_of

    own: list[tuple[str, str]] = list(getattr(request.state, "flashes", []))
    session = principal_of(request).session
    if session is None or not session.flashes:
        return own
    kept = [(kind, text) for kind, text in session.flashes if kind != SECRET_KIND]
    if not kept:
        return own
    _store(
        request, session, [[kind, text] for kind, text in session.flashes if kind == SECRET_KIND]
    )
    return kept + own


def flash_now(request: Request, kind: str, text: str) -> None:
    """A message for the page this request renders."""
    request.state.flashes = [*getattr(request.state, "flashes", []), (kind, text)]


def flash_later(uow: UnitOfWork, request: Request, kind: str, text: str) -> None:
    """A message for the next page (after a redirect), saved with the caller's unit of work."""
    from dataward.web.auth import principal_of

    session = principal_of(request).session
    if session is None:
        return
    # The next page answers this form: a secret still pending from an earlier form is
    # dropped (it was shown after its own redirect), so it never shows beside other news.
    row = uow.session.get(WebSession, session.id)
    sealed_now: set[str] = getattr(request.state, "sealed_secrets", set())
    if row is not None and any(kind == SECRET_KIND for kind, _ in row.flashes):
        row.flashes = [[k, t] for k, t in row.flashes if k != SECRET_KIND or t in sealed_now]
    keep_flash(uow, session.id, kind, text)


def keep_secret(uow: UnitOfWork, request: Request, page: str, values: dict[str, str]) -> None:
    """Keep ``values`` (a secret and what names it) sealed for ``page`` to show after redirect."""
    from dataward.web.auth import SESSION_COOKIE, principal_of

    session = principal_of(request).session
    cookie = request.cookies.get(SESSION_COOKIE)
    if session is None or not cookie:
        raise DatawardError("a one-time secret needs a signed-in session")
    until = uow.clock.now() + timedelta(minutes=SECRET_MINUTES)
    entry = {"page": page, "left": SECRET_SHOWS, "until": int(until.timestamp()), "v": values}
    sealed = _seal(cookie, session.id, entry)
    if len(sealed) > _FLASH_TEXT_MAX:
        raise DatawardError("the one-time secret is too long to keep")
    keep_flash(uow, session.id, SECRET_KIND, sealed)
    request.state.sealed_secrets = {*getattr(request.state, "sealed_secrets", set()), sealed}


def take_secret(request: Request, page: str) -> tuple[dict[str, str], int] | None:
    """The secret kept for ``page`` and how many more times it will show (0: never again).

    Each call counts as one showing; expired or unreadable secrets are dropped on the way.
    """
    from dataward.web.auth import SESSION_COOKIE, principal_of

    session = principal_of(request).session
    cookie = request.cookies.get(SESSION_COOKIE)
    if session is None or not cookie or not session.flashes:
        return None
    now = int(request.app.state.clock.now().timestamp())
    found: dict[str, Any] | None = None
    remaining: list[list[str]] = []
    for kind, text in session.flashes:
        if kind != SECRET_KIND:
            remaining.append([kind, text])
            continue
        entry = _open(cookie, session.id, text)
        if entry is None or entry["until"] <= now:
            continue  # gone: past its time, or sealed under another cookie
        if found is None and entry["page"] == page:
            found = entry
            entry["left"] -= 1
            if entry["left"] > 0:
                remaining.append([SECRET_KIND, _seal(cookie, session.id, entry)])
            continue
        remaining.append([kind, text])
    if remaining != [list(item) for item in session.flashes]:
        _store(request, session, remaining)
    if found is None:
        return None
    return {str(k): str(v) for k, v in found["v"].items()}, int(found["left"])


def error_text(error: DatawardError) -> str:
    """A flash from the error hierarchy: its title, message and stable code."""
    message = error.message[:1].upper() + error.message[1:]
    return f"{error.title}: {message}. (code {error.code})"


def _store(request: Request, session: WebSession, flashes: list[list[str]]) -> None:
    """Write the session's flash list: one UPDATE, the row is not loaded again."""
    session.flashes = flashes
    state = request.app.state
    with UnitOfWork(state.session_factory, state.clock) as uow:
        uow.session.execute(
            update(WebSession).where(WebSession.id == session.id).values(flashes=flashes)
        )
        uow.commit()


def _key(cookie: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dataward one-time secret")
    return hkdf.derive(cookie.encode("utf-8"))


def _seal(cookie: str, session_id: str, entry: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    plain = json.dumps(entry, separators=(",", ":")).encode("utf-8")
    sealed = AESGCM(_key(cookie)).encrypt(nonce, plain, session_id.encode("ascii"))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open(cookie: str, session_id: str, text: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
        plain = AESGCM(_key(cookie)).decrypt(raw[:12], raw[12:], session_id.encode("ascii"))
        entry = json.loads(plain)
    except (ValueError, InvalidTag):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("v"), dict):
        return None
    return entry
