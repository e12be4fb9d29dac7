"""Erasure errors: each a stable code; messages never quote personal data."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed
from dataward.requests.errors import ApprovalRequired


class ErasureInvalid(ValidationFailed):
    code = "erasure_invalid"
    title = "The erasure cannot be planned as asked"


class NoGround(ErasureInvalid):
    """ERA-01: no plan without the ground the subject relies on."""

    code = "erasure_no_ground"
    title = "Record the ground for erasure first"


class ErasurePlanNotFound(NotFoundError):
    code = "erasure_plan_not_found"
    title = "No erasure plan"


class ErasureRefused(DatawardError):
    """The plan is not in a state where this step can happen."""

    code = "erasure_refused"
    http_status = 409
    title = "This step cannot be taken on the erasure now"


class NotAnErasureRequest(ErasureRefused):
    code = "request_not_erasure"
    title = "The request does not ask for erasure"


class PlanStale(ErasureRefused):
    """The data changed since the plan was made: re-plan, never execute it blindly."""

    code = "erasure_plan_stale"
    title = "The erasure plan is stale: plan again"


class ApprovalNeedsPerson(ApprovalRequired):
    """ERA-02: an erasure cannot be undone, so a person reads the plan and approves it; an
    API token never may (a refusal of approval like any other, with its own code)."""

    code = "erasure_approval_needs_person"
    http_status = 403
    title = "An erasure plan is approved by a person in the console"
