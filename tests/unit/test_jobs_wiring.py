"""The wiring at the edge (``dataward.workers``) hands every worker each domain's jobs.

That ``jobs/`` and the core name no domain is held by tests/unit/test_layers.py.
"""

from __future__ import annotations

from pathlib import Path

from dataward.access.expiry import PackageExpirySweep
from dataward.access.service import ASSEMBLE_JOB, BUILD_JOB
from dataward.audit.head_service import HEAD_DELIVER_JOB, HEAD_EMAIL_JOB
from dataward.complaints.jobs import ComplaintSweep
from dataward.erasure.service import EXECUTE_JOB
from dataward.jobs.worker import DomainJobs
from dataward.notify.service import CAMPAIGN_JOB
from dataward.outbox.config import MailSettings
from dataward.outbox.service import SEND_JOB
from dataward.requests.jobs import RequestSweep
from dataward.retention.jobs import RUN_JOB, RetentionSweep
from dataward.workers import domain_jobs


def test_every_domains_jobs_reach_the_worker_once(tmp_path: Path) -> None:
    mail = MailSettings(_env_file=None, mail_sender="eml", eml_dir=tmp_path)  # type: ignore[call-arg]
    domains = domain_jobs(mail)
    assert all(isinstance(domain, DomainJobs) for domain in domains)
    kinds = [kind for domain in domains for kind in domain.handlers]
    # Two domains handling one kind would silently lose one handler.
    assert sorted(kinds) == sorted(
        {
            SEND_JOB,
            CAMPAIGN_JOB,
            HEAD_DELIVER_JOB,
            HEAD_EMAIL_JOB,
            BUILD_JOB,
            ASSEMBLE_JOB,
            EXECUTE_JOB,  # erasure (issue 19)
            RUN_JOB,  # retention (issue 20)
        }
    )
    sweeps = [sweep for domain in domains for sweep in domain.sweeps]
    # The campaigns' sweep, the requests' deadlines and reminders (issue 16), and the
    # complaints' reminders (issue 17, CMP-01), access packages' expiry (issue 18) and the
    # daily retention run (issue 20, on by default).
    assert len(sweeps) == 5
    assert sum(isinstance(sweep, RetentionSweep) for sweep in sweeps) == 1
    assert sum(isinstance(sweep, PackageExpirySweep) for sweep in sweeps) == 1
    assert sum(isinstance(sweep, RequestSweep) for sweep in sweeps) == 1
    assert sum(isinstance(sweep, ComplaintSweep) for sweep in sweeps) == 1
