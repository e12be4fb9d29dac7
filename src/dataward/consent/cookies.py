"""The cookie banner's content and its server-side consent log (MKT-05). Never commits.

The banner text is built here from the register, hashed, and signed with the app secret,
so a logged choice proves what the visitor was shown: a post naming a policy version,
text hash or signature the server never issued is refused. The visitor is a random id
the banner makes in the browser: the log holds no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from dataward.audit.service import record as audit
from dataward.consent.audit_actions import COOKIE_CONSENT_RECORDED
from dataward.consent.errors import CookieLogRefused, CookieLogTooLarge
from dataward.consent.models import CookieConsent
from dataward.register.cookie_kinds import cookie_kind
from dataward.register.models.choices import CookieCategory, Cookies
from dataward.register.wording_forms import cookie_duration_words
from dataward.uow import UnitOfWork

MAX_BODY = 2048
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_KEYS = frozenset({"policy_version", "text_hash", "token", "choice", "visitor", "gpc"})
# An editor's note in a register written from a notice whose link was lost in its text,
# e.g. "(link target not in the text)": never shown to the public.
_LOST_LINK = re.compile(r"\(\s*(the\s+)?link target\b[^)]*\)", re.IGNORECASE)
# A link target the notice gave as a path of its own site, "(page/cookie-policy)": it leads
# nowhere from here, so the sentence is shown without it.
_RELATIVE_TARGET = re.compile(r"\s*\((?!https?://)[\w.-]+(/[\w.-]*)+\)")
# What the public reads beside each kind of category (MKT-05).
KIND_WORDS = {
    "necessary": "Always on: the site cannot work without these.",
    "exempt": "On unless you turn them off.",
    "consent": "Only if you agree.",
}


def possessive(name: str) -> str:
    """ "Corner Shop's", but "JTR Collections'": a name ending in s takes the apostrophe."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def public_statements(statements: list[str]) -> list[str]:
    """The register's statements the public may read: one that points to a link the
    register could not give ("View our cookie policy here (link target not in the text)")
    says nothing without it, so it is left out rather than shown with the editor's note; a
    path of the organisation's own site in brackets is dropped from its sentence."""
    return [_RELATIVE_TARGET.sub("", s) for s in statements if not _LOST_LINK.search(s)]


def public_url(url: str | None) -> str | None:
    """A policy address a visitor can follow from any page: absolute http(s) only. A path
    relative to the organisation's own site would lead nowhere from here."""
    if url and re.match(r"^https?://[^\s/]+", url):
        return url
    return None


def kind_words(category: CookieCategory) -> str:
    return KIND_WORDS[cookie_kind(category)]


@dataclass(frozen=True)
class Banner:
    organisation: str
    policy_version: str
    text: dict[str, Any]
    text_hash: str
    token: str
    optional: tuple[str, ...]

    def config(self, gpc: bool) -> dict[str, object]:
        return {
            "organisation": self.organisation,
            "policy_version": self.policy_version,
            "text": self.text,
            "text_hash": self.text_hash,
            "token": self.token,
            "optional": list(self.optional),
            "gpc": gpc,
        }


def _digest(value: object) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def banner_for(organisation: str, controller: str, cookies: Cookies, secret: bytes) -> Banner:
    """The banner of the register's cookie section; its version changes with the section."""
    section = cookies.model_dump(mode="json", exclude={"facts"})
    version = _digest(section)[:16]
    categories = [
        {
            "id": c.id,
            "name": c.name,
            "description": c.description,
            # MKT-05: only strictly necessary is always on. A DUAA low-risk use needs no
            # prior consent (it starts on) but has an off switch; the rest start off.
            "kind": cookie_kind(c),
            "optional": cookie_kind(c) != "necessary",
            "kind_words": KIND_WORDS[cookie_kind(c)],
            "cookies": [
                {
                    "name": k.name,
                    "provider": k.provider,
                    "purpose": k.purpose,
                    "duration": cookie_duration_words(k) or None,
                }
                for k in cookies.cookies
                if k.category == c.id
            ],
        }
        for c in cookies.categories
    ]
    choosable = any(c["optional"] for c in categories)
    statements = public_statements(cookies.statements)
    text = {
        "title": f"Cookies on {possessive(controller)} sites",
        "intro": " ".join(statements)
        or (
            f"{controller} uses cookies. Optional ones are set only if you agree."
            if choosable
            else f"{controller} uses cookies."
        ),
        "categories": categories,
        # Nothing to choose: the banner says what is used and offers only "OK".
        "nothing_to_choose": None
        if choosable
        else f"{controller} lists no cookies you can turn off, so there is nothing to choose.",
        "accept": "Accept optional cookies",
        "reject": "Reject optional cookies",
        "save": "Save cookie choices",
        "ok": "OK",
        "settings": "Cookie settings",
        "policy_url": public_url(cookies.policy_url),
    }
    text_hash = _digest(text)
    token = hmac.new(
        secret, f"cookie-banner:{organisation}:{version}:{text_hash}".encode(), hashlib.sha256
    ).hexdigest()
    optional = tuple(c.id for c in cookies.categories if cookie_kind(c) != "necessary")
    return Banner(organisation, version, text, text_hash, token, optional)


def record_choice(
    uow: UnitOfWork, banner: Banner, body: bytes, *, gpc_header: bool
) -> CookieConsent:
    """Check a posted choice against the banner the server issued, then log it."""
    if len(body) > MAX_BODY:
        raise CookieLogTooLarge(f"a cookie choice is at most {MAX_BODY} bytes")
    try:
        posted = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CookieLogRefused("the cookie choice is not JSON") from None
    if not isinstance(posted, dict) or set(posted) != _KEYS:
        raise CookieLogRefused(f"the cookie choice needs exactly: {', '.join(sorted(_KEYS))}")
    if posted["policy_version"] != banner.policy_version or posted["text_hash"] != banner.text_hash:
        raise CookieLogRefused(
            "this banner is not the current one for the organisation: reload the page"
        )
    token = posted["token"]
    if not isinstance(token, str) or not hmac.compare_digest(token, banner.token):
        raise CookieLogRefused("the banner's signature does not match: it was not issued here")
    visitor = posted["visitor"]
    if not isinstance(visitor, str) or not _VISITOR.match(visitor):
        raise CookieLogRefused("visitor must be a random id of 16 to 64 letters or digits")
    choice = posted["choice"]
    if (
        not isinstance(choice, dict)
        or set(choice) != set(banner.optional)
        or not all(isinstance(v, bool) for v in choice.values())
    ):
        raise CookieLogRefused(
            f"choice must give true or false for each optional category: "
            f"{', '.join(banner.optional) or '(none)'}"
        )
    gpc = gpc_header or posted["gpc"] is True
    if gpc and any(choice.values()):
        raise CookieLogRefused(
            "Global Privacy Control is on: optional cookies stay off for this visitor"
        )
    row = CookieConsent(
        organisation=banner.organisation,
        visitor=visitor,
        policy_version=banner.policy_version,
        text_hash=banner.text_hash,
        choice=dict(choice),
        gpc=gpc,
        recorded_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow,
        actor=f"visitor:{visitor}",
        action=COOKIE_CONSENT_RECORDED,
        entity_type="cookie_consent",
        entity_id=str(row.id),
        after={"choice": row.choice, "policy_version": row.policy_version},
        details={
            "organisation": banner.organisation,
            "policy_version": banner.policy_version,
            "accepted": ",".join(sorted(k for k, v in choice.items() if v)) or None,
            "gpc": gpc,
        },
    )
    return row
