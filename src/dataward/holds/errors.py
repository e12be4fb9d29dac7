"""Hold errors: each a stable code; messages never quote personal data."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class HoldInvalid(ValidationFailed):
    code = "hold_invalid"
    title = "Hold is not valid"


class HoldNotFound(NotFoundError):
    code = "hold_not_found"
    title = "No such hold"


class HoldClosed(DatawardError):
    """The hold was released already; a released hold is history, not changed."""

    code = "hold_closed"
    http_status = 409
    title = "This hold is closed"
