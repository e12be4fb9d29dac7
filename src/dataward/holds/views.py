"""Holds as the console shows them: the list (review due first) and what closing one does.

Reads only. The register gives the datasets' names and what happens when a hold closes
(its ``on_close``): the confirmation before closing says it in words and with the date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select

from dataward.complaints.models import Complaint
from dataward.errors import DatawardError
from dataward.holds.models import LegalHold
from dataward.holds.service import after, register_hold, register_of
from dataward.register.models import Register
from dataward.register.models.retention import Offset, RestartAfter
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

STATES = ("open", "closed")


@dataclass(frozen=True)
class HoldView:
    """One hold with what its row only points at: the subject's and complaint's refs, the
    register's names of its datasets and hold, whether its review is overdue."""

    hold: LegalHold
    subject_ref: str | None
    complaint_ref: str | None
    dataset_names: list[tuple[str, str]]
    hold_name: str | None
    review_due: bool


@dataclass(frozen=True)
class HoldPage:
    rows: list[HoldView]
    total: int
    offset: int
    limit: int
    counts: dict[str, int] = field(default_factory=dict)


def _register(
    uow: UnitOfWork, organisation: str, cache: dict[str, Register | None]
) -> Register | None:
    if organisation not in cache:
        try:
            cache[organisation] = register_of(uow, organisation)
        except DatawardError:  # the organisation's register was withdrawn: ids only
            cache[organisation] = None
    return cache[organisation]


def _views(
    uow: UnitOfWork, rows: list[tuple[LegalHold, str | None, str | None]], today: date
) -> list[HoldView]:
    registers: dict[str, Register | None] = {}
    views = []
    for hold, subject_ref, complaint_ref in rows:
        register = _register(uow, hold.organisation, registers)
        names = {d.id: d.name for d in register.datasets} if register else {}
        hold_name = None
        if register is not None and hold.hold_id:
            hold_name = next((h.name for h in register.holds if h.id == hold.hold_id), None)
        views.append(
            HoldView(
                hold=hold,
                subject_ref=subject_ref,
                complaint_ref=complaint_ref,
                dataset_names=[(d, names.get(d, d)) for d in hold.datasets],
                hold_name=hold_name,
                review_due=hold.closed_on is None and hold.review_on <= today,
            )
        )
    return views


def _joined() -> Select[tuple[LegalHold, str, str]]:
    return (
        select(LegalHold, Subject.ref, Complaint.ref)
        .outerjoin(Subject, Subject.id == LegalHold.subject_id)
        .outerjoin(Complaint, Complaint.id == LegalHold.complaint_id)
    )


def list_holds(
    uow: UnitOfWork,
    today: date,
    *,
    organisation: str | None = None,
    state: str = "open",
    offset: int = 0,
    limit: int = 50,
) -> HoldPage:
    """Open holds, the review due soonest first (overdue ones lead); or closed ones, the
    latest closed first. Counts of open, review-due and closed holds for the filters."""
    where = [LegalHold.organisation == organisation] if organisation else []
    is_open = LegalHold.closed_on.is_(None)
    query = _joined().where(*where)
    if state == "closed":
        query = query.where(LegalHold.closed_on.is_not(None)).order_by(
            LegalHold.closed_on.desc(), LegalHold.ref
        )
    else:
        query = query.where(is_open).order_by(
            LegalHold.review_on, LegalHold.placed_on, LegalHold.ref
        )
    rows = [
        (hold, subject_ref, complaint_ref)
        for hold, subject_ref, complaint_ref in uow.session.execute(
            query.offset(offset).limit(limit)
        )
    ]
    open_count, due_count, closed_count = uow.session.execute(
        select(
            func.count().filter(is_open),
            func.count().filter(is_open, LegalHold.review_on <= today),
            func.count().filter(LegalHold.closed_on.is_not(None)),
        ).where(*where)
    ).one()
    counts = {"open": open_count, "review_due": due_count, "closed": closed_count}
    total = counts["closed"] if state == "closed" else counts["open"]
    return HoldPage(
        rows=_views(uow, rows, today),
        total=total,
        offset=offset,
        limit=limit,
        counts=counts,
    )


def hold_view(uow: UnitOfWork, hold: LegalHold, today: date) -> HoldView:
    subject = uow.session.get(Subject, hold.subject_id) if hold.subject_id else None
    complaint = uow.session.get(Complaint, hold.complaint_id) if hold.complaint_id else None
    row = (hold, subject.ref if subject else None, complaint.ref if complaint else None)
    return _views(uow, [row], today)[0]


def holds_on_subject(uow: UnitOfWork, subject: Subject, today: date) -> list[HoldView]:
    """The subject page's "Legal holds": every hold on the subject, open ones first."""
    from dataward.holds.service import holds_of_subject

    rows = holds_of_subject(uow, subject)
    complaints = {
        c.id: c.ref
        for c in uow.session.scalars(
            select(Complaint).where(
                Complaint.id.in_([h.complaint_id for h in rows if h.complaint_id])
            )
        )
    }
    return _views(
        uow, [(h, subject.ref, complaints.get(h.complaint_id or "")) for h in rows], today
    )


def _period(offset: Offset) -> str:
    for name, unit in (
        ("days", "day"),
        ("working_days", "working day"),
        ("months", "month"),
        ("years", "year"),
    ):
        value = getattr(offset, name)
        if value is not None:
            return f"{value} {unit}{'' if value == 1 else 's'}"
    if offset.end_of_year_plus_years is not None:
        return f"to the end of the year plus {offset.end_of_year_plus_years} years"
    return "as soon as reasonably necessary"


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def what_closing_does(uow: UnitOfWork, hold: LegalHold, on: date) -> list[str]:
    """What happens to the held data if the hold closes on ``on``, from the register."""
    lines: list[str] = []
    register = None
    restart = None
    if hold.hold_id:
        try:
            register = register_of(uow, hold.organisation)
            restart = register_hold(register, hold.hold_id).on_close
        except DatawardError:
            register = None
    if hold.on_close == "restart_after" and register and isinstance(restart, RestartAfter):
        release = after(restart.restart_after, on, register)
        period = _period(restart.restart_after)
        if release is None:
            lines.append(
                "The register says the held data is deleted as soon as reasonably necessary "
                "after the hold closes."
            )
        else:
            lines.append(
                f"The register says the held data is deleted {period} after closure: "
                f"on {_day(release)} (RET-02)."
            )
    elif hold.on_close == "restart_rule":
        lines.append(
            "The register says the retention rule starts again: each rule's own period runs "
            f"from the closure day, {_day(on)}."
        )
    elif hold.on_close == "keep":
        lines.append(
            "The register says the held data is kept: closing the hold does not make it deletable."
        )
    else:
        source = "The register gives" if hold.hold_id else "Placed by hand, the hold has"
        lines.append(
            f"{source} no period after closure: the retention rules resume with their "
            f"own dates, and data already past its date may be deleted from {_day(on)}."
        )
    lines.append("The hold cannot be reopened; place a new one if it is needed again.")
    return lines
