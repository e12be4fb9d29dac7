"""The retention runs' evidence in words (RET-03): what a record did, a table's last run, and
whether rows still to act on are overdue or wait for the day's run.

Pure: it reads records already loaded (``retention.evidence``) and the plan's counts. Codes,
counts and days only, never a value of a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dataward.register.wording import uk_date
from dataward.retention.models import DONE, FLAGGED, OPEN, RetentionEvidence, RetentionRun

# A record's target: the rule on one table of one dataset (rule, dataset, connection, table).
Target = tuple[str, str, str, str]
Recorded = tuple[RetentionEvidence, RetentionRun]

NOT_RUN_YET = "not run yet: no retention run has acted on this table"

# What a finished record did to its rows, by the rule's action.
_VERBS = {
    "delete": "deleted",
    "destroy": "deleted",
    "anonymise": "anonymised",
    "anonymise_or_destroy": "erased",
    "review": "flagged for review",
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def did_words(
    status: str, action: str, rows: int, files: int, reason: str, done: str | None = None
) -> str:
    """One record in words: "deleted 2 rows and 2 files", "anonymised 2 rows; deleted 2
    files", "waits: source ops cannot be reached", "running: 3 rows so far". ``done`` is what
    acting did to the rows (``run_finish.done_of``): a rule that says delete anonymises
    where the sources file says so, and the rows stay."""
    if status == OPEN:
        return f"running: {_count(rows, 'row')} so far"
    if status in (DONE, FLAGGED):
        if rows == 0 and files == 0:
            return reason or "nothing to act on"
        verb = "flagged for review" if status == FLAGGED else (done or _VERBS.get(action))
        verb = verb or "acted on"
        what = _count(rows, "row")
        if files:
            joined = " and " if verb == "deleted" else "; deleted "
            what += joined + _count(files, "file")
        return f"{verb} {what}"
    said = status.replace("_", " ")
    return f"{said}: {reason}" if reason else said


@dataclass(frozen=True)
class LastRun:
    """A table's latest evidence record, with its run's day (RET-03)."""

    run_id: str
    day: date
    at: datetime  # when the record was final; while it is open, when its run started
    status: str
    action: str
    rows: int
    files: int
    reason: str
    held: tuple[tuple[str, int], ...] = ()  # (the hold in words, due rows it kept)
    done: str | None = None  # what acting did to the rows (deleted, anonymised...)

    @property
    def did(self) -> str:
        return did_words(self.status, self.action, self.rows, self.files, self.reason, self.done)

    @property
    def acted_on(self) -> int:
        return self.rows


def last_run_of(
    found: RetentionEvidence,
    run: RetentionRun,
    hold_words: Callable[[str], str] = str,
    done: str | None = None,
) -> LastRun:
    return LastRun(
        run_id=run.id,
        day=run.as_of,
        at=found.at or run.started_at,
        status=found.status,
        action=found.action,
        rows=found.rows,
        files=found.files,
        reason=found.reason,
        held=tuple((hold_words(label), n) for label, n in sorted(found.held.items()) if n),
        done=done,
    )


def held_text(held: Mapping[str, int]) -> str:
    """The planned holds of a record as labels and counts: "complaint_on_case: 1"."""
    return "; ".join(f"{label}: {n}" for label, n in sorted(held.items()) if n)


@dataclass(frozen=True)
class RunHistory:
    """What the organisation's runs did, as the plan's views need it: each table's latest
    record, the day of the latest run, and today."""

    latest: Mapping[Target, Recorded]
    day: date | None
    today: date
    done: Mapping[str, str] = field(default_factory=dict)  # record id -> what acting did


@dataclass(frozen=True)
class Standing:
    """Rows due and not held on a table, against its runs: ``overdue`` says why a run of
    that day or earlier should have taken them; else ``note`` says why none has yet."""

    overdue: str = ""
    note: str = ""


def standing_of(
    to_act_on: int,
    last: LastRun | None,
    *,
    as_of: date,
    today: date,
    org_day: date | None,
) -> Standing:
    """Overdue, with why: the last run waited or skipped the table (its reason), no run
    since a day before yesterday, or none ever; not overdue: due today and the day's run is
    still to come (or under way), flagged for review, or due since today's run."""
    if not to_act_on:
        return Standing()
    if as_of > today:
        return Standing(note=f"a look ahead: the daily runs until {uk_date(as_of)} take them")
    if last is None:
        if org_day is not None and org_day >= today:
            return Standing(overdue="not in today's run: no retention run has acted on this table")
        return Standing(overdue=NOT_RUN_YET)
    ran = uk_date(last.day)
    if last.status == OPEN:
        return Standing(note=f"the run of {ran} is acting on them now")
    if last.status == FLAGGED:
        return Standing(note=f"flagged for review by the run of {ran}")
    if last.status != DONE:
        return Standing(overdue=f"{last.did} (the run of {ran})")
    if last.day >= today:
        return Standing(note="due since today's run planned: the next run takes them")
    if org_day is not None and org_day >= today:
        return Standing(overdue=f"not in today's run: last run on {ran}")
    if last.day == today - timedelta(days=1):
        return Standing(note="due today: today's run has not happened yet")
    return Standing(overdue=f"not run since {ran}")
