"""Errors of the retention plan, each with a stable code."""

from __future__ import annotations

from dataward.errors import NotFoundError, ValidationFailed


class RetentionInvalid(ValidationFailed):
    """The plan was asked for something it cannot answer: no such organisation, or a day
    that is not a date."""

    code = "retention_invalid"
    title = "Retention plan request is not valid"


class RetentionRuleNotFound(NotFoundError):
    """The register has no retention rule with this id (the console's register view)."""

    code = "retention_rule_not_found"
    title = "No such retention rule"
