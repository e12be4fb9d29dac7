"""Reading the retention runs' evidence (RET-03): the runs of an organisation, one run's
records, each table's latest record, a rule's last records.

Reads only, for the console's evidence pages, its "last run" per table and the API. The
records hold codes, counts and digests, never a value of a row (``retention.models``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select

from dataward.holds.service import today_of
from dataward.retention.errors import RetentionRunNotFound
from dataward.retention.evidence_views import Recorded, RunHistory, Target
from dataward.retention.models import RetentionEvidence, RetentionRun
from dataward.retention.run_finish import done_of
from dataward.uow import UnitOfWork

RUNS_PAGE = 50
RULE_RECORDS = 10

# Records of dataward's own data (``retention own`` through the run): rule ``own:<kind>``
# on the ``dataward`` connection.
OWN_RULE_PREFIX = "own:"
OWN_CONNECTION = "dataward"


def is_own_data(found: RetentionEvidence) -> bool:
    return found.rule.startswith(OWN_RULE_PREFIX) or found.connection == OWN_CONNECTION


def runs_of(
    uow: UnitOfWork, organisation: str, *, before: date | None = None, limit: int = RUNS_PAGE
) -> list[RetentionRun]:
    """The organisation's runs, newest first (``before``: the page after a day)."""
    query = select(RetentionRun).where(RetentionRun.organisation == organisation)
    if before is not None:
        query = query.where(RetentionRun.as_of < before)
    return list(uow.session.scalars(query.order_by(RetentionRun.as_of.desc()).limit(limit)))


def run_of(uow: UnitOfWork, run_id: str) -> RetentionRun:
    found = uow.session.get(RetentionRun, run_id[:36])
    if found is None:
        raise RetentionRunNotFound(f"no retention run {run_id[:36]!r}")
    return found


def latest_day(uow: UnitOfWork, organisation: str) -> date | None:
    """The day of the organisation's latest run, if it ever ran."""
    return uow.session.scalar(
        select(func.max(RetentionRun.as_of)).where(RetentionRun.organisation == organisation)
    )


def latest_records(uow: UnitOfWork, organisation: str) -> dict[Target, Recorded]:
    """Each table's record in the organisation's latest run that has one: one grouped
    query for the days, one for the records (a run per day, so the day finds the run)."""
    e, r = RetentionEvidence, RetentionRun
    days = (
        select(
            e.rule,
            e.dataset,
            e.connection,
            e.table.label("table_name"),
            func.max(r.as_of).label("day"),
        )
        .join(r, r.id == e.run_id)
        .where(r.organisation == organisation, e.connection != "")
        .group_by(e.rule, e.dataset, e.connection, e.table)
        .subquery()
    )
    rows = uow.session.execute(
        select(e, r)
        .join(r, r.id == e.run_id)
        .join(
            days,
            and_(
                days.c.rule == e.rule,
                days.c.dataset == e.dataset,
                days.c.connection == e.connection,
                days.c.table_name == e.table,
                days.c.day == r.as_of,
            ),
        )
        .where(r.organisation == organisation)
    ).all()
    return {(f.rule, f.dataset, f.connection, f.table): (f, run) for f, run in rows}


def rule_records(
    uow: UnitOfWork, organisation: str, rule: str, *, limit: int = RULE_RECORDS
) -> list[Recorded]:
    """A rule's latest evidence records, newest run first, in each run's plan order."""
    rows = uow.session.execute(
        select(RetentionEvidence, RetentionRun)
        .join(RetentionRun, RetentionRun.id == RetentionEvidence.run_id)
        .where(RetentionRun.organisation == organisation, RetentionEvidence.rule == rule)
        .order_by(RetentionRun.as_of.desc(), RetentionEvidence.seq)
        .limit(limit)
    ).all()
    return [(found, run) for found, run in rows]


def run_history(uow: UnitOfWork, organisation: str) -> RunHistory:
    """Each table's latest record, the latest run's day and today (``uow.clock``)."""
    latest = latest_records(uow, organisation)
    done = done_of(uow, latest.values())
    return RunHistory(latest, latest_day(uow, organisation), today_of(uow), done)
