"""Errors of the retention plan, each with a stable code."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class RetentionInvalid(ValidationFailed):
    """The plan was asked for something it cannot answer: no such organisation, or a day
    that is not a date."""

    code = "retention_invalid"
    title = "Retention plan request is not valid"


class RetentionClockBehind(RetentionInvalid):
    """The day asked for is before the organisation's latest run: a clock moved backwards
    (or an --as-of in the past) must never delete anything early, so nothing runs."""

    code = "retention_clock_behind"
    title = "Retention already ran for a later day"


class RetentionRuleNotFound(NotFoundError):
    """The register has no retention rule with this id (the console's register view)."""

    code = "retention_rule_not_found"
    title = "No such retention rule"


class RetentionRunNotFound(NotFoundError):
    """No retention run with this id (the evidence pages and API)."""

    code = "retention_run_not_found"
    title = "No such retention run"


class RetentionRanToday(DatawardError):
    """ "Run now" when today's run is done already: one run per organisation per day, so a
    second would do nothing; the next runs tomorrow."""

    code = "retention_ran_today"
    http_status = 409
    title = "Retention ran today already"
