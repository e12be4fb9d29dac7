"""What the retention engine asks of legal holds (RET-02, ERA-02). Reads only; never commits.

The questions:

* ``holds_in_force``: which holds are open on a day over one record of a dataset. A hold on
  a subject covers every record of that subject, a hold on a case every record of the case,
  a hold on a record that record; and only in the datasets the hold names.
* ``case_holds_in_force``: the same for many cases at once (the erasure survey's batch).
* ``deletable_on``: given the day a retention rule makes a record due and the holds that
  covered it, the first day it may go (None: not while a hold is open, or never).

``deletable_dates`` answers the second question for many records at once, in one query per
30,000 distinct subjects, cases and records (one query for a batch of 10,000 records).

What happens when a hold closes comes from the register (``LegalHold.on_close``):

* ``restart_after``: the data waits the register's period after the closure; the service
  fixed that day as ``release_on`` when the hold closed ("deleted 90 days after the
  complaint is closed"). A period given as "as soon as reasonably necessary" has no
  ``release_on``: the data may go from the closure day.
* ``restart_rule``: the rule's clock starts again, as if its trigger event happened on the
  closure day: the record is due the rule's own offset after the closure day (a 90-day rule
  and a hold closed on 1 June: 30 August). The caller gives that as ``restart`` (see
  ``restart_of``); without it, or where the rule gives no period to count, the record is
  kept: the engine must not guess a date.
* ``resume`` and ``unspecified`` (the register is silent): the rule resumes with its own
  date. No period is added; but nothing held could have gone while the hold was open, so a
  rule date that fell inside the hold becomes the closure day.
* ``keep``: never deleted by the rule.

A hold counts for a record when it was in force on or after the day the rule made the
record due: it is open, or it closed on or after that day. A hold that closed before the
record was due held nothing back and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from sqlalchemy import ARRAY, ColumnElement, String, and_, any_, bindparam, false, or_, select

from dataward.holds.models import LegalHold
from dataward.holds.service import after
from dataward.register.models import Register
from dataward.register.models.retention import Offset, RetentionRule
from dataward.uow import UnitOfWork

# Bound parameters per query: under SQLite's 32,766 and PostgreSQL's 65,535.
MAX_PARAMETERS = 30_000

Restart = Callable[[date], date | None]


class HoldState(Protocol):
    """What ``deletable_on`` reads of a hold."""

    @property
    def closed_on(self) -> date | None: ...

    @property
    def on_close(self) -> str: ...

    @property
    def release_on(self) -> date | None: ...


@dataclass(frozen=True)
class HeldRecord:
    """One record the retention engine asks about, and the day its rule makes it due."""

    dataset: str
    rule_due: date
    subject_id: str | None = None
    case_ref: str | None = None
    record_ref: str | None = None
    # For holds that restart the rule: the record's due day counted from a closure day.
    restart: Restart | None = None


def covers(
    hold: LegalHold,
    dataset: str,
    *,
    subject_id: str | None = None,
    case_ref: str | None = None,
    record_ref: str | None = None,
) -> bool:
    """Whether the hold sits on this record of this dataset (by its scope)."""
    if dataset not in hold.datasets:
        return False
    if hold.scope == "subject":
        return subject_id is not None and hold.subject_id == subject_id
    if hold.scope == "case":
        return case_ref is not None and hold.case_ref == case_ref
    if hold.scope == "record":
        return record_ref is not None and hold.record_ref == record_ref
    return False


def _scope_clause(
    subject_ids: Iterable[str],
    case_refs: Iterable[str],
    record_refs: Iterable[str],
    *,
    arrays: bool = False,
) -> ColumnElement[bool]:
    """Holds whose scope key is among these. With ``arrays`` (PostgreSQL), each list goes as
    one array parameter (``= ANY(...)``) instead of one parameter per value."""
    parts: list[ColumnElement[bool]] = []
    for scope, column, values in (
        ("subject", LegalHold.subject_id, list(subject_ids)),
        ("case", LegalHold.case_ref, list(case_refs)),
        ("record", LegalHold.record_ref, list(record_refs)),
    ):
        if not values:
            continue
        if arrays:
            listed = column == any_(bindparam(f"{scope}_keys", values, type_=ARRAY(String())))
        else:
            listed = column.in_(values)
        parts.append(and_(LegalHold.scope == scope, listed))
    return or_(*parts) if parts else false()


def holds_in_force(
    uow: UnitOfWork,
    organisation: str,
    dataset: str,
    *,
    subject_id: str | None = None,
    case_ref: str | None = None,
    record_ref: str | None = None,
    on: date,
) -> list[LegalHold]:
    """The holds open on ``on`` over this record of ``dataset``, oldest first. One query.

    Open on a day: placed on or before it and not closed by then (a hold closed that day is
    no longer in force; what follows its closure is ``deletable_on``'s question).
    """
    return [
        row
        for row in open_holds(
            uow,
            organisation,
            subject_id=subject_id,
            case_ref=case_ref,
            record_ref=record_ref,
            on=on,
        )
        if covers(row, dataset, subject_id=subject_id, case_ref=case_ref, record_ref=record_ref)
    ]


def open_holds(
    uow: UnitOfWork,
    organisation: str,
    *,
    subject_id: str | None = None,
    case_ref: str | None = None,
    record_ref: str | None = None,
    on: date,
) -> list[LegalHold]:
    """The holds open on ``on`` with this scope key, over any dataset, oldest first (one
    query): a caller asking about many datasets filters with ``covers`` itself."""
    rows = uow.session.scalars(
        select(LegalHold)
        .where(
            LegalHold.organisation == organisation,
            LegalHold.placed_on <= on,
            or_(LegalHold.closed_on.is_(None), LegalHold.closed_on > on),
            _scope_clause(
                [subject_id] if subject_id else [],
                [case_ref] if case_ref else [],
                [record_ref] if record_ref else [],
            ),
        )
        .order_by(LegalHold.placed_on, LegalHold.ref)
    )
    return list(rows)


def case_holds_in_force(
    uow: UnitOfWork, organisation: str, case_refs: Iterable[str], *, on: date
) -> list[LegalHold]:
    """The case-scope holds open on ``on`` on any of these cases, oldest first: one query
    per 30,000 distinct references (the erasure survey asks for a batch of rows at once).
    Which datasets each keeps is the caller's question (``covers``)."""
    refs = sorted(set(case_refs))
    arrays = uow.session.get_bind().dialect.name == "postgresql"
    found: list[LegalHold] = []
    for start in range(0, len(refs), MAX_PARAMETERS):
        found.extend(
            uow.session.scalars(
                select(LegalHold).where(
                    LegalHold.organisation == organisation,
                    LegalHold.placed_on <= on,
                    or_(LegalHold.closed_on.is_(None), LegalHold.closed_on > on),
                    _scope_clause([], refs[start : start + MAX_PARAMETERS], [], arrays=arrays),
                )
            )
        )
    return sorted(found, key=lambda h: (h.placed_on, h.ref))


def deletable_on(
    rule_due: date, holds: Iterable[HoldState], *, restart: Restart | None = None
) -> date | None:
    """The first day a record due on ``rule_due`` may be deleted, given the holds over it.

    None while any of the holds is open, for a ``keep`` hold, and for a ``restart_rule``
    hold without ``restart`` (or whose rule gives no period). Otherwise the latest of
    ``rule_due`` and each counting hold's release day (see the module's docstring).
    """
    day = rule_due
    for hold in holds:
        closed = hold.closed_on
        if closed is None:
            return None
        if closed < rule_due:
            continue
        if hold.on_close == "keep":
            return None
        if hold.on_close == "restart_after":
            release = hold.release_on or closed
        elif hold.on_close == "restart_rule":
            restarted = restart(closed) if restart is not None else None
            if restarted is None:
                return None
            release = restarted
        else:
            # resume / unspecified: the rule's own date, not before the hold let go.
            release = closed
        day = max(day, release)
    return day


def restart_of(rule: RetentionRule, register: Register) -> Restart | None:
    """For ``HeldRecord.restart``: the rule's offset counted from a closure day.

    None where the rule has no period to count (unspecified, or "as soon as reasonably
    necessary" with no fixed length): such a record stays held until someone decides.
    """
    offset = rule.offset
    if not isinstance(offset, Offset):
        return None

    def restarted(day: date) -> date | None:
        return after(offset, day, register)

    return restarted


class _Row(Protocol):
    """What matching a hold to a record reads (a ``LegalHold`` or a row of its columns)."""

    @property
    def id(self) -> str: ...

    @property
    def scope(self) -> str: ...

    @property
    def subject_id(self) -> str | None: ...

    @property
    def case_ref(self) -> str | None: ...

    @property
    def record_ref(self) -> str | None: ...

    @property
    def datasets(self) -> list[str]: ...

    @property
    def closed_on(self) -> date | None: ...


R = TypeVar("R", bound=_Row)


def _where(
    uow: UnitOfWork,
    organisation: str,
    on: date,
    earliest: date,
    refs: tuple[set[str], set[str], set[str]],
) -> list[ColumnElement[bool]]:
    subjects, cases, records = refs
    arrays = uow.session.get_bind().dialect.name == "postgresql"
    return [
        LegalHold.organisation == organisation,
        LegalHold.placed_on <= on,
        or_(LegalHold.closed_on.is_(None), LegalHold.closed_on >= earliest),
        _scope_clause(sorted(subjects), sorted(cases), sorted(records), arrays=arrays),
    ]


def _match(records: Sequence[HeldRecord], chunks: Iterable[Iterable[R]]) -> list[list[R]]:
    """Each record's holds among those fetched: its scope keys, its dataset, its due day."""
    by_key: dict[tuple[str, str], list[R]] = defaultdict(list)
    seen: set[str] = set()
    for rows in chunks:
        for row in rows:
            if row.id in seen:
                continue
            seen.add(row.id)
            key = {"subject": row.subject_id, "case": row.case_ref, "record": row.record_ref}
            value = key.get(row.scope)
            if value is not None:
                by_key[(row.scope, value)].append(row)
    answers: list[list[R]] = []
    for item in records:
        found: list[R] = []
        for scope, value in (
            ("subject", item.subject_id),
            ("case", item.case_ref),
            ("record", item.record_ref),
        ):
            if value is None:
                continue
            found.extend(
                h
                for h in by_key.get((scope, value), ())
                if item.dataset in h.datasets
                and (h.closed_on is None or h.closed_on >= item.rule_due)
            )
        answers.append(found)
    return answers


def holds_over(
    uow: UnitOfWork, organisation: str, records: Sequence[HeldRecord], *, on: date
) -> list[list[LegalHold]]:
    """For each record, the holds placed by ``on`` that count for it (open, or closed on or
    after its rule's due day), in one query per chunk of distinct references."""
    if not records:
        return []
    earliest = min(r.rule_due for r in records)
    return _match(
        records,
        (
            uow.session.scalars(
                select(LegalHold).where(*_where(uow, organisation, on, earliest, refs))
            )
            for refs in _chunk_sets(records)
        ),
    )


def _chunk_sets(records: Sequence[HeldRecord]) -> list[tuple[set[str], set[str], set[str]]]:
    chunks: list[tuple[set[str], set[str], set[str]]] = []
    subjects: set[str] = set()
    cases: set[str] = set()
    refs: set[str] = set()
    for item in records:
        for bucket, value in (
            (subjects, item.subject_id),
            (cases, item.case_ref),
            (refs, item.record_ref),
        ):
            if value is not None:
                bucket.add(value)
        if len(subjects) + len(cases) + len(refs) >= MAX_PARAMETERS - 3:
            chunks.append((subjects, cases, refs))
            subjects, cases, refs = set(), set(), set()
    if subjects or cases or refs:
        chunks.append((subjects, cases, refs))
    return chunks


# The columns the batch question reads: no ORM objects for thousands of holds.
_COLUMNS = (
    LegalHold.id,
    LegalHold.scope,
    LegalHold.subject_id,
    LegalHold.case_ref,
    LegalHold.record_ref,
    LegalHold.datasets,
    LegalHold.closed_on,
    LegalHold.on_close,
    LegalHold.release_on,
)


def deletable_dates(
    uow: UnitOfWork, organisation: str, records: Sequence[HeldRecord], *, on: date
) -> list[date | None]:
    """``deletable_on`` for each record, in order: the retention engine's batch question.

    One query per 30,000 distinct references (one for 10,000 records), reading only the
    columns the answer needs."""
    if not records:
        return []
    earliest = min(r.rule_due for r in records)
    chunks = (
        uow.session.execute(select(*_COLUMNS).where(*_where(uow, organisation, on, earliest, refs)))
        for refs in _chunk_sets(records)
    )
    matched = _match(records, chunks)
    return [
        deletable_on(item.rule_due, held, restart=item.restart)
        for item, held in zip(records, matched, strict=True)
    ]
