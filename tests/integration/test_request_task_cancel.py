"""A request that ends unanswered ends its tasks: refused, withdrawn or closed as about a
person who has died, every unfinished task is cancelled with the step as its reason, in the
step's own unit of work (issue 16).

Rules: SAR-07 (the search record stays honest: nothing shows as still to search), SAR-08
(refusal), SAR-10 (deceased). The shop's register declares two datasets; the clock is 1 June
2026.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, SHOP_FILE, load_shop
from sqlalchemy import select

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.requests.errors import RequestInvalid, TransitionRefused
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.split import split_request
from dataward.requests.tasks import reason_of, record_search, tasks_of
from dataward.requests.transitions import Step, close, refuse, withdraw
from dataward.uow import UnitOfWork

JANE = Requester(name="Jane Doe", email="jane@example.com")
CASE = "user:u_case"
DATASETS = """datasets:
  - {id: crm, name: Customer records, store: database_table, entity: customer}
  - {id: paper_files, name: Paper files, store: paper, entity: customer}
"""


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow, SHOP_FILE.read_text(encoding="utf-8") + DATASETS)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _open(uow: UnitOfWork, *rights: str) -> RightsRequest:
    row = open_request(uow, NewRequest(SHOP, rights, "post", date(2026, 5, 1), JANE), actor=CASE)
    uow.commit()
    return row


def _states(uow: UnitOfWork, row: RightsRequest) -> list[str]:
    return [t.state for t in tasks_of(uow, row)]


def _cancel_audits(uow: UnitOfWork, ref: str) -> list[AuditEvent]:
    return list(
        uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_id == ref, AuditEvent.action == "request.task_cancelled")
            .order_by(AuditEvent.seq)
        )
    )


ENDS: dict[str, Callable[[UnitOfWork, str, Step], RightsRequest]] = {
    "refused": lambda u, r, s: refuse(u, SHOP, r, s, reason="manifestly_excessive"),
    "withdrawn": lambda u, r, s: withdraw(u, SHOP, r, s),
    "deceased": lambda u, r, s: close(u, SHOP, r, s, deceased=True),
}


@pytest.mark.parametrize("step", list(ENDS))
def test_it_cancels_every_open_task_when_the_request_ends(shop: UnitOfWork, step: str) -> None:
    # RULES: SAR-07, SAR-08, SAR-10
    row = _open(shop, "access")
    first = tasks_of(shop, row)[0]
    record_search(shop, SHOP, row.ref, first.id, False, "", actor=CASE)  # done stays done
    shop.commit()
    ENDS[step](shop, row.ref, Step(CASE, date(2026, 5, 20), "Repeated request"))
    shop.commit()
    tasks = tasks_of(shop, row)
    assert [t.state for t in tasks] == ["done", "cancelled", "cancelled", "cancelled"]
    cancelled = [t for t in tasks if t.state == "cancelled"]
    assert {reason_of(shop, row, t) for t in cancelled} == {step}
    assert {t.done_by for t in cancelled} == {CASE}
    audits = _cancel_audits(shop, row.ref)
    assert [a.details["task"] for a in audits] == [t.id for t in cancelled]
    assert {a.details["step"] for a in audits} == {step}
    assert all("Jane" not in str(a.details) for a in audits)
    events = shop.session.scalars(
        select(RequestEvent).where(
            RequestEvent.request_id == row.id, RequestEvent.action == "request.task_cancelled"
        )
    ).all()
    assert len(events) == 3
    assert {e.on for e in events} == {date(2026, 5, 20)}  # the step's day, not today's
    assert verify(shop.session).intact


def test_a_refused_step_cancels_nothing(shop: UnitOfWork) -> None:
    row = _open(shop, "access")
    with pytest.raises(RequestInvalid):
        refuse(
            shop, SHOP, row.ref, Step(CASE, date(2026, 5, 20)), reason="manifestly_excessive"
        )  # SAR-08: no reason
    shop.rollback()
    assert set(_states(shop, row)) == {"open"}
    assert _cancel_audits(shop, row.ref) == []


def test_cancelling_rolls_back_with_the_step(shop: UnitOfWork) -> None:
    row = _open(shop, "access")
    refuse(
        shop,
        SHOP,
        row.ref,
        Step(CASE, date(2026, 5, 20), "Excessive"),
        reason="manifestly_excessive",
    )
    assert set(_states(shop, row)) == {"cancelled"}
    shop.rollback()  # the step never committed: neither did the cancellations
    shop.session.expire_all()
    assert set(_states(shop, row)) == {"open"}
    assert _cancel_audits(shop, row.ref) == []


def test_closing_an_answered_request_or_the_split_off_one_leaves_other_tasks_alone(
    shop: UnitOfWork,
) -> None:
    row = _open(shop, "access", "erasure")
    new = split_request(shop, SHOP, row.ref, ["erasure"], Step(CASE, date(2026, 5, 10), "Apart"))
    shop.commit()
    withdraw(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 20)))
    shop.commit()
    assert set(_states(shop, row)) == {"cancelled"}
    assert set(_states(shop, new)) == {"open"}  # the split request's tasks are its own
    close(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 21)))  # closing: nothing more
    shop.commit()
    assert len(_cancel_audits(shop, row.ref)) == 4
    assert _cancel_audits(shop, new.ref) == []
    with pytest.raises(TransitionRefused):
        withdraw(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 22)))
