"""Errors of signing in, access and tokens. Messages never name a user or hint at a secret."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class LoginRequired(DatawardError):
    code = "login_required"
    http_status = 401
    title = "Sign in needed"


class SessionExpired(LoginRequired):
    code = "session_expired"
    title = "Your session has ended"


class AccessDenied(DatawardError):
    code = "forbidden"
    http_status = 403
    title = "Not allowed"


class CsrfRefused(DatawardError):
    code = "csrf_refused"
    http_status = 403
    title = "The form could not be accepted"


class TokenInvalid(DatawardError):
    code = "token_invalid"
    http_status = 401
    title = "API token not accepted"


class TokenExpired(TokenInvalid):
    code = "token_expired"
    title = "API token has expired or was revoked"


class ScopeMissing(AccessDenied):
    code = "scope_missing"
    title = "API token lacks a scope"


class TooManyAttempts(DatawardError):
    code = "too_many_attempts"
    http_status = 429
    title = "Too many attempts"


class UserNotFound(NotFoundError):
    code = "user_not_found"
    title = "User not found"


class UsernameTaken(DatawardError):
    code = "username_taken"
    http_status = 409
    title = "Username already in use"


class LastAdmin(DatawardError):
    code = "last_admin"
    http_status = 409
    title = "The last administrator"


class InputRefused(ValidationFailed):
    code = "input_invalid"
    title = "Input is not valid"


class LinkInvalid(DatawardError):
    code = "link_invalid"
    http_status = 404
    title = "This link does not work"


class LinkExpired(LinkInvalid):
    code = "link_expired"
    http_status = 410
    title = "This link has expired"


class TokenNotFound(NotFoundError):
    code = "token_not_found"
    title = "API token not found"


class TotpSecretUnreadable(DatawardError):
    code = "totp_secret_unreadable"
    http_status = 500
    title = "The TOTP secret cannot be read"
