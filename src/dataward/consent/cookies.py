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
from dataward.register.models.choices import Cookies
from dataward.register.wording_forms import cookie_duration_words
from dataward.uow import UnitOfWork

MAX_BODY = 2048
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_KEYS = frozenset({"policy_version", "text_hash", "token", "choice", "visitor", "gpc"})


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
            "optional": c.consent_required,
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
    text = {
        "title": f"Cookies on {controller}'s sites",
        "intro": " ".join(cookies.statements)
        or f"{controller} uses cookies. Optional ones are set only if you agree.",
        "categories": categories,
        "accept": "Accept optional cookies",
        "reject": "Reject optional cookies",
        "save": "Save cookie choices",
        "policy_url": cookies.policy_url,
    }
    text_hash = _digest(text)
    token = hmac.new(
        secret, f"cookie-banner:{organisation}:{version}:{text_hash}".encode(), hashlib.sha256
    ).hexdigest()
    optional = tuple(c.id for c in cookies.categories if c.consent_required)
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
