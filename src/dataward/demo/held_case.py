"""The case the demo's recording complaint is about: a real case of a real customer.

The complaint "your agent filmed me at the door" places the register's ``complaint_on_case``
hold on the case's body-worn video, so the case must be one of the agency's own, with
footage, belonging to the complaint's subject: then an erasure plan for that person keeps
exactly that case's recordings (ERA-02) and lets the rest go. The agency's database is read
the way every request reads it: through the organisation's stored sources file and its
connectors (``url_from``, the demo's ``env``), with the subject's own identities. Reads
only; never commits.

No case is invented: when the agency cannot be read (its variables unset, the database
gone) or no customer has footage, there is no case to hold, and ``None`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from dataward.errors import DatawardError
from dataward.requests.source_search import subject_identities
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import stream_subject
from dataward.sources.versions import current_sources
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

CUSTOMERS = "customers"  # the subject group of the agency's debtors: they have cases
CASES, FOOTAGE = "cases", "body_worn_video"
LOOKED_AT = 200  # customers tried at most


@dataclass(frozen=True)
class HeldCase:
    subject_ref: str
    case_ref: str


def case_with_footage(
    uow: UnitOfWork, organisation: str, env: Mapping[str, str] | None = None
) -> HeldCase | None:
    """A customer with body-worn video, and the first (by reference) of the cases filmed.

    The first customer (by subject ref) filmed in two cases or more, so that erasing them
    shows one case's footage kept and the other's going; else the first filmed at all. None
    when the agency cannot be read or nobody was filmed.
    """
    try:
        sources = current_sources(uow, organisation).parsed().sources
    except DatawardError:
        return None
    if CASES not in sources.datasets or FOOTAGE not in sources.datasets:
        return None
    try:
        connectors = open_all(sources, env)
    except DatawardError:
        return None
    fallback: HeldCase | None = None
    try:
        for subject in _customers(uow, organisation):
            # By the customer's own reference only: a weaker identity (a date of birth) may
            # be another debtor's too, and the hold must sit on this person's own case.
            values = {"customer_ref": subject_identities(uow, subject).get("customer_ref", [])}
            if not values["customer_ref"]:
                continue
            refs: dict[object, str] = {}
            filmed: set[object] = set()
            for part in stream_subject(sources, connectors, values, datasets={CASES, FOOTAGE}):
                for row in part.rows:
                    if part.dataset == CASES:
                        refs[row[part.binding.key]] = str(row["case_ref"])
                    else:
                        filmed.add(row["case_id"])
            held = sorted(refs[case] for case in filmed if case in refs)
            if len(held) > 1:
                return HeldCase(subject.ref, held[0])
            if held and fallback is None:
                fallback = HeldCase(subject.ref, held[0])
    except DatawardError:
        return None
    finally:
        for connector in connectors.values():
            connector.close()
    return fallback


def _customers(uow: UnitOfWork, organisation: str) -> list[Subject]:
    found = uow.session.scalars(
        select(Subject)
        .where(
            Subject.organisation == organisation,
            Subject.merged_into.is_(None),
            Subject.shredded_at.is_(None),
        )
        .order_by(Subject.ref)
        .limit(LOOKED_AT)
    )
    return [subject for subject in found if CUSTOMERS in (subject.groups or [])]
