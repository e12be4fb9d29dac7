"""Notice-change campaigns' jobs, for every worker: queue each batch of a campaign
(``notice.campaign_batch``), and a sweep that starts a campaign for each recorded
significant change that has none.

``dataward.workers`` gathers these with every other domain's; ``jobs/`` never names them.
"""

from __future__ import annotations

from dataward.jobs.worker import DomainJobs
from dataward.notify.service import CAMPAIGN_JOB, CampaignBatches, start_pending_campaigns
from dataward.outbox.config import MailSettings


def notify_jobs(mail: MailSettings) -> DomainJobs:
    return DomainJobs(
        handlers={CAMPAIGN_JOB: CampaignBatches(mail)},
        sweeps=[lambda uow: start_pending_campaigns(uow, mail=mail)],
    )
