"""Access packages' work for every worker: build one part per run, assemble once approved.

``BUILD_JOB`` runs ``access.build.build_package``: each run stages one part and queues the
next run in the same transaction, so a killed worker resumes where the last commit left
it. A source that is down is recorded on the package and retried with a backoff by a job
the build queues itself (the run returns normally, so the record commits).
``ASSEMBLE_JOB`` runs ``access.assemble.assemble_package``.

Once assembled, the requester is emailed the download link (``access.delivery.
announce_ready``) in the same transaction, so the email exists only if the package does;
a rerun on a package already ready sends nothing again. The expiry sweep deletes packages
whose keeping period is over (``access.expiry``).

``dataward.workers`` gathers this with every other domain's; ``jobs/`` never names it.
"""

from __future__ import annotations

from pathlib import Path

from dataward.access.assemble import assemble_package
from dataward.access.build import build_package
from dataward.access.delivery import announce_ready
from dataward.access.expiry import PackageExpirySweep
from dataward.access.models import READY, AccessPackage
from dataward.access.service import ASSEMBLE_JOB, BUILD_JOB
from dataward.config import Settings
from dataward.jobs.errors import JobRefused
from dataward.jobs.service import ClaimedJob
from dataward.jobs.worker import DomainJobs
from dataward.outbox.config import MailSettings
from dataward.uow import UnitOfWork


def _package_id(job: ClaimedJob) -> str:
    package = job.payload.get("package")
    if not isinstance(package, str) or not package:
        raise JobRefused("the job names no package")
    return package


def _note_parked(uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
    """A run given up on leaves its error code on the package, for the console to show."""
    package = uow.session.get(AccessPackage, job.payload.get("package"))
    if package is not None:
        package.last_error = reason.partition("]")[0].lstrip("[")[:200]
        package.updated_at = uow.clock.now()


class BuildHandler:
    needs_keys = True

    def __init__(self, root: Path | None = None) -> None:
        self.root = root

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        attempt = job.payload.get("attempt", 0)
        build_package(
            uow,
            _package_id(job),
            root=self.root,
            attempt=attempt if isinstance(attempt, int) else 0,
        )

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        _note_parked(uow, job, reason)

    def close(self) -> None:
        return None


class AssembleHandler:
    needs_keys = True

    def __init__(self, root: Path | None = None) -> None:
        self.root = root

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        package_id = _package_id(job)
        before = uow.session.get(AccessPackage, package_id)
        announced = before is not None and before.state == READY
        package = assemble_package(uow, package_id, root=self.root)
        if not announced:
            announce_ready(uow, package)

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        _note_parked(uow, job, reason)

    def close(self) -> None:
        return None


def access_jobs(settings: Settings, mail: MailSettings) -> DomainJobs:
    """Both handlers and the expiry sweep; packages live under ``access_packages_dir``."""
    root = settings.access_packages_dir
    return DomainJobs(
        handlers={BUILD_JOB: BuildHandler(root), ASSEMBLE_JOB: AssembleHandler(root)},
        sweeps=(PackageExpirySweep(),),
    )
