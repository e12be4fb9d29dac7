"""Issue 14, item 9: no mass email without a DPO's decision.

A significant change drafts a campaign that queues nothing; a DPO (or an administrator)
approves, pauses, resumes or cancels it; the outbox holds a paused campaign's messages; the
console and the notice diff page say what was really sent.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from outbox_support import FIXTURES, add_people, mail_settings
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from web_support import audit_actions, csrf_from, signed_in, web_settings

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.jobs.models import Job
from dataward.notify.decisions import (
    approve_campaign,
    cancel_campaign,
    pause_campaign,
    resume_campaign,
)
from dataward.notify.errors import CampaignStateInvalid
from dataward.notify.models import NoticeCampaign
from dataward.notify.progress import campaign_progress
from dataward.notify.service import CAMPAIGN_JOB, start_pending_campaigns
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import waiting_messages
from dataward.publication.registers import store_register
from dataward.register.loader import load_register, parse_register
from dataward.uow import UnitOfWork
from dataward.web.app import create_app
from dataward.workers import build_worker

SIGNIFICANT = (
    "  - {id: contact, name: Contact data, subject_groups: [customers]}\n",
    "  - {id: contact, name: Contact data, subject_groups: [customers]}\n"
    "  - {id: usage, name: Usage data, subject_groups: [customers]}\n",
)


class Collected:
    """A sender that keeps what it is given (the worker's real path, no network)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def close(self) -> None:
        return None


@pytest.fixture
def changed(uow: UnitOfWork) -> UnitOfWork:
    """acme v1 with five customers, then v2 with a significant change recorded."""
    store_register(uow, load_register(FIXTURES / "acme.yaml"))
    uow.commit()
    add_people(uow, 5)
    uow.commit()
    text = (FIXTURES / "acme.yaml").read_text(encoding="utf-8")
    store_register(uow, parse_register(text.replace(*SIGNIFICANT), "acme.yaml"))
    uow.commit()
    return uow


def _run(
    session_factory: sessionmaker[Any], clock: FixedClock, vault: Vault, **mail: Any
) -> Collected:
    sender = Collected()
    build_worker(session_factory, clock, vault, mail_settings(1, **mail), sender=sender).run(
        once=True
    )
    return sender


def _campaign(uow: UnitOfWork) -> NoticeCampaign:
    uow.session.expire_all()
    return uow.session.scalars(select(NoticeCampaign)).one()


def _statuses(uow: UnitOfWork) -> dict[str, int]:
    uow.session.expire_all()
    rows = uow.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {str(s): int(n) for s, n in rows}


def _actions(uow: UnitOfWork, action: str) -> list[AuditEvent]:
    return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_sweep_drafts_a_campaign_and_queues_nothing(
    changed: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    """Issue 14, item 9: restarting with a changed register queued every message unasked."""
    sent = _run(session_factory, clock, vault)
    sent_again = _run(session_factory, clock, vault)
    campaign = _campaign(changed)
    assert campaign.status == "draft"
    assert campaign.subjects_total == 5
    assert sent.sent == []
    assert sent_again.sent == []
    assert _statuses(changed) == {}
    jobs = changed.session.scalar(
        select(func.count()).select_from(Job).where(Job.kind == CAMPAIGN_JOB)
    )
    assert jobs == 0
    [progress] = campaign_progress(changed)
    assert progress.phase == "waiting for approval"
    assert progress.actions == ("approve", "cancel")


def test_approval_queues_and_sends_with_the_approver_audited(
    changed: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    """Issue 14, item 9: approving a draft is what starts the mail, audited with the DPO."""
    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    changed.commit()
    approve_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.commit()
    with pytest.raises(CampaignStateInvalid):
        approve_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.rollback()
    sent = _run(session_factory, clock, vault)
    assert len(sent.sent) == 5
    campaign = _campaign(changed)
    assert (campaign.status, campaign.approved_by, campaign.approved_at) == (
        "queued",
        "user:u_dpo",
        clock.now(),
    )
    [approved] = _actions(changed, "notice.campaign_approved")
    assert approved.actor == "user:u_dpo"
    [progress] = campaign_progress(changed)
    assert progress.all_sent
    assert progress.phase == "done"
    assert progress.actions == ()


def test_pausing_stops_queueing_and_holds_unsent_messages_until_resumed(
    changed: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    """Issue 14, item 9: pause mid-way; nothing more is queued or sent; resume finishes,
    nobody twice."""
    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    approve_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.commit()
    # Run one batch of two subjects by hand: two messages queued, three subjects to go.
    from dataward.jobs.service import ClaimedJob
    from dataward.notify.service import CampaignBatches

    job = changed.session.scalars(select(Job).where(Job.kind == CAMPAIGN_JOB)).one()
    CampaignBatches(mail_settings(1, campaign_batch=2)).run(
        changed, ClaimedJob(job.id, job.kind, dict(job.payload), 1, 8)
    )
    job.state = "done"
    changed.commit()
    assert _statuses(changed) == {"queued": 2}
    pause_campaign(changed, draft.id, actor="user:u_dpo")
    changed.commit()
    assert _statuses(changed) == {"held": 2}
    waiting = waiting_messages(changed, {draft.id: "paused"})
    assert [w.reason for w in waiting] == ["campaign paused", "campaign paused"]
    # The worker runs the due batch and send jobs: none queues or sends anything.
    sent = _run(session_factory, clock, vault, campaign_batch=2)
    assert sent.sent == []
    assert _statuses(changed) == {"held": 2}
    campaign = _campaign(changed)
    assert (campaign.status, campaign.messages_queued) == ("paused", 2)
    [progress] = campaign_progress(changed)
    assert (progress.held, progress.phase, progress.actions) == (2, "paused", ("resume", "cancel"))

    resume_campaign(changed, draft.id, actor="user:u_admin", mail=mail_settings(1))
    changed.commit()
    sent = _run(session_factory, clock, vault, campaign_batch=2)
    assert sorted(str(m["To"]) for m in sent.sent) == [f"person{n}@example.com" for n in range(5)]
    assert _statuses(changed) == {"sent": 5}
    assert _campaign(changed).status == "queued"
    [paused] = _actions(changed, "notice.campaign_paused")
    [resumed] = _actions(changed, "notice.campaign_resumed")
    assert (paused.actor, resumed.actor) == ("user:u_dpo", "user:u_admin")


def test_a_cancelled_campaign_never_sends_its_held_messages(
    changed: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    """Issue 14, item 9: cancel from paused or draft only; held messages are withdrawn."""
    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    approve_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.commit()
    with pytest.raises(CampaignStateInvalid):
        cancel_campaign(changed, draft.id, actor="user:u_dpo")  # running: pause first
    changed.rollback()
    # Queue every message but send none: the batch job alone.
    from dataward.jobs.service import ClaimedJob
    from dataward.notify.service import CampaignBatches

    job = changed.session.scalars(select(Job).where(Job.kind == CAMPAIGN_JOB)).one()
    CampaignBatches(mail_settings(1)).run(
        changed, ClaimedJob(job.id, job.kind, dict(job.payload), 1, 8)
    )
    job.state = "done"
    changed.commit()
    pause_campaign(changed, draft.id, actor="user:u_dpo")
    cancel_campaign(changed, draft.id, actor="user:u_dpo")
    changed.commit()
    assert _run(session_factory, clock, vault).sent == []
    assert _statuses(changed) == {"cancelled": 5}
    with pytest.raises(CampaignStateInvalid):
        resume_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.rollback()
    [progress] = campaign_progress(changed)
    assert (progress.phase, progress.withdrawn, progress.actions) == ("cancelled", 5, ())
    assert len(_actions(changed, "notice.campaign_cancelled")) == 1


def _app(database_url: str, clock: FixedClock) -> FastAPI:
    return create_app(web_settings(database_url, FIXTURES), clock)


def _diff_text(app: FastAPI) -> str:
    with signed_in(app, f"reader{len(audit_actions(app))}", "caseworker") as client:
        page = client.get("/orgs/acme/notice/diff?from=1&to=2")
    assert page.status_code == 200
    found = BeautifulSoup(page.text, "html.parser").select_one("#notification")
    assert found is not None
    return " ".join(found.get_text().split())


def test_the_diff_page_says_what_was_really_sent_in_each_state(
    changed: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    database_url: str,
) -> None:
    """Issue 14, item 9: it said "subjects were told" while none had been sent."""
    app = _app(database_url, clock)
    assert "No campaign has been drafted" in _diff_text(app)
    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    changed.commit()
    assert "A campaign is waiting for approval: nothing has been sent." in _diff_text(app)
    approve_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.commit()
    assert "0 of 5 sent" in _diff_text(app)
    from dataward.jobs.service import ClaimedJob
    from dataward.notify.service import CampaignBatches

    job = changed.session.scalars(select(Job).where(Job.kind == CAMPAIGN_JOB)).one()
    CampaignBatches(mail_settings(1)).run(
        changed, ClaimedJob(job.id, job.kind, dict(job.payload), 1, 8)
    )
    job.state = "done"
    changed.commit()
    text = _diff_text(app)
    assert "0 of 5 sent; 5 waiting" in text
    assert "told" not in text
    pause_campaign(changed, draft.id, actor="user:u_dpo")
    changed.commit()
    assert "The campaign is paused: 0 of 5 sent; 5 held" in _diff_text(app)
    resume_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.commit()
    _run(session_factory, clock, vault)
    assert "Subjects were told: all 5 messages sent." in _diff_text(app)


def test_a_caseworker_cannot_approve_and_the_refusal_is_audited(
    changed: UnitOfWork, clock: FixedClock, database_url: str
) -> None:
    """Issue 14, item 9: approving is a DPO's (or an admin's) decision: 403, audited."""
    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    changed.commit()
    app = _app(database_url, clock)
    with signed_in(app, "case1", "caseworker") as client:
        token = csrf_from(client.get("/console").text)
        refused = client.post(
            f"/console/campaigns/{draft.id}/approve",
            data={"csrf_token": token, "confirmed": "yes"},
        )
        confirm = client.get(f"/console/campaigns/{draft.id}/confirm/approve")
    assert refused.status_code == 403
    assert confirm.status_code == 403
    assert _campaign(changed).status == "draft"
    refusals = [e for e in _actions(changed, "access.refused") if (e.details or {}).get("needed")]
    assert [e.details["needed"] for e in refusals] == ["campaigns:approve"] * 2


def test_a_dpo_approves_on_the_console_after_confirming(
    changed: UnitOfWork, clock: FixedClock, database_url: str
) -> None:
    """Issue 14, item 9: the console's approve asks for confirmation, then redirects with
    a flash; the campaign page shows the truth and the decision buttons."""
    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    changed.commit()
    app = _app(database_url, clock)
    with signed_in(app, "dpo1", "dpo") as client:
        listing = client.get("/console/campaigns")
        page = client.get(f"/console/campaigns/{draft.id}")
        token = csrf_from(page.text)
        unconfirmed = client.post(
            f"/console/campaigns/{draft.id}/approve", data={"csrf_token": token}
        )
        after_unconfirmed = client.get(f"/console/campaigns/{draft.id}")
        confirm = client.get(f"/console/campaigns/{draft.id}/confirm/approve")
        approved = client.post(
            f"/console/campaigns/{draft.id}/approve",
            data={"csrf_token": csrf_from(confirm.text), "confirmed": "yes"},
        )
        shown = client.get(approved.headers["location"])
        missing = client.get("/console/campaigns/no-such-campaign")
    assert listing.status_code == 200
    assert "waiting for approval" in listing.text
    assert page.status_code == 200
    assert f"/console/campaigns/{draft.id}/confirm/approve" in page.text
    assert unconfirmed.status_code == 303
    assert "Confirm on the approve page first; nothing was done" in after_unconfirmed.text
    assert "up to 5 messages" in confirm.text
    assert approved.status_code == 303
    assert "approved: workers now queue and send its messages" in shown.text
    assert "GMT" in shown.text  # UK time: 25 November is GMT
    assert missing.status_code == 404
    campaign = _campaign(changed)
    assert campaign.status == "queueing"
    assert str(campaign.approved_by).startswith("user:")
    [event] = _actions(changed, "notice.campaign_approved")
    assert event.actor == campaign.approved_by


def test_the_outbox_page_says_why_messages_wait(
    changed: UnitOfWork, clock: FixedClock, database_url: str
) -> None:
    """Issue 14, item 9: held by a paused campaign, or due with its next try."""
    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    approve_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.commit()
    from dataward.jobs.service import ClaimedJob
    from dataward.notify.service import CampaignBatches

    job = changed.session.scalars(select(Job).where(Job.kind == CAMPAIGN_JOB)).one()
    CampaignBatches(mail_settings(1, campaign_batch=2)).run(
        changed, ClaimedJob(job.id, job.kind, dict(job.payload), 1, 8)
    )
    job.state = "done"
    changed.commit()
    app = _app(database_url, clock)
    with signed_in(app, "dpo1", "dpo") as client:
        due = client.get("/console/outbox")
        pause_campaign(changed, draft.id, actor="user:u_dpo")
        changed.commit()
        held = client.get("/console/outbox")
    due_rows = BeautifulSoup(due.text, "html.parser").select("#waiting-messages tbody tr")
    assert [r.select("td")[3].get_text(strip=True) for r in due_rows] == ["due to be sent"] * 2
    assert "25 November 2026, 09:30 GMT" in due_rows[0].get_text()
    held_rows = BeautifulSoup(held.text, "html.parser").select("#waiting-messages tbody tr")
    assert [r.select("td")[3].get_text(strip=True) for r in held_rows] == ["campaign paused"] * 2
    assert "person0@example.com" not in held.text


def test_a_pause_during_a_running_batch_holds_what_that_batch_queued(
    changed: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    """Issue 14, item 9: a batch and a pause of one campaign never interleave: the pause
    waits for the batch's commit, then holds its messages too (none slips out)."""
    import threading

    from dataward.jobs.service import ClaimedJob
    from dataward.notify.service import CampaignBatches

    [draft] = start_pending_campaigns(changed, mail=mail_settings(1))
    approve_campaign(changed, draft.id, actor="user:u_dpo", mail=mail_settings(1))
    changed.commit()
    job = changed.session.scalars(select(Job).where(Job.kind == CAMPAIGN_JOB)).one()
    claimed = ClaimedJob(job.id, job.kind, dict(job.payload), 1, 8)
    outcome: list[str] = []
    with UnitOfWork(session_factory, clock, vault) as batch:
        CampaignBatches(mail_settings(1)).run(batch, claimed)  # every subject, not committed

        def pause() -> None:
            with UnitOfWork(session_factory, clock, vault) as other:
                pause_campaign(other, draft.id, actor="user:u_dpo")
                other.commit()
                outcome.append("paused")

        pausing = threading.Thread(target=pause)
        pausing.start()
        pausing.join(0.5)  # the pause cannot finish while the batch holds the campaign
        assert outcome == []
        batch.commit()
    pausing.join()
    assert outcome == ["paused"]
    assert _statuses(changed) == {"held": 5}
    assert _campaign(changed).status == "paused"
