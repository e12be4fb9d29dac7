"""The evidence's counts of a database binding, taken when its record finishes (RET-03).

A run does not count a binding's rows before acting on them: that was a pass over its due
rows with every hold looked up per row, as long as the acting itself. Its plan only asks
whether there is a row to act on (``plan_retention(counts=False)``); when the record
finishes, the rows still due are counted, grouped by the holds keeping them. After a
delete or an anonymisation the rows acted on are no longer due, so what is left is the
held rows (and a row due but not acted on: one held when chosen and released since, or
one come due in the source meanwhile); the record's ``due`` (rows to act on) is the rows
acted on and the unheld ones left. A review changes nothing: its flagged rows are still
due, and are the unheld ones left.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from dataward.retention import sql_queries
from dataward.retention.batches import Change
from dataward.retention.models import RetentionEvidence, RetentionRun
from dataward.retention.plan_types import Conditions
from dataward.sources.connectors.base import SourceMisfit, SourceUnavailable
from dataward.sources.connectors.sql import SqlConnector


def count_left(
    connector: SqlConnector, conditions: Conditions
) -> tuple[int, dict[str, int], int] | None:
    """Rows due, due rows each hold keeps, due rows any hold keeps; None when the source
    cannot answer (it went away, or refuses the query)."""
    try:
        return sql_queries.counts(connector, conditions.target, conditions.due, conditions.held)
    except (SourceUnavailable, SourceMisfit, sa_exc.SQLAlchemyError):
        return None


def finish_counts(
    run: RetentionRun,
    found: RetentionEvidence,
    connector: SqlConnector | None,
    conditions: Conditions | None,
    change: Change,
) -> None:
    """A finishing record's ``due`` and ``held``, counted now, added to the run's rows to
    act on. A source that cannot answer leaves ``due`` the rows acted on and no holds."""
    left = None
    if connector is not None and conditions is not None:
        left = count_left(connector, conditions)
    if left is None:
        found.due = found.rows
    else:
        due, held, held_any = left
        found.held = held
        unheld = due - held_any
        found.due = max(found.rows, unheld) if change.review else found.rows + unheld
    run.to_act_on += found.due
