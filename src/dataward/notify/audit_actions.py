"""Audit actions written by notice-of-change campaigns.

They are named ``notice.*`` because they are about a notice's change, though notify writes
them. The values are stored in the chain: never change one.
"""

from __future__ import annotations

NOTICE_CAMPAIGN_CREATED = "notice.campaign_created"
NOTICE_CAMPAIGN_QUEUED = "notice.campaign_queued"
NOTICE_CHANGE_NOTIFIED = "notice.change_notified"
NOTICE_CAMPAIGN_APPROVED = "notice.campaign_approved"
NOTICE_CAMPAIGN_PAUSED = "notice.campaign_paused"
NOTICE_CAMPAIGN_RESUMED = "notice.campaign_resumed"
NOTICE_CAMPAIGN_CANCELLED = "notice.campaign_cancelled"
NOTICE_CAMPAIGN_REFUSED = "notice.campaign_refused"
