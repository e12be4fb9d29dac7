"""``dataward request show``: one request as a caseworker reads it, in a terminal.

The same facts as the console's request page (the clock, the tasks, the letters, the
history), read through the same services. Without ``--with-requester`` nothing personal is
printed: no name, no contact details, no words, no notes; references and codes only.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dataward.clock import in_uk_time
from dataward.requests.authority import authority_of
from dataward.requests.letters import letters_of
from dataward.requests.models import RightsRequest
from dataward.requests.queue import history, urgency
from dataward.requests.service import get_request, requester_of
from dataward.requests.tasks import tasks_of
from dataward.requests.wording import STATE_WORDS
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork


def _day(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else "-"


def _clock_lines(row: RightsRequest, today_urgency: str) -> list[tuple[str, str]]:
    paused = f"{row.paused_days} days"
    if row.paused_since is not None:
        paused += f", paused since {row.paused_since.isoformat()} (SAR-06)"
    return [
        ("Received", _day(row.received_on)),
        (
            "Clock runs from",
            _day(row.clock_starts_on)
            if row.clock_starts_on
            else "- (waiting for identity, authority or a fee: SAR-05)",
        ),
        ("Stood still", paused),
        ("Extended", "yes (SAR-04)" if row.extended else "no"),
        ("Extension notice by", _day(row.extension_notice_by)),
        ("Due", f"{_day(row.due_on)} ({today_urgency.replace('_', ' ')})"),
    ]


def print_request(
    out: Console, uow: UnitOfWork, organisation: str, ref: str, *, with_requester: bool
) -> None:
    row = get_request(uow, organisation, ref)
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    lines = [
        ("Request", f"{row.ref} ({row.organisation})"),
        ("State", f"{row.state} ({STATE_WORDS.get(row.state, row.state)})"),
        ("Outcome", row.outcome or "-"),
        ("Rights", ", ".join(row.rights)),
        ("Not offered here", ", ".join(row.not_offered) or "-"),
        ("Channel", row.channel),
        ("Requester", row.requester_kind),
        ("Subject", subject.ref if subject is not None else "- (not linked yet)"),
        ("Assignee", row.assignee or "-"),
        (
            "Identity",
            f"verified {_day(row.identity_verified_on)} by {row.identity_method}"
            if row.identity_verified_on
            else "not verified",
        ),
        *_clock_lines(row, urgency(row, uow.clock.today())),
    ]
    found = authority_of(uow, row) if row.requester_kind != "self" else None
    if found is not None:
        lines.append(
            (
                "Authority (SAR-10)",
                f"{found.evidence or '-'}: {found.outcome or 'not checked yet'}"
                + (f", asked for {_day(found.asked_on)}" if found.asked_on else ""),
            )
        )
    for name, value in lines:
        facts.add_row(name, value)
    out.print(facts)
    if with_requester:
        requester = requester_of(uow, row)
        out.print("\nRequester (personal data)", style="bold")
        for name, value in requester.as_dict().items():
            out.print(f"  {name.replace('_', ' ')}: {value}", markup=False)
    # Plain lines, not tables: nothing is cut short in a narrow terminal or a log.
    out.print("\nTasks (SAR-07)", style="bold")
    for task in tasks_of(uow, row) or []:
        done = f" by {task.done_by}" if task.done_by else ""
        out.print(f"  {task.seq}. {task.title} [{task.right}]: {task.state}{done}", markup=False)
    out.print("\nLetters", style="bold")
    for letter in letters_of(uow, row):
        status = f", {letter.message_status}" if letter.message_status else ""
        out.print(f"  {letter.title}: {letter.delivery}, {_day(letter.on)}{status}", markup=False)
    out.print("\nHistory", style="bold")
    for entry in history(uow, row):
        out.print(
            f"  {entry.seq}. {_day(entry.on)} {entry.action} "
            f"({entry.from_state or '-'} -> {entry.to_state}) by {entry.actor}, "
            f"entered {in_uk_time(entry.at).strftime('%Y-%m-%d %H:%M')} UK",
            markup=False,
        )
        if with_requester and entry.note:
            out.print(f"     note: {entry.note}", markup=False)
