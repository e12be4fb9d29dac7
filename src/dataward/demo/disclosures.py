"""The demo agency's disclosure log: a few entries, so a demo erasure, rectification or
restriction has recipients to tell (NOT-01). Never commits.

For each demo request that changes a linked subject's data, the subject's customer and
case records are logged as disclosed to the register's first two recipients for
customers (for JTR: its clients and the enforcement agents) some weeks before the request,
through ``disclosures.service.record_disclosure`` as ``system:demo`` (checked against the
register and audited like any entry). A register with no such recipient, dataset or
purpose with one stated basis gets no entries: the demo never invents one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from dataward.disclosures.service import NewDisclosure, record_disclosure, stated_bases
from dataward.register.models import Register
from dataward.requests.models import RightsRequest
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

ACTOR = "system:demo"
CHANGING = frozenset({"rectification", "erasure", "restriction"})
DATASETS = ("customers", "cases")
PURPOSE = "customer_business_need"


def seed_demo_disclosures(
    uow: UnitOfWork, register: Register, rows: Sequence[RightsRequest], today: date
) -> int:
    """Log the disclosures of each linked subject of ``rows`` asking for a change; how many."""
    recipients = [r.id for r in register.recipients if "customers" in r.subject_groups][:2]
    datasets = tuple(d for d in DATASETS if d in {x.id for x in register.datasets})
    purposes = {p.id for p in register.purposes}
    if not recipients or not datasets or PURPOSE not in purposes:
        return 0
    if len(stated_bases(register, PURPOSE)) != 1:
        return 0
    added = 0
    for row in rows:
        if row.subject_id is None or not CHANGING & set(row.rights):
            continue
        subject = uow.session.get(Subject, row.subject_id)
        if subject is None:
            continue
        for n, recipient in enumerate(recipients):
            on = min(row.received_on - timedelta(days=30 + 14 * n), today)
            new = NewDisclosure(
                row.organisation,
                subject.ref,
                recipient,
                datasets,
                PURPOSE,
                on,
                reference=f"DEMO-{on:%Y%m%d}-{n + 1}",
            )
            record_disclosure(uow, new, actor=ACTOR)
            added += 1
    return added
