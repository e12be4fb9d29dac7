"""The DPO's daily digest: each organisation's requests at a glance, once a day. Never commits.

Counts only, and the references of overdue requests (pseudonymous): overdue, due within 7
days and waiting are counted as the queue counts them (``requests.queue``); received
yesterday is by the day a request arrived, closed yesterday by the day it left the open
states (answered, refused, withdrawn or closed as about a person who has died).

Every active user with the role ``dpo`` and an email address as username gets one per
organisation with something to say (an open request, or one received or closed
yesterday), at most once a day: a row per (organisation, user, day) is written with the
message in one unit of work, under a unique key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from dataward.audit.service import lock_chain, record
from dataward.outbox.config import MailSettings
from dataward.outbox.service import queue_staff_message
from dataward.publication.registers import list_organisations
from dataward.register.wording import uk_date
from dataward.requests.audit_actions import REQUEST_DIGEST_SENT
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.queue import urgency_counts  # the queue's: they always agree
from dataward.requests.reminder_models import RequestDigest
from dataward.requests.reminders import dpo_emails
from dataward.requests.transitions import FINAL, OPEN
from dataward.uow import UnitOfWork

DIGEST_MESSAGE = "request_digest"
# An email lists at most this many overdue references; the queue has the rest.
MAX_REFS = 50


@dataclass(frozen=True)
class Digest:
    organisation: str
    day: date
    overdue: int
    due_soon: int
    waiting: int
    on_time: int
    opened: int
    closed: int
    overdue_refs: tuple[str, ...]

    @property
    def quiet(self) -> bool:
        """Nothing open and nothing happened yesterday: no email worth sending."""
        counted = (self.overdue, self.due_soon, self.waiting, self.on_time)
        return not (any(counted) or self.opened or self.closed)


def digest_of(uow: UnitOfWork, organisation: str, day: date) -> Digest:
    """The digest of ``organisation`` on ``day``."""
    table = RightsRequest
    counts = urgency_counts(uow, organisation, day)
    yesterday = day - timedelta(days=1)
    refs = uow.session.scalars(
        select(table.ref)
        .where(
            table.organisation == organisation,
            table.state.in_(OPEN),
            table.due_on.is_not(None),
            table.paused_since.is_(None),
            table.due_on < day,
        )
        .order_by(table.due_on, table.ref)
        .limit(MAX_REFS)
    ).all()
    opened = uow.session.scalar(
        select(func.count())
        .select_from(table)
        .where(table.organisation == organisation, table.received_on == yesterday)
    )
    closed = uow.session.scalar(
        select(func.count(func.distinct(RequestEvent.request_id)))
        .join(table, table.id == RequestEvent.request_id)
        .where(
            table.organisation == organisation,
            RequestEvent.on == yesterday,
            RequestEvent.from_state.in_(OPEN),
            RequestEvent.to_state.in_(FINAL),
        )
    )
    return Digest(
        organisation,
        day,
        counts["overdue"],
        counts["due_soon"],
        counts["waiting"],
        counts["on_time"],
        int(opened or 0),
        int(closed or 0),
        tuple(refs),
    )


def send_digests(uow: UnitOfWork, *, today: date, mail: MailSettings, actor: str = "worker") -> int:
    """Queue today's digest to every DPO user for every organisation with something to say,
    skipping those already sent today; returns how many were queued."""
    dpos = dpo_emails(uow)
    if not dpos:
        return 0
    # As with reminders: concurrent runs take turns, the second sees the first's rows.
    lock_chain(uow.session)
    sent = {
        (r[0], r[1])
        for r in uow.session.execute(
            select(RequestDigest.organisation, RequestDigest.user_ref).where(
                RequestDigest.sent_on == today
            )
        )
    }
    queued = 0
    base = mail.public_url.rstrip("/")
    for version in list_organisations(uow):
        organisation = version.organisation
        digest = digest_of(uow, organisation, today)
        if digest.quiet:
            continue
        context = {
            "day": uk_date(today),
            "overdue": digest.overdue,
            "due_soon": digest.due_soon,
            "waiting": digest.waiting,
            "opened": digest.opened,
            "closed": digest.closed,
            "overdue_refs": list(digest.overdue_refs),
            "queue_url": f"{base}/console/requests?org={organisation}",
        }
        for user_ref, email in dpos:
            if (organisation, user_ref) in sent:
                continue
            row = RequestDigest(
                id=str(uuid.uuid4()),
                organisation=organisation,
                user_ref=user_ref,
                sent_on=today,
                message_id="",
                sent_at=uow.clock.now(),
            )
            uow.session.add(row)
            uow.session.flush()
            message = queue_staff_message(
                uow, organisation, email, DIGEST_MESSAGE, context, actor=actor, mail=mail
            )
            row.message_id = message.id
            record(
                uow,
                actor=actor,
                action=REQUEST_DIGEST_SENT,
                entity_type="user",
                entity_id=user_ref,
                details={
                    "organisation": organisation,
                    "day": today.isoformat(),
                    "overdue": digest.overdue,
                    "due_soon": digest.due_soon,
                    "waiting": digest.waiting,
                },
            )
            queued += 1
    return queued
