"""NTC-03: the register's notice-change promise decides how subjects are told of a
significant change. Silence and a promise of email start the campaign as before; a promise
that names no email starts none and leaves the change pending for the DPO.
"""

from __future__ import annotations

import pytest
from outbox_support import FIXTURES, add_people, mail_settings
from sqlalchemy import select

from dataward.notify.models import NoticeCampaign
from dataward.notify.service import start_pending_campaigns
from dataward.publication.models import NoticeChange
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.uow import UnitOfWork

NOTICE = "notice:\n  title: Privacy notice\n"
SIGNIFICANT = (
    "  - {id: contact, name: Contact data, subject_groups: [customers]}\n",
    "  - {id: contact, name: Contact data, subject_groups: [customers]}\n"
    "  - {id: usage, name: Usage data, subject_groups: [customers]}\n",
)


def _store(uow: UnitOfWork, promise: str, *, changed: bool) -> None:
    text = (FIXTURES / "acme.yaml").read_text(encoding="utf-8")
    assert NOTICE in text
    text = text.replace(NOTICE, NOTICE + promise)
    if changed:
        text = text.replace(*SIGNIFICANT)
    store_register(uow, parse_register(text, "acme.yaml"))
    uow.commit()


@pytest.mark.parametrize(
    ("promise", "campaigns"),
    [
        ("", 1),  # silence: a significant change still makes a campaign
        ("  change_promise: {channels: [email, website]}\n", 1),
        ("  change_promise: {channels: [website]}\n", 0),
    ],
)
def test_the_change_promise_decides_whether_an_email_campaign_starts(
    uow: UnitOfWork, promise: str, campaigns: int
) -> None:
    # RULES: NTC-03
    _store(uow, promise, changed=False)
    add_people(uow, 2)
    uow.commit()
    _store(uow, promise, changed=True)
    started = start_pending_campaigns(uow, mail=mail_settings(1))
    uow.commit()
    assert len(started) == campaigns
    assert len(uow.session.scalars(select(NoticeCampaign)).all()) == campaigns
    # Either way the change is recorded; without a campaign it waits for the DPO.
    change = uow.session.scalars(select(NoticeChange)).one()
    assert change.notified_at is None
