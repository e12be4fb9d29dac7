"""``dataward complaint remind`` for cron (issue 17, CMP-01).

Runs the CLI on a SQLite site of its own (migrated to the latest revision, 0022's
``complaint_reminders`` included) with the real clock, so dates are relative to today; the
reminder rules are tested with a fixed clock on both backends in
``test_complaint_reminders.py``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from test_request_remind_cli import runner, site  # noqa: F401  (the site fixture)

from dataward.cli.app import app
from dataward.clock import in_uk_time
from dataward.complaints.service import Complainant, NewComplaint, open_complaint
from dataward.outbox.models import OutboxMessage
from dataward.requests.errors import RemindersInvalid
from dataward.runtime import open_runtime


def _open(days_ago: int) -> str:
    with open_runtime() as runtime, runtime.uow() as uow:
        received = in_uk_time(uow.clock.now()).date() - timedelta(days=days_ago)
        who = Complainant(name="Ann Smith", words="You kept my data too long.")
        row = open_complaint(uow, NewComplaint("corner_shop", "post", received, who), actor="test")
        uow.commit()
        return row.ref


def _messages() -> int:
    with open_runtime() as runtime, runtime.uow() as uow:
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "complaint_reminder")
        )
        return int(uow.session.scalar(query) or 0)


def test_remind_sends_the_days_complaint_reminders_once(site: Path) -> None:  # noqa: F811
    """CMP-01: received 40 days ago, not acknowledged: overdue."""
    _open(days_ago=40)
    first = runner.invoke(app, ["complaint", "remind"])
    assert first.exit_code == 0, first.output
    assert "acknowledgement_overdue: 1" in first.output
    assert "1 complaint reminders (0 with nobody to tell)" in first.output
    again = runner.invoke(app, ["complaint", "remind"])
    assert again.exit_code == 0, again.output
    assert "0 complaint reminders" in again.output
    assert _messages() == 1


def test_remind_refuses_a_day_after_today(site: Path) -> None:  # noqa: F811
    _open(days_ago=40)
    result = runner.invoke(app, ["complaint", "remind", "--as-of", "2999-01-01"])
    assert isinstance(result.exception, RemindersInvalid)
    assert "after today" in result.exception.message
    assert _messages() == 0


def test_remind_help_says_what_it_does() -> None:
    result = runner.invoke(app, ["complaint", "remind", "--help"])
    assert result.exit_code == 0
    assert "complaint reminders due today" in result.output
