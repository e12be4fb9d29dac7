"""A person's decisions on a notice-change campaign (issue 14, item 9): approve, pause,
resume, cancel.

A campaign starts as a draft and nothing is queued until a DPO or an administrator
(``campaigns:approve``) approves it: restarting with a changed register once queued 1,746
messages with no human decision. Each decision is audited with the person who took it, in
the same unit of work as the change. Never commits.

    draft --approve--> queueing --(every subject walked)--> queued (sending, then done)
    queueing / queued / stalled --pause--> paused --resume--> queueing or queued
    draft / paused --cancel--> cancelled
"""

from __future__ import annotations

from collections.abc import Callable

from dataward.accounts.errors import UserNotFound
from dataward.accounts.permissions import Permission, permissions_of
from dataward.accounts.service import get_user, user_actor
from dataward.audit.service import record
from dataward.jobs.service import enqueue
from dataward.notify.audit_actions import (
    NOTICE_CAMPAIGN_APPROVED,
    NOTICE_CAMPAIGN_CANCELLED,
    NOTICE_CAMPAIGN_PAUSED,
    NOTICE_CAMPAIGN_REFUSED,
    NOTICE_CAMPAIGN_RESUMED,
)
from dataward.notify.errors import ApproverNotAllowed, CampaignNotFound, CampaignStateInvalid
from dataward.notify.models import (
    CANCELLED,
    DRAFT,
    PAUSED,
    QUEUED,
    QUEUEING,
    STALLED,
    NoticeCampaign,
)
from dataward.notify.service import CAMPAIGN_JOB
from dataward.outbox.config import MailSettings, get_mail_settings
from dataward.outbox.service import (
    cancel_campaign_messages,
    hold_campaign_messages,
    release_campaign_messages,
)
from dataward.uow import UnitOfWork

ID_MAX = 36


def get_campaign(uow: UnitOfWork, campaign_id: str, *, lock: bool = False) -> NoticeCampaign:
    """The campaign; ``lock`` holds its row (PostgreSQL) until the caller commits, so a
    decision and a batch of the campaign run one after the other, never interleaved."""
    campaign = uow.session.get(
        NoticeCampaign, campaign_id[:ID_MAX], with_for_update=lock, populate_existing=lock
    )
    if campaign is None:
        raise CampaignNotFound(f"there is no campaign {campaign_id[:ID_MAX]!r}")
    return campaign


def approver_actor(uow: UnitOfWork, username: str) -> str:
    """The audit actor for a decision taken in a user's name on the command line.

    The user must exist, be enabled and hold ``campaigns:approve``; otherwise
    ``ApproverNotAllowed`` (which the caller records with ``record_refused_decision``).
    """
    try:
        user = get_user(uow, username)
    except UserNotFound:
        raise ApproverNotAllowed("there is no user with this username", actor="unknown") from None
    actor = user_actor(user)
    if user.disabled_at is not None:
        raise ApproverNotAllowed("this user is disabled", actor=actor)
    if Permission.CAMPAIGNS_APPROVE not in permissions_of(user.role):
        raise ApproverNotAllowed(
            f"this user is a {user.role}: only a DPO or an administrator may decide on a campaign",
            actor=actor,
        )
    return actor


def record_refused_decision(
    uow: UnitOfWork, error: ApproverNotAllowed, decision: str, campaign_id: str
) -> None:
    """Audit a refused decision, in a unit of work of its own: the refusal changes nothing."""
    record(
        uow,
        actor=error.actor,
        action=NOTICE_CAMPAIGN_REFUSED,
        entity_type="notice_campaign",
        entity_id=campaign_id[:ID_MAX],
        details={"decision": decision, "needed": Permission.CAMPAIGNS_APPROVE.value},
    )


def _check(campaign: NoticeCampaign, allowed: tuple[str, ...], verb: str) -> None:
    if campaign.status not in allowed:
        raise CampaignStateInvalid(
            f"campaign {campaign.id} is {campaign.status}: only a campaign that is "
            f"{' or '.join(allowed)} can be {verb}"
        )


def _audit(
    uow: UnitOfWork, campaign: NoticeCampaign, actor: str, action: str, **details: int | str
) -> None:
    record(
        uow,
        actor=actor,
        action=action,
        entity_type="notice_campaign",
        entity_id=campaign.id,
        details={"organisation": campaign.organisation, "status": campaign.status, **details},
    )


def _walk_on(uow: UnitOfWork, campaign: NoticeCampaign, mail: MailSettings) -> None:
    """Start a new chain of batch jobs from the campaign's cursor."""
    campaign.generation += 1
    campaign.status = QUEUEING
    enqueue(
        uow,
        CAMPAIGN_JOB,
        {"campaign": campaign.id, "generation": campaign.generation},
        max_attempts=mail.job_max_attempts,
    )


def approve_campaign(
    uow: UnitOfWork, campaign_id: str, *, actor: str, mail: MailSettings | None = None
) -> NoticeCampaign:
    """A draft goes out: workers queue its messages in batches and send them."""
    mail = mail or get_mail_settings()
    campaign = get_campaign(uow, campaign_id, lock=True)
    _check(campaign, (DRAFT,), "approved")
    campaign.approved_by = actor
    campaign.approved_at = uow.clock.now()
    _walk_on(uow, campaign, mail)
    # Messages a campaign queued before approval existed were held when it became a draft.
    released = release_campaign_messages(uow, campaign.id, mail=mail)
    _audit(uow, campaign, actor, NOTICE_CAMPAIGN_APPROVED, released=released)
    return campaign


def pause_campaign(uow: UnitOfWork, campaign_id: str, *, actor: str) -> NoticeCampaign:
    """Queue nothing more, and hold every message of the campaign not yet sent."""
    campaign = get_campaign(uow, campaign_id, lock=True)
    _check(campaign, (QUEUEING, QUEUED, STALLED), "paused")
    campaign.status = PAUSED
    campaign.paused_by = actor
    campaign.paused_at = uow.clock.now()
    held = hold_campaign_messages(uow, campaign.id)
    _audit(uow, campaign, actor, NOTICE_CAMPAIGN_PAUSED, held=held)
    return campaign


def resume_campaign(
    uow: UnitOfWork, campaign_id: str, *, actor: str, mail: MailSettings | None = None
) -> NoticeCampaign:
    """Held messages wait to be sent again; a campaign paused while queueing walks on."""
    mail = mail or get_mail_settings()
    campaign = get_campaign(uow, campaign_id, lock=True)
    _check(campaign, (PAUSED,), "resumed")
    campaign.paused_by = None
    campaign.paused_at = None
    if campaign.queued_at is None:
        _walk_on(uow, campaign, mail)
    else:
        campaign.status = QUEUED
    released = release_campaign_messages(uow, campaign.id, mail=mail)
    _audit(uow, campaign, actor, NOTICE_CAMPAIGN_RESUMED, released=released)
    return campaign


def cancel_campaign(uow: UnitOfWork, campaign_id: str, *, actor: str) -> NoticeCampaign:
    """For good: its messages not yet sent never will be (pause first if it is running)."""
    campaign = get_campaign(uow, campaign_id, lock=True)
    _check(campaign, (DRAFT, PAUSED), "cancelled")
    campaign.status = CANCELLED
    campaign.cancelled_by = actor
    campaign.cancelled_at = uow.clock.now()
    withdrawn = cancel_campaign_messages(uow, campaign.id)
    _audit(uow, campaign, actor, NOTICE_CAMPAIGN_CANCELLED, withdrawn=withdrawn)
    return campaign


DECISIONS: dict[str, Callable[..., NoticeCampaign]] = {
    "approve": approve_campaign,
    "pause": pause_campaign,
    "resume": resume_campaign,
    "cancel": cancel_campaign,
}
