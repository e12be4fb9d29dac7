"""What a campaign has done, counted from the outbox's own rows (issue 14, item 9): the
console and the notice diff page say "N of M sent" from these counts, never from the
campaign's hopes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from dataward.notify.models import (
    CANCELLED,
    DRAFT,
    PAUSED,
    QUEUED,
    QUEUEING,
    STALLED,
    NoticeCampaign,
)
from dataward.outbox.models import OutboxMessage
from dataward.uow import UnitOfWork

# What the console calls each state, and what a person may do in it.
PHASES = {
    DRAFT: "waiting for approval",
    QUEUEING: "approved: queueing",
    QUEUED: "sending",
    PAUSED: "paused",
    CANCELLED: "cancelled",
    STALLED: "stalled",
}
ACTIONS = {
    DRAFT: ("approve", "cancel"),
    QUEUEING: ("pause",),
    QUEUED: ("pause",),
    STALLED: ("pause",),
    PAUSED: ("resume", "cancel"),
    CANCELLED: (),
}


@dataclass(frozen=True)
class CampaignProgress:
    campaign: NoticeCampaign
    sent: int
    parked: int
    waiting: int
    held: int = 0
    withdrawn: int = 0

    @property
    def in_scope(self) -> int:
        """Subjects in the affected groups (counted when the campaign was drafted)."""
        return self.campaign.subjects_total

    @property
    def expected(self) -> int:
        """Messages the campaign sends in all: exact once every subject is walked; until
        then, every subject in scope not yet found without an email address."""
        if self.campaign.queued_at is not None:
            return self.campaign.messages_queued
        return max(self.campaign.subjects_total - self.campaign.without_email, 0)

    @property
    def pending(self) -> int:
        return self.waiting + self.held

    @property
    def done(self) -> bool:
        """Every message handed over or given up on: nothing left to send."""
        return self.campaign.status == QUEUED and self.pending == 0

    @property
    def all_sent(self) -> bool:
        return self.done and self.parked == 0 and self.sent == self.expected

    @property
    def phase(self) -> str:
        if self.done:
            return "done" if self.parked == 0 else "done, some failed"
        return PHASES.get(self.campaign.status, self.campaign.status)

    @property
    def actions(self) -> tuple[str, ...]:
        if self.done:
            return ()
        return ACTIONS.get(self.campaign.status, ())

    @property
    def percent_sent(self) -> int:
        if self.expected <= 0:
            return 100 if self.done else 0
        return min(100, (100 * self.sent) // self.expected)


def campaign_progress(
    uow: UnitOfWork, organisation: str | None = None, *, campaign_id: str | None = None
) -> list[CampaignProgress]:
    """The newest 100 campaigns (or one), each with its outbox rows counted by state."""
    query = select(NoticeCampaign).order_by(NoticeCampaign.created_at.desc())
    if organisation is not None:
        query = query.where(NoticeCampaign.organisation == organisation)
    if campaign_id is not None:
        query = query.where(NoticeCampaign.id == campaign_id)
    campaigns = list(uow.session.scalars(query.limit(100)))
    counts: dict[tuple[str, str], int] = {}
    if campaigns:
        rows = uow.session.execute(
            select(OutboxMessage.campaign_id, OutboxMessage.status, func.count())
            .where(OutboxMessage.campaign_id.in_([c.id for c in campaigns]))
            .group_by(OutboxMessage.campaign_id, OutboxMessage.status)
        ).all()
        counts = {(str(c), str(s)): int(n) for c, s, n in rows}
    return [
        CampaignProgress(
            c,
            sent=counts.get((c.id, "sent"), 0),
            parked=counts.get((c.id, "parked"), 0),
            waiting=counts.get((c.id, "queued"), 0),
            held=counts.get((c.id, "held"), 0),
            withdrawn=counts.get((c.id, "cancelled"), 0),
        )
        for c in campaigns
    ]


def progress_of_change(
    uow: UnitOfWork, organisation: str, from_version: int, to_version: int
) -> CampaignProgress | None:
    """The campaign for one notice change, with its counts, or None."""
    found = uow.session.scalars(
        select(NoticeCampaign.id).where(
            NoticeCampaign.organisation == organisation,
            NoticeCampaign.from_version == from_version,
            NoticeCampaign.to_version == to_version,
        )
    ).first()
    if found is None:
        return None
    return campaign_progress(uow, campaign_id=found)[0]


def campaign_states(uow: UnitOfWork) -> dict[str, str]:
    """Each campaign's status by id, for the outbox page's reasons."""
    rows = uow.session.execute(select(NoticeCampaign.id, NoticeCampaign.status)).all()
    return {str(i): str(s) for i, s in rows}
