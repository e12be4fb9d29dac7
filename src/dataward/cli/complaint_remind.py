"""``dataward complaint remind``: the day's reminders of complaints' clocks, from cron.

A module of its own, plugged into the ``complaint`` group (``cli/complaint_cmd.py``, with
the other complaint commands) with one line: ``app.command("remind")(remind)``. It runs the
service the worker runs (``complaints.reminders.send_complaint_reminders``), so a reminder
a worker sent is not sent again. Prints counts only: no complainant's detail.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dataward.cli.request_cmd import _day
from dataward.clock import in_uk_time
from dataward.config import get_settings
from dataward.outbox.config import get_mail_settings
from dataward.requests.reminders import reminder_days
from dataward.runtime import open_runtime


def remind(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The UK day to remind as of (YYYY-MM-DD); today if not set."),
    ] = None,
    actor: Annotated[str, typer.Option(help="Who is acting, for the audit chain.")] = "cli",
) -> None:
    """Send the complaint reminders due today, once: acknowledgements due within the
    reminder days (DATAWARD_REQUEST_REMINDER_DAYS) or overdue, and outcome targets the
    register states, near or passed. What a worker sent already is not sent again."""
    from dataward.complaints.reminders import send_complaint_reminders

    days = reminder_days(get_settings().request_reminder_days)
    with open_runtime() as runtime, runtime.uow() as uow:
        today = in_uk_time(uow.clock.now()).date()
        day = _day(as_of, today)
        told = send_complaint_reminders(
            uow, today=day, days=days, mail=get_mail_settings(), actor=actor
        )
        uow.commit()
    for kind, count in sorted(told.by_kind.items()):
        typer.echo(f"{kind}: {count}")
    typer.echo(f"{told.total} complaint reminders ({told.undeliverable} with nobody to tell)")
