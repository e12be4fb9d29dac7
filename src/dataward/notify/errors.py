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
