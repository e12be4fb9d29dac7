"""Security headers on every response, and the content security policy of the pages."""

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


class SecurityHeaders:
    """Adds the policy unless the response set its own, plus the usual hardening headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

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
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
