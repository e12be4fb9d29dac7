"""The tasks a new request starts with, per right asked for. Never commits.

Every dataset the register declares gets a search task (SAR-07); those a stored sources
file binds are then searched in one go (``requests.source_search``), the rest stay to be
searched by hand. Objecting to marketing and withdrawing consent take effect at
once elsewhere, so they need no task; a right the register does not offer gets none.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from dataward.register.models import Register
from dataward.requests.models import RightsRequest
from dataward.requests.task_models import TASK_KINDS, RequestTask
from dataward.uow import UnitOfWork

SEARCH_EACH_DATASET = "manual_search"
# The kinds each right needs, in the order they are done; SEARCH_EACH_DATASET stands for
# one search per dataset of the register.
PLAN: dict[str, tuple[str, ...]] = {
    "access": (SEARCH_EACH_DATASET, "package", "notify"),
    "erasure": (SEARCH_EACH_DATASET, "plan", "execute", "notify"),
    "rectification": ("execute", "notify"),
    "restriction": ("execute", "notify"),
    # OBJ-01: applied from the request (``requests.rights_applied``), then decided.
    "objection": ("execute", "notify"),
    "portability": (SEARCH_EACH_DATASET, "package"),
    "automated_decisions": ("human_review",),
}


def new_task_id() -> str:
    return "t_" + secrets.token_hex(8)


def plan_tasks(uow: UnitOfWork, row: RightsRequest, register: Register) -> list[RequestTask]:
    """Add the tasks ``row`` needs (flushed); the caller records the request's audit."""
    now = uow.clock.now()
    tasks: list[RequestTask] = []
    for right in row.rights:
        if right in row.not_offered:
            continue
        for kind in PLAN.get(right, ()):
            datasets: Sequence[tuple[str | None, str]] = [(None, TASK_KINDS[kind])]
            if kind == SEARCH_EACH_DATASET:
                datasets = [(d.id, f"Search {d.name}") for d in register.datasets]
            for dataset, title in datasets:
                tasks.append(
                    RequestTask(
                        id=new_task_id(),
                        request_id=row.id,
                        seq=len(tasks) + 1,
                        right=right,
                        kind=kind,
                        state="open",
                        dataset=dataset,
                        title=title[:200],
                        created_at=now,
                        updated_at=now,
                    )
                )
    uow.session.add_all(tasks)
    return tasks
