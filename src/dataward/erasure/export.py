"""An erasure's columns of the request log (ERA-03: the proof is exported with the request).

The request log lives in ``requests.export``, which must not know erasure: these columns
are handed to it by the wiring (``dataward.request_logs``). Codes, counts, dates and the
evidence as data (key digests, never a value of a row). Never writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import select

from dataward.erasure.evidence import evidence_export
from dataward.erasure.models import SUPERSEDED, ErasureGround, ErasurePlan
from dataward.requests.export import LogColumns
from dataward.requests.models import RightsRequest
from dataward.uow import UnitOfWork

NAMES = (
    "erasure_ground",
    "erasure_plan",
    "erasure_state",
    "erasure_rows_erased",
    "erasure_rows_kept",
    "erasure_files_erased",
    "erasure_finished_at",
    "erasure_shredded",
    "erasure_evidence",
)


def erasure_cells(uow: UnitOfWork, rows: Sequence[RightsRequest]) -> Mapping[str, Sequence[object]]:
    """For each erasure request of the batch: its ground, its current plan and, once done,
    the evidence as JSON (one object per dataset and binding)."""
    ids = [row.id for row in rows if "erasure" in row.rights]
    if not ids:
        return {}
    grounds = {
        g.request_id: g.ground
        for g in uow.session.scalars(select(ErasureGround).where(ErasureGround.request_id.in_(ids)))
    }
    plans: dict[str, ErasurePlan] = {}
    for made in uow.session.scalars(
        select(ErasurePlan)
        .where(ErasurePlan.request_id.in_(ids), ErasurePlan.state != SUPERSEDED)
        .order_by(ErasurePlan.created_at)
    ):
        plans[made.request_id] = made  # the newest last
    found: dict[str, list[object]] = {}
    for request_id in ids:
        ground = grounds.get(request_id)
        if request_id not in plans:
            found[request_id] = [ground, *[None] * (len(NAMES) - 1)]
            continue
        plan = plans[request_id]
        evidence = evidence_export(uow, plan)
        found[request_id] = [
            ground,
            plan.id,
            plan.state,
            plan.rows_erased,
            plan.rows_kept,
            plan.files_erased,
            plan.finished_at.isoformat() if plan.finished_at else None,
            "yes" if plan.shredded else "no",
            json.dumps(evidence, separators=(",", ":"), sort_keys=True) if evidence else None,
        ]
    return found


ERASURE_LOG_COLUMNS = LogColumns(NAMES, erasure_cells)
