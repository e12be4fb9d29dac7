"""The disclosure log: who received which of a person's datasets, why and when. Never commits.

A disclosure names one of the register's recipients, the datasets that went, the purpose it
served and the Art 6 basis relied on. It is what NOT-01 reads: when a request corrects,
erases or restricts a person's data, every recipient the log says received it is told.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from dataward.audit.service import DetailValue, record_about
from dataward.disclosures.audit_actions import DISCLOSURE_RECORDED
from dataward.disclosures.errors import DisclosureInvalid, DisclosureNotFound
from dataward.disclosures.models import Disclosure
from dataward.holds.service import register_of, today_of
from dataward.register.models import Register
from dataward.register.models.processing import LawfulBasis
from dataward.subjects.models import Subject
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

MAX_REFERENCE = 120


@dataclass(frozen=True)
class NewDisclosure:
    """What went to whom. ``basis`` may be left out where the purpose states exactly one."""

    organisation: str
    subject_ref: str
    recipient: str
    datasets: tuple[str, ...]
    purpose: str
    disclosed_on: date
    basis: str | None = None
    reference: str | None = None


def stated_bases(register: Register, purpose_id: str) -> list[str]:
    """The Art 6 bases the register states for a purpose (unspecified ones left out)."""
    for purpose in register.purposes:
        if purpose.id == purpose_id:
            return [str(u.basis) for u in purpose.bases if isinstance(u.basis, LawfulBasis)]
    raise DisclosureInvalid(f"the register has no purpose {purpose_id[:80]!r}")


def _check(uow: UnitOfWork, new: NewDisclosure, register: Register) -> tuple[list[str], str]:
    if new.recipient not in {r.id for r in register.recipients}:
        raise DisclosureInvalid(f"the register has no recipient {new.recipient[:80]!r}")
    datasets = list(dict.fromkeys(new.datasets))
    if not datasets:
        raise DisclosureInvalid("name the datasets that were disclosed")
    known = {d.id for d in register.datasets}
    unknown = [d for d in datasets if d not in known]
    if unknown:
        raise DisclosureInvalid(f"the register has no dataset {unknown[0][:80]!r}")
    bases = stated_bases(register, new.purpose)
    basis = new.basis
    if basis is None:
        if len(bases) != 1:
            raise DisclosureInvalid(
                f"the purpose states {len(bases)} bases: name the one the disclosure relied on"
            )
        basis = bases[0]
    elif basis not in bases:
        raise DisclosureInvalid(
            f"the register states no basis {basis[:40]!r} for purpose {new.purpose[:80]!r}"
        )
    if new.disclosed_on > today_of(uow):
        raise DisclosureInvalid("a disclosure is recorded once it has happened: not after today")
    reference = new.reference
    if reference is not None and (len(reference) > MAX_REFERENCE or "\x00" in reference):
        raise DisclosureInvalid(f"the reference must be at most {MAX_REFERENCE} plain characters")
    return datasets, basis


def record_disclosure(uow: UnitOfWork, new: NewDisclosure, *, actor: str) -> Disclosure:
    """Add a disclosure to the log; checked against the current register, audited."""
    register = register_of(uow, new.organisation)
    datasets, basis = _check(uow, new, register)
    subject = get_subject(uow, new.organisation, new.subject_ref)
    row = Disclosure(
        id=str(uuid.uuid4()),
        ref="d_" + secrets.token_hex(8),
        organisation=new.organisation,
        subject_id=subject.id,
        recipient=new.recipient,
        datasets=datasets,
        purpose=new.purpose,
        basis=basis,
        disclosed_on=new.disclosed_on,
        reference=(new.reference or "").strip() or None,
        recorded_by=actor,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_disclosure(
        uow,
        row,
        DISCLOSURE_RECORDED,
        actor=actor,
        recipient=row.recipient,
        datasets=",".join(datasets),
        purpose=row.purpose,
        basis=basis,
        disclosed_on=row.disclosed_on.isoformat(),
    )
    return row


def get_disclosure(uow: UnitOfWork, organisation: str, ref: str) -> Disclosure:
    row = uow.session.scalars(
        select(Disclosure).where(Disclosure.organisation == organisation, Disclosure.ref == ref)
    ).first()
    if row is None:
        raise DisclosureNotFound(f"no disclosure {ref[:32]!r} in {organisation[:80]}")
    return row


def disclosures_of_subject(uow: UnitOfWork, subject: Subject) -> Sequence[Disclosure]:
    """Every disclosure of the subject's data, newest first."""
    return uow.session.scalars(
        select(Disclosure)
        .where(Disclosure.subject_id == subject.id)
        .order_by(Disclosure.disclosed_on.desc(), Disclosure.created_at.desc())
    ).all()


def disclosures_to_recipient(
    uow: UnitOfWork, organisation: str, recipient: str, *, limit: int = 500
) -> Sequence[Disclosure]:
    """What one recipient received, newest first (at most ``limit``)."""
    return uow.session.scalars(
        select(Disclosure)
        .where(Disclosure.organisation == organisation, Disclosure.recipient == recipient)
        .order_by(Disclosure.disclosed_on.desc(), Disclosure.created_at.desc())
        .limit(limit)
    ).all()


def audit_disclosure(
    uow: UnitOfWork, row: Disclosure, action: str, *, actor: str, **details: DetailValue
) -> None:
    record_about(uow, "disclosure", row, action, actor=actor, **details)
