"""Audit actions written about users, sign-in, sessions, API tokens and preferences links.

The values are stored in the chain: never change one.
"""

# Names with PASSWORD or TOKEN in them are action names here, never secrets.
# ruff: noqa: S105

from __future__ import annotations

USER_CREATED = "user.created"
USER_DISABLED = "user.disabled"
USER_ENABLED = "user.enabled"
USER_PASSWORD_RESET = "user.password_reset"
USER_ROLE_CHANGED = "user.role_changed"
USER_TOTP_ENROLLED = "user.totp_enrolled"
USER_TOTP_SET = "user.totp_set"
# TOTP secrets an older release stored readable, sealed at start (details: count).
TOTP_SECRETS_ENCRYPTED = "accounts.totp_secrets_encrypted"

AUTH_PASSWORD_ACCEPTED = "auth.password_accepted"
AUTH_TOTP_ACCEPTED = "auth.totp_accepted"
AUTH_LOGIN_REFUSED = "auth.login_refused"
AUTH_SESSION_STARTED = "auth.session_started"
AUTH_SESSION_EXPIRED = "auth.session_expired"
AUTH_SESSION_ENDED = "auth.session_ended"

API_TOKEN_CREATED = "api_token.created"
API_TOKEN_REVOKED = "api_token.revoked"
API_TOKEN_REFUSED = "api_token.refused"
API_TOKEN_USED = "api_token.used"
