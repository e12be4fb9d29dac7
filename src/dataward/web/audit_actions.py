"""Audit actions of requests the web edge refuses before any service runs.

The values are stored in the chain: never change one. A refused sign-in is the accounts
action ``auth.login_refused``, wherever it is caught.
"""

from __future__ import annotations

WEB_INPUT_REFUSED = "web.input_refused"
ACCESS_REFUSED = "access.refused"
SECURITY_CSRF_REFUSED = "security.csrf_refused"
PORTAL_LINK_REFUSED = "portal.link_refused"
ACCESS_THROTTLED = "access.throttled"
