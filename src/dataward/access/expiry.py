"""Ready packages past their date are deleted: files removed, state ``deleted``, audited.

A package is kept ``access_package_keep_days`` after it is ready (its ``expires_at``). The
sweep runs in every worker, at most every few minutes; each run deletes what is due and
commits. Shredding the subject's key makes the files unreadable at once, and the sweep
still removes them when their date comes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from dataward.access import audit_actions as actions
from dataward.access.models import DELETED, READY, AccessPackage
from dataward.access.service import audit_package
from dataward.access.staging import remove_package_files
from dataward.logging import get_logger
from dataward.uow import UnitOfWork

log = get_logger(__name__)

# How often one worker looks for expired packages: the look is one indexed query.
CHECK_EVERY = timedelta(minutes=5)
BATCH = 200


def delete_expired_packages(
    uow: UnitOfWork, *, now: datetime, actor: str = "worker", root: Path | None = None
) -> int:
    """Delete every ready package whose ``expires_at`` has come; how many. Never commits.

    Each package's files go before its row says ``deleted``: a failure in between leaves a
    ready package without files (its link opens nothing), which the next run deletes.
    """
    deleted = 0
    while True:
        due = list(
            uow.session.scalars(
                select(AccessPackage)
                .where(AccessPackage.state == READY, AccessPackage.expires_at <= now)
                .order_by(AccessPackage.expires_at, AccessPackage.id)
                .limit(BATCH)
            )
        )
        for package in due:
            remove_package_files(package, root)
            package.state = DELETED
            package.deleted_at = now
            package.updated_at = now
            audit_package(uow, package, actions.PACKAGE_DELETED, actor=actor, reason="expired")
        uow.session.flush()
        deleted += len(due)
        if len(due) < BATCH:
            return deleted


class PackageExpirySweep:
    """For ``DomainJobs.sweeps``: delete expired packages at most every ``CHECK_EVERY``."""

    def __init__(self, every: timedelta = CHECK_EVERY) -> None:
        self.every = every
        self._next_check: datetime | None = None

    def __call__(self, uow: UnitOfWork) -> int | None:
        now = uow.clock.now()
        if self._next_check is not None and now < self._next_check:
            return None
        self._next_check = now + self.every
        deleted = delete_expired_packages(uow, now=now)
        uow.commit()
        if deleted:
            log.info("access.packages_expired", deleted=deleted)
        return deleted
