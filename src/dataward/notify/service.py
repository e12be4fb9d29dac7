"""Notice-of-change campaigns (NTC-03): tell every affected subject with an email address
that the privacy notice changed, with the summary and a link to the new notice.

A campaign is drafted (one row, nothing queued) and waits for a DPO's or an
administrator's approval (``notify.decisions``, issue 14 item 9). Approving it writes one
due job. Workers then walk the organisation's subjects in id order, a batch per job and a
transaction per batch, so a campaign to a hundred thousand subjects never holds one huge
transaction, and a failed batch rolls back
and is retried without queueing anyone twice (the cursor and a unique constraint see to it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select

from dataward.audit.service import record, record_many
from dataward.crypto.keyring import decrypt_for
from dataward.crypto.keystore import DataKey, material_of, unwrap
from dataward.errors import ValidationFailed
from dataward.jobs.errors import JobRefused
from dataward.jobs.service import ClaimedJob, enqueue
from dataward.notify.audit_actions import (
    NOTICE_CAMPAIGN_CREATED,
    NOTICE_CAMPAIGN_QUEUED,
    NOTICE_CHANGE_NOTIFIED,
)
from dataward.notify.errors import CampaignExists
from dataward.notify.models import DRAFT, QUEUED, QUEUEING, STALLED, NoticeCampaign
from dataward.outbox.config import MailSettings, get_mail_settings
from dataward.outbox.service import prepare_message
from dataward.publication.models import NoticeChange, NoticeVersionRow
from dataward.publication.notices import get_notice_version, pending_changes, register_of
from dataward.register.models import Register
from dataward.subjects.models import Subject, SubjectIdentity
from dataward.subjects.service import identity_context
from dataward.uow import UnitOfWork

CAMPAIGN_JOB = "notice.campaign_batch"
SUMMARY_MAX = 4000


def _version(uow: UnitOfWork, organisation: str, version: int) -> NoticeVersionRow:
    """A published notice version; ``NoticeVersionNotFound`` names the ones that exist."""
    return get_notice_version(uow, organisation, version)


def groups_of_version(uow: UnitOfWork, organisation: str, version: int) -> list[str]:
    """Every subject group of one stored version (the default audience of a campaign)."""
    register = register_of(uow, _version(uow, organisation, version))
    return sorted(g.id for g in register.subject_groups)


def draft_notice_change_campaign(
    uow: UnitOfWork,
    organisation: str,
    from_version: int,
    to_version: int,
    summary: str,
    groups: Sequence[str],
    *,
    actor: str = "system",
    mail: MailSettings | None = None,
) -> NoticeCampaign:
    """Check everything, then write the campaign as a draft: nothing is queued until a
    person approves it (``notify.decisions.approve_campaign``). Never commits."""
    mail = mail or get_mail_settings()
    if to_version <= from_version:
        raise ValidationFailed("the new version must come after the old one (--to > --from)")
    _version(uow, organisation, from_version)
    new = register_of(uow, _version(uow, organisation, to_version))
    text = summary.strip()
    if not text:
        raise ValidationFailed("the summary of changes is empty")
    if len(text) > SUMMARY_MAX:
        raise ValidationFailed(f"the summary is longer than {SUMMARY_MAX} characters")
    known = {g.id for g in new.subject_groups}
    chosen = sorted(set(groups))
    if not chosen:
        raise ValidationFailed("name at least one affected subject group")
    unknown = [g for g in chosen if g not in known]
    if unknown:
        raise ValidationFailed(
            f"unknown subject groups for {organisation} v{to_version}: {', '.join(unknown)} "
            f"(the register has {', '.join(sorted(known))})"
        )
    existing = uow.session.scalars(
        select(NoticeCampaign.id).where(
            NoticeCampaign.organisation == organisation,
            NoticeCampaign.from_version == from_version,
            NoticeCampaign.to_version == to_version,
        )
    ).first()
    if existing is not None:
        raise CampaignExists(
            f"a campaign for {organisation} v{from_version} -> v{to_version} already exists "
            f"(campaign {existing})"
        )
    campaign = NoticeCampaign(
        id=str(uuid.uuid4()),
        organisation=organisation,
        from_version=from_version,
        to_version=to_version,
        summary=text,
        groups=chosen,
        notice_url=f"{mail.public_url.rstrip('/')}/orgs/{organisation}/notice.html",
        status=DRAFT,
        cursor="",
        subjects_total=_count_affected(uow, organisation, set(chosen)),
        created_by=actor,
        created_at=uow.clock.now(),
    )
    uow.session.add(campaign)
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=NOTICE_CAMPAIGN_CREATED,
        entity_type="notice_campaign",
        entity_id=campaign.id,
        details={
            "organisation": organisation,
            "from_version": from_version,
            "to_version": to_version,
            "subjects": campaign.subjects_total,
        },
    )
    return campaign


def _live_subjects(organisation: str) -> Select[tuple[Subject]]:
    return select(Subject).where(
        Subject.organisation == organisation,
        Subject.shredded_at.is_(None),
        Subject.merged_into.is_(None),
    )


def _count_affected(uow: UnitOfWork, organisation: str, groups: set[str]) -> int:
    # Group lists are JSON, whose containment operators differ per backend: count here.
    rows = uow.session.execute(
        select(Subject.groups).where(
            Subject.organisation == organisation,
            Subject.shredded_at.is_(None),
            Subject.merged_into.is_(None),
        )
    )
    return sum(1 for (subject_groups,) in rows if groups & set(subject_groups or []))


def _prefetch_keys(uow: UnitOfWork, key_ids: Sequence[str]) -> None:
    """One key-store query per batch instead of one per subject."""
    wanted = [k for k in key_ids if k not in uow.key_cache]
    if not wanted:
        return
    for row in uow.keys.scalars(select(DataKey).where(DataKey.key_id.in_(wanted))):
        uow.key_cache[row.key_id] = unwrap(material_of(uow), row.key_id, row.wrapped)


def _emails(uow: UnitOfWork, subjects: Sequence[Subject]) -> dict[str, str]:
    """Each subject's first email address, decrypted."""
    by_id = {s.id: s for s in subjects}
    rows = uow.session.scalars(
        select(SubjectIdentity)
        .where(SubjectIdentity.subject_id.in_(list(by_id)), SubjectIdentity.kind == "email")
        .order_by(SubjectIdentity.created_at, SubjectIdentity.id)
    )
    found: dict[str, str] = {}
    for identity in rows:
        if identity.subject_id in found:
            continue
        subject = by_id[identity.subject_id]
        found[subject.id] = decrypt_for(
            uow, subject.key_id, identity.sealed, identity_context(subject.id, "email")
        )
    return found


class CampaignBatches:
    """The ``notice.campaign_batch`` job: queue messages for the next batch of subjects."""

    needs_keys = True

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        # The row stays locked (PostgreSQL) until this batch commits: a pause waits for it,
        # then holds what it queued; a batch that waited for a pause sees it and stops.
        campaign = uow.session.get(
            NoticeCampaign,
            job.payload.get("campaign"),
            with_for_update=True,
            populate_existing=True,
        )
        if campaign is None:
            raise JobRefused("the campaign no longer exists")
        # A draft, paused or cancelled campaign queues nothing; a job of an older chain
        # (from before a pause) gives way to the chain its resumption started.
        if campaign.status != QUEUEING or job.payload.get("generation", 0) != campaign.generation:
            return
        subjects = list(
            uow.session.scalars(
                _live_subjects(campaign.organisation)
                .where(Subject.id > campaign.cursor)
                .order_by(Subject.id)
                .limit(self.mail.campaign_batch)
            )
        )
        wanted = set(campaign.groups)
        affected = [s for s in subjects if wanted & set(s.groups or [])]
        _prefetch_keys(uow, [s.key_id for s in affected])
        emails = _emails(uow, affected)
        context = {
            "summary": campaign.summary,
            "notice_url": campaign.notice_url,
            "from_version": campaign.from_version,
            "to_version": campaign.to_version,
        }
        entries = []
        for subject in affected:
            address = emails.get(subject.id)
            if address is None:
                campaign.without_email += 1
                continue
            prepared = prepare_message(
                uow,
                organisation=campaign.organisation,
                kind="notice_change",
                to=address,
                context=context,
                subject=subject,
                actor=f"campaign:{campaign.id}",
                campaign_id=campaign.id,
                mail=self.mail,
            )
            entries.append(prepared.audit)
        record_many(uow, entries)
        campaign.messages_queued += len(entries)
        campaign.subjects_seen += len(affected)
        if subjects:
            campaign.cursor = subjects[-1].id
        if len(subjects) < self.mail.campaign_batch:
            campaign.status = QUEUED
            campaign.queued_at = uow.clock.now()
            _mark_notified(uow, campaign)
            record(
                uow,
                actor=f"campaign:{campaign.id}",
                action=NOTICE_CAMPAIGN_QUEUED,
                entity_type="notice_campaign",
                entity_id=campaign.id,
                details={
                    "messages": campaign.messages_queued,
                    "without_email": campaign.without_email,
                },
            )
        else:
            enqueue(
                uow,
                CAMPAIGN_JOB,
                {"campaign": campaign.id, "generation": campaign.generation},
                max_attempts=job.max_attempts,
            )

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        campaign = uow.session.get(NoticeCampaign, job.payload.get("campaign"))
        if campaign is not None and campaign.status == QUEUEING:
            campaign.status = STALLED

    def close(self) -> None:
        return None


def _mark_notified(uow: UnitOfWork, campaign: NoticeCampaign) -> None:
    """Every message is in the outbox now: the recorded change counts as notified."""
    change = uow.session.scalars(
        select(NoticeChange).where(
            NoticeChange.organisation == campaign.organisation,
            NoticeChange.from_version == campaign.from_version,
            NoticeChange.to_version == campaign.to_version,
            NoticeChange.notified_at.is_(None),
        )
    ).first()
    if change is None:
        return
    change.notified_at = uow.clock.now()
    record(
        uow,
        actor=f"campaign:{campaign.id}",
        action=NOTICE_CHANGE_NOTIFIED,
        entity_type="notice_change",
        entity_id=f"{campaign.organisation}:{campaign.from_version}-{campaign.to_version}",
        details={"organisation": campaign.organisation, "messages": campaign.messages_queued},
    )


def start_pending_campaigns(
    uow: UnitOfWork, *, mail: MailSettings | None = None
) -> list[NoticeCampaign]:
    """A draft campaign for each recorded significant change that has none yet (NTC-03).
    Nothing is queued: a DPO or an administrator approves it first (issue 14, item 9).

    The change's own summary is what subjects read; every subject group of the new
    version is affected, since the recorded change does not narrow them down.

    The register's ``notice.change_promise`` decides how subjects are told: a promise that
    names no email (only the website, say) starts no email campaign and the change stays
    pending for the DPO; a promise of email, or silence, drafts the campaign.
    """
    started: list[NoticeCampaign] = []
    for change in pending_changes(uow):
        if not promises_email(
            register_of(uow, _version(uow, change.organisation, change.to_version))
        ):
            continue
        exists = uow.session.scalars(
            select(NoticeCampaign.id).where(
                NoticeCampaign.organisation == change.organisation,
                NoticeCampaign.from_version == change.from_version,
                NoticeCampaign.to_version == change.to_version,
            )
        ).first()
        if exists is not None:
            continue
        started.append(
            draft_notice_change_campaign(
                uow,
                change.organisation,
                change.from_version,
                change.to_version,
                change.summary,
                groups_of_version(uow, change.organisation, change.to_version),
                actor="notice-change",
                mail=mail,
            )
        )
    return started


def promises_email(register: Register) -> bool:
    """Whether subjects are told of a significant change by email: the register promises
    it, or says nothing about how (then the change still makes a campaign)."""
    promise = register.notice.change_promise
    return promise is None or "email" in promise.channels
