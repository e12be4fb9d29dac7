"""Security headers on every response, and the content security policy of the pages.

Caching: every answer is ``Cache-Control: no-store`` (pages and API answers show decrypted
identities, and a shared cache or the browser's disk would keep them) except what is the
same for everyone: static assets, the notice stylesheet, and the public notice pages when
asked without a session (signed in, the page carries the user's name). A response that set
its own ``Cache-Control`` keeps it; one that sets a cookie is never cacheable.

HSTS: ``Strict-Transport-Security`` on answers served over TLS: the request's scheme is
https, or, behind a reverse proxy that terminates TLS, ``X-Forwarded-Proto: https`` when
``DATAWARD_TRUST_PROXY`` says that header can be believed.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages use no inline script, inline style or third-party resource; the few that run our
# own scripts (the cookie banner, /docs) add script-src 'self' and connect-src 'self'.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
NO_STORE = b"no-store"
HSTS = b"max-age=31536000; includeSubDomains"
_ALWAYS_CACHEABLE = re.compile(r"/static/.*|/notice\.css")
_PUBLIC_PAGES = re.compile(r"/orgs/[^/]+/notice(?:\.html|/versions(?:/[^/]+)?)?")
# Kept here rather than imported from web.auth, which imports half the web package; a
# test holds the two names together.
_SESSION = b"dataward_session="
_INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def policy_allowing_inline_styles(html: str) -> str:
    """The page policy, plus the hash of each inline ``<style>`` block of ``html``.

    The standalone notice carries its CSS inline so the file works on its own; hashes let
    exactly that CSS run without opening the policy to any other inline style.
    """
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _INLINE_STYLE.findall(html)
    ]
    if not hashes:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' " + " ".join(hashes)
    )


def _header(scope: Scope, name: bytes) -> bytes:
    """A request header's value (the first, if repeated), or empty."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return b""


def _cacheable(path: str, scope: Scope) -> bool:
    """Whether the answer is the same for everyone and holds nobody's data."""
    if _ALWAYS_CACHEABLE.fullmatch(path):
        return True
    return bool(_PUBLIC_PAGES.fullmatch(path)) and _SESSION not in _header(scope, b"cookie")


def _over_tls(scope: Scope, trust_proxy: bool) -> bool:
    if scope.get("scheme") == "https":
        return True
    if not trust_proxy:
        return False
    # A chain of proxies lists one scheme each; the first is what the client used.
    forwarded = _header(scope, b"x-forwarded-proto").split(b",")[0].strip().lower()
    return forwarded == b"https"


class SecurityHeaders:
    """Adds the policy unless the response set its own, plus the usual hardening headers,
    ``Cache-Control: no-store`` where the answer may show someone's data, and HSTS over TLS.
    """

    def __init__(self, app: ASGIApp, *, trust_proxy: bool = False) -> None:
        self.app = app
        self.trust_proxy = trust_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        cacheable = _cacheable(path, scope)
        over_tls = _over_tls(scope, self.trust_proxy)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                if b"set-cookie" in names:
                    # A cookie is one visitor's: never stored, whatever the route said.
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    headers.append((b"cache-control", NO_STORE))
                elif b"cache-control" not in names and not cacheable:
                    headers.append((b"cache-control", NO_STORE))
                if over_tls:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
