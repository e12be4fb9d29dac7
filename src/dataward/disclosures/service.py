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
from dataward.disclosures.errors import (
    DisclosureInvalid,
    DisclosureNotAuthorised,
    DisclosureNotFound,
    ForOthersMarketing,
    TransferNotListed,
    TransferUnsafeguarded,
)
from dataward.disclosures.models import Disclosure
from dataward.holds.service import register_of, today_of
from dataward.register.models import Recipient, Register, Transfer, Unspecified
from dataward.register.models.processing import LawfulBasis
from dataward.register.models.sharing import in_uk
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
    # Where the register sends data to the recipient only if the person authorised it:
    # the day they did and our reference for the evidence (a signed form, a call note).
    authorised_on: date | None = None
    authorisation_ref: str | None = None
    # Outside the UK: the register's transfer it went under, and the country it went to.
    transfer: str | None = None
    destination: str | None = None
    # It went for the recipient's own marketing (not the organisation's purpose alone).
    for_recipient_marketing: bool = False


def stated_bases(register: Register, purpose_id: str) -> list[str]:
    """The Art 6 bases the register states for a purpose (unspecified ones left out)."""
    for purpose in register.purposes:
        if purpose.id == purpose_id:
            return [str(u.basis) for u in purpose.bases if isinstance(u.basis, LawfulBasis)]
    raise DisclosureInvalid(f"the register has no purpose {purpose_id[:80]!r}")


def _plain(value: str | None, name: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > limit or "\x00" in value:
        raise DisclosureInvalid(f"the {name} must be at most {limit} plain characters")
    return value.strip()


def _check_authorisation(
    new: NewDisclosure, recipient: Recipient
) -> tuple[date | None, str | None]:
    """RULES: NTC-01, NOT-01. A recipient the register conditions on the person's
    authorisation gets data only once it is recorded: when, and the evidence."""
    ref = _plain(new.authorisation_ref, "authorisation reference", MAX_REFERENCE)
    on = new.authorised_on
    if on is not None and on > new.disclosed_on:
        raise DisclosureNotAuthorised("the person's authorisation must come before the disclosure")
    if (on is None) != (ref is None):
        raise DisclosureNotAuthorised(
            "give both the day the person authorised it and the reference of the evidence"
        )
    if recipient.condition == "only_if_authorised_by_subject" and on is None:
        raise DisclosureNotAuthorised(
            f"the register shares with {recipient.id[:80]!r} only where the person has "
            "authorised it: record the day they did and the reference of the evidence"
        )
    return on, ref


def _abroad(recipient: Recipient) -> bool:
    """The register places the recipient only outside the UK."""
    places = recipient.located_in
    return not isinstance(places, Unspecified) and bool(places) and not any(map(in_uk, places))


def check_transfer(
    new: NewDisclosure, register: Register, recipient: Recipient
) -> tuple[str | None, str | None]:
    """RULES: NTC-01, ROP-01. Data leaving the UK goes under a transfer the register lists
    for the recipient, to a destination it names, with the safeguard it states."""
    destination = _plain(new.destination, "destination", 80)
    if new.transfer is None:
        if destination is not None and not in_uk(destination):
            raise TransferNotListed(
                "the data went outside the UK: name the register's transfer it went under"
            )
        if _abroad(recipient):
            raise TransferNotListed(
                f"the register places {recipient.id[:80]!r} outside the UK: name the "
                "register's transfer the data went under"
            )
        return None, destination
    policy = register.transfers.policy
    if policy is not None and policy.outside_uk == "never":
        raise TransferUnsafeguarded("the register says no personal data leaves the UK")
    item: Transfer | None = next(
        (t for t in register.transfers.items if t.id == new.transfer), None
    )
    if item is None:
        raise TransferNotListed(f"the register lists no transfer {new.transfer[:80]!r}")
    if item.recipients and recipient.id not in item.recipients:
        raise TransferNotListed(
            f"the register's transfer {item.id!r} is not to recipient {recipient.id[:80]!r}"
        )
    named = [d for d in item.destinations if d.strip().lower() != "unknown"]
    if named and len(named) == len(item.destinations):
        if destination is None:
            raise TransferNotListed(f"name the country: the transfer {item.id!r} names them")
        if destination.lower() not in {d.strip().lower() for d in named}:
            raise TransferNotListed(
                f"the register's transfer {item.id!r} does not go to {destination[:80]!r}"
            )
    if item.safeguard is None or item.safeguard == "unspecified":
        raise TransferUnsafeguarded(
            f"the register states no safeguard for transfer {item.id!r}: data may not go "
            "under it until it does"
        )
    return item.id, destination


def never_for_others_marketing(register: Register, recipient: Recipient) -> bool:
    """The register says the organisation never shares for other organisations' marketing
    (or never with this recipient for marketing)."""
    return (
        register.marketing.shares_for_third_party_marketing is False
        or any(p.rule == "no_sharing_for_third_party_marketing" for p in register.sharing_policies)
        or "marketing" in recipient.never_for
    )


def _check(uow: UnitOfWork, new: NewDisclosure, register: Register) -> tuple[list[str], str]:
    recipient = next((r for r in register.recipients if r.id == new.recipient), None)
    if recipient is None:
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
    if new.for_recipient_marketing and never_for_others_marketing(register, recipient):
        raise ForOthersMarketing(
            "the register says personal data is never shared for other organisations' "
            "marketing: this disclosure may not be made"
        )
    return datasets, basis


def record_disclosure(uow: UnitOfWork, new: NewDisclosure, *, actor: str) -> Disclosure:
    """Add a disclosure to the log; checked against the current register, audited."""
    register = register_of(uow, new.organisation)
    datasets, basis = _check(uow, new, register)
    recipient = next(r for r in register.recipients if r.id == new.recipient)
    authorised_on, authorisation_ref = _check_authorisation(new, recipient)
    transfer, destination = check_transfer(new, register, recipient)
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
        authorised_on=authorised_on,
        authorisation_ref=authorisation_ref,
        transfer=transfer,
        destination=destination,
        for_recipient_marketing=new.for_recipient_marketing,
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
        **_extra_details(row),
    )
    return row


def _extra_details(row: Disclosure) -> dict[str, DetailValue]:
    """The register checks a disclosure passed, for the chain: dates and ids only (the
    evidence's reference and the destination stay out)."""
    details: dict[str, DetailValue] = {}
    if row.authorised_on is not None:
        details["authorised_on"] = row.authorised_on.isoformat()
    if row.transfer is not None:
        details["transfer"] = row.transfer
    if row.for_recipient_marketing:
        details["for_recipient_marketing"] = True
    return details


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
