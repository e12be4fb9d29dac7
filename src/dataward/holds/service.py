"""Placing, reviewing and closing legal holds (RET-02, ERA-02). Never commits.

A hold keeps a subject's data, a case or one record, in named datasets of the register,
from deletion until it closes. A hold placed as one of the register's holds (``hold_id``)
takes its reason and what happens at closure from the register: "deleted 90 days after the
complaint is closed" is ``on_close: {restart_after: {days: 90}}``, fixed as ``release_on``
the day the hold closes. The chain gets refs and codes only.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from typing import get_args

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from dataward.audit.service import DetailValue, record_about
from dataward.calendar import add_working_days
from dataward.clock import in_uk_time
from dataward.holds.audit_actions import HOLD_CLOSED, HOLD_PLACED, HOLD_REVIEWED
from dataward.holds.errors import HoldClosed, HoldInvalid, HoldNotFound
from dataward.holds.models import LegalHold
from dataward.publication.parsed import load_version
from dataward.publication.registers import current_version
from dataward.register.models import Register
from dataward.register.models.retention import Hold, HoldReason, Offset, RestartAfter, RestartRule
from dataward.register.nation import register_nation
from dataward.subjects.models import Subject
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

SCOPES = ("subject", "case", "record")
# The register's hold reasons ("other" for a hold it does not describe).
REASONS: tuple[str, ...] = get_args(HoldReason)
MAX_REF = 120


@dataclass(frozen=True)
class NewHold:
    """What a hold sits on and why. Give ``hold_id`` (a hold of the register) or ``reason``."""

    organisation: str
    scope: str
    owner: str
    review_on: date
    hold_id: str | None = None
    reason: str | None = None
    subject_ref: str | None = None
    case_ref: str | None = None
    record_ref: str | None = None
    # Empty: every dataset the register's rules naming ``hold_id`` cover.
    datasets: tuple[str, ...] = ()
    complaint_id: str | None = None


def today_of(uow: UnitOfWork) -> date:
    return in_uk_time(uow.clock.now()).date()


def register_of(uow: UnitOfWork, organisation: str) -> Register:
    return load_version(current_version(uow, organisation)).register


def register_hold(register: Register, hold_id: str) -> Hold:
    for hold in register.holds:
        if hold.id == hold_id:
            return hold
    raise HoldInvalid(f"the register of {register.organisation} has no hold {hold_id[:80]!r}")


def held_datasets(register: Register, hold_id: str) -> list[str]:
    """The datasets the retention rules that name this hold cover, in register order."""
    covered: set[str] = set()
    for rule in register.retention_rules:
        if hold_id not in rule.holds:
            continue
        covers = rule.covers
        covered.update(covers.datasets)
        groups = set(covers.all_data_of_groups)
        if groups:
            covered.update(d.id for d in register.datasets if groups & set(d.subject_groups))
        covered.difference_update(covers.except_datasets)
    return [d.id for d in register.datasets if d.id in covered]


def on_close_kind(hold: Hold | None) -> str:
    if hold is None or hold.on_close is None:
        return "unspecified"
    if isinstance(hold.on_close, RestartAfter):
        return "restart_after"
    if isinstance(hold.on_close, RestartRule):
        return "restart_rule"
    if isinstance(hold.on_close, str):
        return hold.on_close
    return "unspecified"


def after(offset: Offset, day: date, register: Register) -> date | None:
    """The day ``offset`` after ``day``; None for "as soon as reasonably necessary"."""
    if offset.days is not None:
        return day + relativedelta(days=offset.days)
    if offset.working_days is not None:
        return add_working_days(day, offset.working_days, register_nation(register))
    if offset.months is not None:
        return day + relativedelta(months=offset.months)
    if offset.years is not None:
        return day + relativedelta(years=offset.years)
    if offset.end_of_year_plus_years is not None:
        return date(day.year + offset.end_of_year_plus_years, 12, 31)
    return None


def _check(uow: UnitOfWork, new: NewHold, register: Register) -> tuple[str, list[str], str]:
    if new.scope not in SCOPES:
        raise HoldInvalid(f"scope must be one of {', '.join(SCOPES)}")
    if new.scope == "case" and not (new.case_ref or "").strip():
        raise HoldInvalid("a hold on a case names the case")
    if new.scope == "record" and not (new.record_ref or "").strip():
        raise HoldInvalid("a hold on a record names the record")
    if new.scope == "subject" and not new.subject_ref:
        raise HoldInvalid("a hold on a subject's data names the subject")
    for name, value in (("case", new.case_ref), ("record", new.record_ref)):
        if value is not None and (len(value) > MAX_REF or "\x00" in value):
            raise HoldInvalid(f"the {name} reference must be at most {MAX_REF} plain characters")
    if not new.owner.strip() or len(new.owner) > 200:
        raise HoldInvalid("a hold has an owner who reviews it")
    if new.review_on <= today_of(uow):
        raise HoldInvalid("the review date must be after today")
    hold = register_hold(register, new.hold_id) if new.hold_id else None
    reason = new.reason or (hold.reason if hold is not None else None) or "other"
    if reason not in REASONS:
        raise HoldInvalid(f"reason must be one of {', '.join(REASONS)}")
    known = [d.id for d in register.datasets]
    datasets = list(dict.fromkeys(new.datasets))
    if not datasets and new.hold_id:
        datasets = held_datasets(register, new.hold_id)
    if not datasets:
        raise HoldInvalid("name the datasets the hold keeps")
    unknown = [d for d in datasets if d not in known]
    if unknown:
        raise HoldInvalid(f"the register has no dataset {unknown[0][:80]!r}")
    return reason, datasets, on_close_kind(hold)


def place_hold(uow: UnitOfWork, new: NewHold, *, actor: str) -> LegalHold:
    """Place a hold from today: the retention engine keeps what it covers until it closes."""
    register = register_of(uow, new.organisation)
    reason, datasets, on_close = _check(uow, new, register)
    subject_id = get_subject(uow, new.organisation, new.subject_ref).id if new.subject_ref else None
    now = uow.clock.now()
    row = LegalHold(
        id=str(uuid.uuid4()),
        ref="h_" + secrets.token_hex(8),
        organisation=new.organisation,
        hold_id=new.hold_id,
        reason=reason,
        scope=new.scope,
        subject_id=subject_id,
        case_ref=(new.case_ref or "").strip() or None,
        record_ref=(new.record_ref or "").strip() or None,
        datasets=datasets,
        owner=new.owner.strip(),
        review_on=new.review_on,
        placed_on=today_of(uow),
        on_close=on_close,
        complaint_id=new.complaint_id,
        placed_by=actor,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_hold(
        uow,
        row,
        HOLD_PLACED,
        actor=actor,
        reason=reason,
        scope=row.scope,
        datasets=",".join(datasets),
        review_on=row.review_on.isoformat(),
    )
    return row


def get_hold(uow: UnitOfWork, organisation: str, ref: str) -> LegalHold:
    row = uow.session.scalars(
        select(LegalHold).where(LegalHold.organisation == organisation, LegalHold.ref == ref)
    ).first()
    if row is None:
        raise HoldNotFound(f"no hold {ref[:32]!r} in {organisation[:80]}")
    return row


def review_hold(
    uow: UnitOfWork, organisation: str, ref: str, next_review_on: date, *, actor: str
) -> LegalHold:
    """The owner looked again and keeps the hold until the next review."""
    row = get_hold(uow, organisation, ref)
    if row.closed_on is not None:
        raise HoldClosed("the hold is closed; place a new one")
    if next_review_on <= today_of(uow):
        raise HoldInvalid("the next review date must be after today")
    row.review_on = next_review_on
    row.updated_at = uow.clock.now()
    audit_hold(uow, row, HOLD_REVIEWED, actor=actor, review_on=next_review_on.isoformat())
    return row


def close_hold(
    uow: UnitOfWork, organisation: str, ref: str, *, actor: str, on: date | None = None
) -> LegalHold:
    """Close the hold on ``on`` (today by default: a complaint closed by a letter sent
    yesterday closes its holds yesterday); with ``restart_after`` the held data waits that
    long more from that day."""
    row = get_hold(uow, organisation, ref)
    if row.closed_on is not None:
        raise HoldClosed("the hold is closed already")
    day = on or today_of(uow)
    if day > today_of(uow):
        raise HoldInvalid("a hold cannot close after today")
    # A hold placed after its complaint's closing day (by hand, later) closes when placed.
    day = max(day, row.placed_on)
    row.closed_on = day
    row.closed_by = actor
    row.updated_at = uow.clock.now()
    if row.hold_id and row.on_close == "restart_after":
        register = register_of(uow, organisation)
        restart = register_hold(register, row.hold_id).on_close
        if isinstance(restart, RestartAfter):
            row.release_on = after(restart.restart_after, day, register)
    extra = {"release_on": row.release_on.isoformat()} if row.release_on else {}
    audit_hold(
        uow, row, HOLD_CLOSED, actor=actor, on=day.isoformat(), on_close=row.on_close, **extra
    )
    return row


def close_holds_of_complaint(
    uow: UnitOfWork, complaint_id: str, *, actor: str, on: date | None = None
) -> int:
    """Closing a complaint closes the holds it placed (the hold lasted while it was open)."""
    rows = uow.session.scalars(
        select(LegalHold).where(
            LegalHold.complaint_id == complaint_id, LegalHold.closed_on.is_(None)
        )
    ).all()
    for row in rows:
        close_hold(uow, row.organisation, row.ref, actor=actor, on=on)
    return len(rows)


def holds_of_subject(uow: UnitOfWork, subject: Subject) -> list[LegalHold]:
    """Every hold on the subject's data, open ones first, newest first."""
    return list(
        uow.session.scalars(
            select(LegalHold)
            .where(LegalHold.subject_id == subject.id)
            .order_by(LegalHold.closed_on.is_not(None), LegalHold.placed_on.desc())
        )
    )


def audit_hold(
    uow: UnitOfWork, row: LegalHold, action: str, *, actor: str, **details: DetailValue
) -> None:
    record_about(uow, "hold", row, action, actor=actor, **details)
