"""Campaign errors: each a stable code."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError


class CampaignExists(DatawardError):
    code = "campaign_exists"
    http_status = 409
    title = "A campaign for this change already exists"


class CampaignNotFound(NotFoundError):
    code = "campaign_not_found"
    title = "Campaign not found"


class CampaignStateInvalid(DatawardError):
    """Approve, pause, resume or cancel asked of a campaign in a state that does not allow it."""

    code = "campaign_state_invalid"
    http_status = 409
    title = "The campaign cannot do this in its present state"


class ApproverNotAllowed(DatawardError):
    code = "campaign_approver_not_allowed"
    http_status = 403
    exit_code = 2
    title = "Only a DPO or an administrator may decide on a campaign"

    def __init__(self, message: str, *, actor: str) -> None:
        super().__init__(message)
        # Who asked, for the audit chain: a user reference, never a username.
        self.actor = actor
