"""Shared set-up of the complaint figures and reminders tests: the corner shop with or
without an outcome target, and complaints opened and moved on explicit days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from consent_support import SHOP, SHOP_FILE, load_shop

from dataward.clock import FixedClock
from dataward.complaints.models import Complaint
from dataward.complaints.service import Complainant, NewComplaint, open_complaint
from dataward.complaints.steps import Step, acknowledge, close
from dataward.uow import UnitOfWork

ANN = Complainant(
    name="Ann Smith",
    email="ann.smith@example.com",
    words="You sent my letter to my neighbour.",
)
CASE = "user:u_case"
ROUTE = (
    'complaints: {ico_url: "https://ico.org.uk/make-a-complaint/", '
    'statement: "You can complain to the ICO."}'
)


def shop_register(outcome_days: int | None = None) -> str:
    """The corner shop's register; with ``outcome_days`` it promises the outcome in them."""
    source = SHOP_FILE.read_text(encoding="utf-8")
    if outcome_days is None:
        return source
    assert ROUTE in source
    return source.replace(
        ROUTE, ROUTE.removesuffix("}") + f", outcome_within_days: {outcome_days}}}"
    )


def set_up_shop(uow: UnitOfWork, clock: FixedClock, today: date, outcome_days: int | None) -> None:
    load_shop(uow, shop_register(outcome_days))
    uow.commit()
    clock.set(datetime(today.year, today.month, today.day, 9, 0, tzinfo=UTC))


def open_on(
    uow: UnitOfWork,
    received: date,
    *,
    theme: str | None = None,
    channel: str = "post",
    who: Complainant = ANN,
) -> Complaint:
    new = NewComplaint(SHOP, channel, received, who, "self", None, theme)
    row = open_complaint(uow, new, actor=CASE)
    uow.commit()
    return row


def acknowledge_on(uow: UnitOfWork, row: Complaint, day: date) -> None:
    acknowledge(uow, SHOP, row.ref, Step(CASE, day))
    uow.commit()


def close_on(uow: UnitOfWork, row: Complaint, day: date, outcome: str = "upheld") -> None:
    close(uow, SHOP, row.ref, outcome, "We looked into it and you were right.", Step(CASE, day))
    uow.commit()
