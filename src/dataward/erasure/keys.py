"""A step's planned key digests (``erasure_step_keys``), written and read a batch at a time.

Each call binds a whole batch as one JSON list (``db.values_table``): one statement text
whatever the batch's length, unpacked by the server, so a million digests cost a few
hundred statements, never a parameter per digest; the list is the outer loop (``CROSS
JOIN``), so each digest is one seek in the primary key. Never commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from itertools import groupby
from operator import itemgetter

from sqlalchemy import and_, or_, select, text

from dataward.db import list_param, values_table
from dataward.erasure.models import ErasureStep, ErasureStepKey
from dataward.uow import UnitOfWork

PAGE = 20_000
"""Digests read at a time when the evidence digests a step's keys."""


def _dialect(uow: UnitOfWork) -> str:
    return uow.session.get_bind().dialect.name


def add_keys(uow: UnitOfWork, step: ErasureStep, digests: Iterable[str]) -> None:
    """Record these digests as rows the step erases."""
    listed = list_param(digests)
    uow.session.execute(
        text(
            "INSERT INTO erasure_step_keys (step_id, digest, held) "  # noqa: S608 - constant
            f"SELECT :step, v.value, :held FROM {values_table(_dialect(uow), 'digests')}"
        ),
        {"step": step.id, "held": False, "digests": listed},
    )


def planned_among(uow: UnitOfWork, step: ErasureStep, digests: Iterable[str]) -> set[str]:
    """Which of ``digests`` the step erases (held or not)."""
    # ``all()``: one fetch for the batch; iterating the result fetched a row per call, and
    # that was most of the comparison's time.
    return set(
        uow.session.scalars(
            text(
                f"SELECT k.digest FROM {values_table(_dialect(uow), 'digests')} "  # noqa: S608
                "CROSS JOIN erasure_step_keys k WHERE k.step_id = :step AND k.digest = v.value"
            ),
            {"step": step.id, "digests": list_param(digests)},
        ).all()
    )


def planned_count(uow: UnitOfWork, step: ErasureStep, digests: Collection[str]) -> int:
    """How many of ``digests`` the step erases (held or not): one number back instead of
    the digests (``planned_among``), for a batch that is usually planned whole."""
    if not digests:
        return 0
    found = uow.session.scalar(
        text(
            f"SELECT count(*) FROM {values_table(_dialect(uow), 'digests')} "  # noqa: S608
            "CROSS JOIN erasure_step_keys k WHERE k.step_id = :step AND k.digest = v.value"
        ),
        {"step": step.id, "digests": list_param(digests)},
    )
    return int(found or 0)


def mark_held(uow: UnitOfWork, step: ErasureStep, digests: Iterable[str]) -> None:
    """These planned rows are kept by a hold placed since approval."""
    uow.session.execute(
        text(
            "UPDATE erasure_step_keys SET held = :held WHERE step_id = :step AND digest IN "  # noqa: S608
            f"(SELECT v.value FROM {values_table(_dialect(uow), 'digests')})"
        ),
        {"step": step.id, "held": True, "digests": list_param(digests)},
    )


def keys_digests(uow: UnitOfWork, steps: Sequence[ErasureStep]) -> dict[str, str]:
    """Step id -> sha256 of the sorted digests of the step's rows that went (not held),
    one a line: the evidence cites it with their count; the digests stay in
    ``erasure_step_keys``. The steps' keys are read together a page at a time: a source's
    few-row steps cost one statement, not one each."""
    table = ErasureStepKey.__table__
    found = {step.id: hashlib.sha256() for step in steps}
    last = ("", "")
    while True:
        after = or_(
            table.c.step_id > last[0], and_(table.c.step_id == last[0], table.c.digest > last[1])
        )
        page = uow.session.execute(
            select(table.c.step_id, table.c.digest)
            .where(table.c.step_id.in_(list(found)), table.c.held.is_(False), after)
            .order_by(table.c.step_id, table.c.digest)
            .limit(PAGE)
        ).all()
        if not page:
            return {step: digest.hexdigest() for step, digest in found.items()}
        for step_id, digests in groupby(page, key=itemgetter(0)):
            found[step_id].update("".join(f"{row[1]}\n" for row in digests).encode())
        last = (page[-1][0], page[-1][1])
