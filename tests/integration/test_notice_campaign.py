"""NTC-03: a significant notice change is sent to every affected subject with an email,
once a DPO approves the campaign (issue 14, item 9)."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from outbox_support import FIXTURES, Inbox, add_people, mail_settings, smtp_server
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from web_support import signed_in, web_settings

from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.errors import ValidationFailed
from dataward.notify.decisions import approve_campaign
from dataward.notify.errors import CampaignExists
from dataward.notify.models import NoticeCampaign
from dataward.notify.progress import campaign_progress
from dataward.notify.service import draft_notice_change_campaign
from dataward.outbox.models import OutboxMessage
from dataward.publication.errors import NoticeVersionNotFound
from dataward.publication.models import NoticeChange
from dataward.publication.registers import store_register
from dataward.register.loader import load_register, parse_register
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork
from dataward.web.app import create_app
from dataward.workers import build_worker

SIGNIFICANT = (
    "  - {id: contact, name: Contact data, subject_groups: [customers]}\n",
    "  - {id: contact, name: Contact data, subject_groups: [customers]}\n"
    "  - {id: usage, name: Usage data, subject_groups: [customers]}\n",
)


def _publish_v2(uow: UnitOfWork) -> None:
    text = (FIXTURES / "acme.yaml").read_text(encoding="utf-8")
    store_register(uow, parse_register(text.replace(*SIGNIFICANT), "acme.yaml"))


@pytest.fixture
def acme(uow: UnitOfWork) -> UnitOfWork:
    store_register(uow, load_register(FIXTURES / "acme.yaml"))
    uow.commit()
    return uow


def _count(uow: UnitOfWork, model: Any) -> int:
    uow.session.expire_all()
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_campaign_reaches_every_affected_subject_with_an_email_in_batches(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    customers = add_people(acme, 7)
    add_people(acme, 2, group="new_occupiers", start=100)  # not affected
    add_subject(acme, "acme", ["customers"], [("phone", "07911 123456")])  # no email
    acme.commit()
    _publish_v2(acme)
    acme.commit()
    acme.session.execute(NoticeChange.__table__.delete())  # this test starts it by hand
    mail = mail_settings(1, campaign_batch=3)
    campaign = draft_notice_change_campaign(
        acme, "acme", 1, 2, "We now collect usage data.", ["customers"], actor="dpo", mail=mail
    )
    approve_campaign(acme, campaign.id, actor="user:dpo", mail=mail)
    acme.commit()
    assert campaign.subjects_total == 8
    inbox = Inbox()
    with smtp_server(inbox) as port:
        mail = mail_settings(port, campaign_batch=3)
        stats = build_worker(session_factory, clock, vault, mail).run(once=True)
    assert stats.by_kind["notice.campaign_batch"] == 4  # 10 subjects, 3 a batch
    assert sorted(str(m["To"]) for m in inbox.messages) == sorted(
        f"person{n}@example.com" for n in range(7)
    )
    assert len(customers) == 7
    body = inbox.messages[0].get_body(("plain",))
    assert body is not None
    assert "We now collect usage data." in body.get_content()
    assert "https://dataward.acme.example/orgs/acme/notice.html" in body.get_content()
    acme.session.expire_all()
    [progress] = campaign_progress(acme)
    assert progress.campaign.status == "queued"
    assert (progress.campaign.messages_queued, progress.campaign.without_email) == (7, 1)
    assert (progress.sent, progress.parked, progress.waiting) == (7, 0, 0)
    assert progress.percent_sent == 100
    assert verify(acme.session).intact


def test_a_recorded_significant_change_starts_its_campaign_and_is_marked_notified(
    acme: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], vault: Vault
) -> None:
    add_people(acme, 3)
    acme.commit()
    _publish_v2(acme)
    acme.commit()
    change = acme.session.scalars(select(NoticeChange)).one()
    assert change.notified_at is None
    inbox = Inbox()
    with smtp_server(inbox) as port:
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
        assert inbox.messages == []  # a draft: nothing until a DPO approves it
        draft = acme.session.scalars(select(NoticeCampaign)).one()
        approve_campaign(acme, draft.id, actor="user:dpo", mail=mail_settings(port))
        acme.commit()
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
        # A second pass starts nothing again: the change is notified.
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    assert len(inbox.messages) == 3
    acme.session.expire_all()
    change = acme.session.scalars(select(NoticeChange)).one()
    assert change.notified_at == clock.now()
    campaign = acme.session.scalars(select(NoticeCampaign)).one()
    assert campaign.summary == change.summary
    assert campaign.groups == ["customers", "new_occupiers"]


def test_bad_campaign_input_is_refused_and_writes_nothing(acme: UnitOfWork) -> None:
    _publish_v2(acme)
    acme.commit()
    mail = mail_settings(1)
    cases: list[tuple[type[Exception], tuple[Any, ...]]] = [
        (ValidationFailed, (2, 1, "s", ["customers"])),
        (NoticeVersionNotFound, (1, 9, "s", ["customers"])),
        (ValidationFailed, (1, 2, "   ", ["customers"])),
        (ValidationFailed, (1, 2, "x" * 4001, ["customers"])),
        (ValidationFailed, (1, 2, "s", [])),
        (ValidationFailed, (1, 2, "s", ["martians"])),
    ]
    for error, args in cases:
        with pytest.raises(error):
            draft_notice_change_campaign(acme, "acme", *args, mail=mail)
    assert _count(acme, NoticeCampaign) == 0
    draft_notice_change_campaign(acme, "acme", 1, 2, "s", ["customers"], mail=mail)
    acme.commit()
    with pytest.raises(CampaignExists):
        draft_notice_change_campaign(acme, "acme", 1, 2, "again", ["customers"], mail=mail)
    assert _count(acme, NoticeCampaign) == 1
    assert _count(acme, OutboxMessage) == 0


def test_the_console_page_shows_campaign_progress_and_parked_errors(
    acme: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    database_url: str,
) -> None:
    add_people(acme, 2)
    add_subject(acme, "acme", ["customers"], [("email", "bad..dots@example.com")])
    acme.commit()
    _publish_v2(acme)
    acme.commit()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
        draft = acme.session.scalars(select(NoticeCampaign)).one()
        approve_campaign(acme, draft.id, actor="user:dpo", mail=mail_settings(port))
        acme.commit()
        build_worker(session_factory, clock, vault, mail_settings(port)).run(once=True)
    app = create_app(web_settings(database_url, FIXTURES), clock)
    with signed_in(app, "dpo1", "dpo") as client:
        response = client.get("/console/outbox")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    row = [td.get_text(strip=True) for td in page.select("#campaigns tbody tr")[0].select("td")]
    assert row[:8] == ["acme", "v1 → v2", "done, some failed", "3", "3", "2", "1", "0"]
    parked = page.select_one("#parked-messages")
    assert parked is not None
    assert "misplaced dot before the @" in parked.get_text()
    assert "bad..dots" not in response.text
