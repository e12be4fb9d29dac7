"""A built access package for review tests, made directly: a verified access request of the
web fixture organisation, one staged part of notes, and the redactions the detector finds in
them (the build, ``access.build``, does the same from the sources).

Jane Doe is the subject; Mary Jones and bob.other@example.com belong to another subject.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dataward.access.models import (
    ACCESS,
    PART_DONE,
    REVIEW,
    AccessPackage,
    PackagePart,
    Redaction,
)
from dataward.access.redaction import detector_for
from dataward.access.service import RIGHT_OF_KIND
from dataward.access.staging import write_part, write_row
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import subject_identities
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.subjects.models import Subject
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

ORG = "acme_widgets"
CASE = "user:u_case"
NOTES: tuple[str, ...] = (
    "Jane Doe rang from 07911 123456 about her order.",
    "Her neighbour Mary Jones (bob.other@example.com) collected the parcel.",
    "Left a card at the door.",
    "Called 0113 496 0000, spoke to Mary Jones; Jane Doe's email jane.doe@example.com.",
)


@dataclass
class Built:
    request: RightsRequest
    subject: Subject
    package: AccessPackage
    part: PackagePart


def other_subject(uow: UnitOfWork) -> Subject:
    return add_subject(
        uow,
        ORG,
        ["customers"],
        [("email", "bob.other@example.com"), ("name", "Mary Jones")],
        actor=CASE,
    )


def built_package(
    uow: UnitOfWork,
    notes: Sequence[str] = NOTES,
    *,
    state: str = REVIEW,
    email: str = "jane.doe@example.com",
    kind: str = ACCESS,
) -> Built:
    """A package of one part (dataset ``crm``): one staged row per note, redactions found;
    a request for the right ``kind`` answers (access, or portability)."""
    subject = add_subject(
        uow,
        ORG,
        ["customers"],
        [("email", email), ("name", "Jane Doe"), ("phone", "07911 123456")],
        actor=CASE,
    )
    requester = Requester(name="Jane Doe", email=email, words="All my data.")
    row = open_request(
        uow,
        NewRequest(ORG, [RIGHT_OF_KIND[kind]], "email", date(2026, 11, 20), requester),
        actor=CASE,
    )
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, date(2026, 11, 20)))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    now = uow.clock.now()
    package = AccessPackage(
        id=str(uuid.uuid4()),
        organisation=ORG,
        request_id=row.id,
        kind=kind,
        subject_id=subject.id,
        key_id=subject.key_id,
        sources_version=1,
        state=state,
        rows=len(notes),
        queued_by=CASE,
        built_at=now,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(package)
    uow.session.flush()
    part = PackagePart(
        id=str(uuid.uuid4()),
        package_id=package.id,
        dataset="crm",
        binding=0,
        state=PART_DONE,
        rows=len(notes),
        done_at=now,
    )
    uow.session.add(part)
    uow.session.flush()
    staged: list[dict[str, Any]] = [
        {"id": number + 1, "written_on": "2026-11-0" + str(number % 9 + 1), "note": note}
        for number, note in enumerate(notes)
    ]
    with write_part(uow, package, part) as writer:
        for item in staged:
            write_row(writer, item)
    detector = detector_for(uow, package, subject_identities(uow, subject))
    found = 0
    for row_no, spans in enumerate(detector.scan_batch(staged, ["note"])):
        for span in spans:
            uow.session.add(
                Redaction(
                    id=str(uuid.uuid4()),
                    package_id=package.id,
                    part_id=part.id,
                    row_no=row_no,
                    column=span.column,
                    start=span.start,
                    end=span.end,
                    kind=span.kind,
                )
            )
            found += 1
    part.redactions = found
    uow.session.flush()
    return Built(row, subject, package, part)
