"""What a retention plan reads once and every rule shares: the register, the sources file,
the day, the legal holds and restrictions in force, and the opened connectors.

The plan (``plan.py``) counts with it; the run (``run.py``) builds one per step to re-check
the holds at the moment it acts (a hold placed since the run began keeps its rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from dataward.calendar.working_days import Nation
from dataward.consent.models import Restriction
from dataward.holds.models import LegalHold
from dataward.register.models import Register
from dataward.sources.connectors import open_connector
from dataward.sources.connectors.base import Connector, IdentityValues, SourceUnavailable
from dataward.sources.models import SourcesFile
from dataward.uow import UnitOfWork

ANY_NATION = Nation.ENG
"""Only for offsets that count no working days, where the nation changes nothing."""
EVENT_PENDING = "event_pending"
"""Held label: the entity has a later event still to come (the latest of the entity)."""
RESTRICTION = "restriction"
"""Held label: a restriction in force on the row's subject, for a rule where
``restriction_is_hold`` (RES-01)."""


@dataclass(frozen=True)
class PlanContext:
    uow: UnitOfWork
    organisation: str
    register: Register
    sources: SourcesFile
    today: date
    holds: list[LegalHold]
    connectors: dict[str, Connector | SourceUnavailable]
    restricted: list[str] = field(default_factory=list)  # subject ids, a restriction in force
    # Held subjects' identity values by hold label, and the root keys they resolve to by
    # (label, connection, table, key): looked up once per plan, never per row.
    values: dict[str, IdentityValues] = field(default_factory=dict)
    root_keys: dict[tuple[str, str, str, str], list[Any]] = field(default_factory=dict)
    # Values of a trigger column that are not dates, by (connection, table, column).
    unreadable: dict[tuple[str, str, str], int | None] = field(default_factory=dict)
    # False for a run's plan: statuses and the evidence's counts only, not what only a
    # reader reads (samples, the next fortnight's dates, the SQL text), a third of its time.
    for_reader: bool = True
    # False for a run's plan: a database binding with rows to act on is not counted (its
    # record counts them when it finishes); one with none is counted, its record final.
    counts: bool = True


def plan_context(
    uow: UnitOfWork,
    organisation: str,
    register: Register,
    sources: SourcesFile,
    connectors: dict[str, Connector | SourceUnavailable],
    *,
    today: date,
    holds_on: date,
    for_reader: bool = True,
    counts: bool = True,
) -> PlanContext:
    """The context for ``today``'s cutoffs, with the legal holds placed by ``holds_on`` (a
    run resumed a day late still counts from its own day, but a hold placed since keeps)."""
    holds = list(
        uow.session.scalars(
            select(LegalHold)
            .where(LegalHold.organisation == organisation, LegalHold.placed_on <= holds_on)
            .order_by(LegalHold.placed_on, LegalHold.ref)
        )
    )
    restricted = sorted(
        set(
            uow.session.scalars(
                select(Restriction.subject_id).where(
                    Restriction.organisation == organisation,
                    Restriction.lifted_at.is_(None),
                    Restriction.started_at <= uow.clock.now(),
                )
            )
        )
    )
    return PlanContext(
        uow,
        organisation,
        register,
        sources,
        today,
        holds,
        connectors,
        restricted,
        for_reader=for_reader,
        counts=counts,
    )


def open_connectors(
    sources: SourcesFile,
    connectors: Mapping[str, Connector | SourceUnavailable] | None,
    env: Mapping[str, str] | None,
) -> tuple[dict[str, Connector | SourceUnavailable], bool]:
    """The connectors handed in, or every connection opened here (a down one as its error),
    and whether they were opened here (the caller then closes them)."""
    opened: dict[str, Connector | SourceUnavailable] = dict(connectors or {})
    if connectors is not None:
        return opened, False
    for name, connection in sources.connections.items():
        try:
            opened[name] = open_connector(name, connection, env)
        except SourceUnavailable as down:
            opened[name] = down
    return opened, True


def close_connectors(opened: Mapping[str, Connector | SourceUnavailable]) -> None:
    for connector in opened.values():
        if not isinstance(connector, SourceUnavailable):
            connector.close()
