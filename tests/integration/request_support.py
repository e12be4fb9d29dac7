"""Shared steps for tests of rights requests."""

from __future__ import annotations

from dataward.requests.service import get_request
from dataward.requests.tasks import (
    APPLIED_THROUGH_CONSENT,
    finish_task,
    holding_up_response,
    not_needed,
    record_search,
)
from dataward.uow import UnitOfWork


def finish_tasks(uow: UnitOfWork, organisation: str, ref: str, actor: str = "user:u_case") -> int:
    """SAR-07: search every dataset (nothing found) and finish every other task that holds
    up the response, as a caseworker would before answering; a restriction or objection,
    done only by applying it (``requests.rights_applied``), is set aside. Returns how many
    were done."""
    tasks = holding_up_response(uow, get_request(uow, organisation, ref))
    for task in tasks:
        if task.kind == "manual_search":
            record_search(uow, organisation, ref, task.id, False, "", actor=actor)
        elif task.kind == "execute" and task.right in APPLIED_THROUGH_CONSENT:
            not_needed(uow, organisation, ref, task.id, "Not applied in this test.", actor=actor)
        else:
            finish_task(uow, organisation, ref, task.id, "", actor=actor)
    return len(tasks)
