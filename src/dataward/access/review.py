"""The caseworker's review of a built package (ACC-02, ACC-03). Never commits.

While a package is in ``review`` a caseworker may undo a redaction that hid nothing of a
third party (and reapply it), withhold a row or a whole part under an exemption with the
reason in their own words (sealed under the subject's key), release a withholding, and
finally approve: the package goes to ``approved`` and the worker assembles it
(``ASSEMBLE_JOB``). Every step is audited on the request's chain with ids and counts only;
a refused step changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from dataward.access import audit_actions as actions
from dataward.access.errors import PackageRefused
from dataward.access.models import (
    ACCESS,
    APPLIED,
    APPROVED,
    RELEASED,
    REVIEW,
    UNDONE,
    WITHHELD,
    AccessPackage,
    PackagePart,
    Redaction,
    Withholding,
)
from dataward.access.service import ASSEMBLE_JOB, audit_package, get_package
from dataward.crypto.keyring import decrypt_for, encrypt_for
from dataward.errors import NotFoundError, ValidationFailed
from dataward.jobs.service import enqueue
from dataward.register.models.rights import Right
from dataward.requests.refusal_reasons import DPA_EXEMPTIONS
from dataward.requests.service import register_of
from dataward.uow import UnitOfWork

REASON_MAX = 4000

# DPA_EXEMPTIONS (ACC-03): one list with the reasons a request may be refused.


class ReviewItemNotFound(NotFoundError):
    code = "package_item_not_found"
    title = "No such item in the package"


class ExemptionUnknown(ValidationFailed):
    code = "exemption_unknown"
    title = "Not an exemption the register or the DPA 2018 names"


class WithholdingInvalid(ValidationFailed):
    code = "withholding_invalid"
    title = "The withholding cannot be recorded as given"


def exemptions(uow: UnitOfWork, organisation: str) -> list[str]:
    """The exemptions a withholding may name: the register's for access, then the Act's."""
    named: list[str] = []
    for item in register_of(uow, organisation).rights.items:
        if item.right == Right.ACCESS:
            named.extend(e.name.strip() for e in item.exemptions)
    named.extend(name for name, _ in DPA_EXEMPTIONS)
    return list(dict.fromkeys(named))


def reviewable(uow: UnitOfWork, organisation: str, ref: str, kind: str = ACCESS) -> AccessPackage:
    """The request's package of ``kind``, refused unless it waits for review."""
    package = get_package(uow, organisation, ref, kind)
    if package.state != REVIEW:
        raise PackageRefused(
            f"the package of request {ref[:32]} is {package.state}: only a package in "
            "review can be changed or approved"
        )
    return package


def _redaction(uow: UnitOfWork, package: AccessPackage, redaction_id: str) -> Redaction:
    found = uow.session.get(Redaction, redaction_id[:36])
    if found is None or found.package_id != package.id:
        raise ReviewItemNotFound("no such redaction in this package")
    return found


def _part(uow: UnitOfWork, package: AccessPackage, part_id: str) -> PackagePart:
    found = uow.session.get(PackagePart, part_id[:36])
    if found is None or found.package_id != package.id:
        raise ReviewItemNotFound("no such part in this package")
    return found


def undo_redaction(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    redaction_id: str,
    *,
    actor: str,
    kind: str = ACCESS,
) -> Redaction:
    """A false redaction (the subject's own words, a street name): shown in the copy."""
    return _set_redaction(uow, organisation, ref, redaction_id, UNDONE, actor, kind)


def reapply_redaction(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    redaction_id: str,
    *,
    actor: str,
    kind: str = ACCESS,
) -> Redaction:
    return _set_redaction(uow, organisation, ref, redaction_id, APPLIED, actor, kind)


def _set_redaction(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    redaction_id: str,
    state: str,
    actor: str,
    kind: str,
) -> Redaction:
    package = reviewable(uow, organisation, ref, kind)
    redaction = _redaction(uow, package, redaction_id)
    if redaction.state == state:
        said = "undone" if state == UNDONE else "applied"
        raise PackageRefused(f"the redaction is {said} already")
    now = uow.clock.now()
    redaction.state = state
    redaction.changed_by = actor
    redaction.changed_at = now
    package.updated_at = now
    action = actions.REDACTION_UNDONE if state == UNDONE else actions.REDACTION_REAPPLIED
    audit_package(
        uow,
        package,
        action,
        actor=actor,
        part=redaction.part_id,
        redaction=redaction.id,
        row_no=redaction.row_no,
    )
    return redaction


def withhold(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    part_id: str,
    row_no: int | None,
    exemption: str,
    reason: str,
    *,
    actor: str,
    kind: str = ACCESS,
) -> Withholding:
    """Keep a row (and its files) or, with ``row_no`` None, a whole part out of the copy
    under ``exemption`` (ACC-03); the reason is sealed under the subject's key."""
    package = reviewable(uow, organisation, ref, kind)
    part = _part(uow, package, part_id)
    if row_no is not None and not 0 <= row_no < part.rows:
        raise WithholdingInvalid(f"row {row_no} is not in the part (it has {part.rows} rows)")
    named = exemption.strip()
    if named not in exemptions(uow, organisation):
        raise ExemptionUnknown(
            "the exemption must be one the register names for access or one of the "
            "DPA 2018 Schedule 2-4 exemptions"
        )
    words = reason.strip()
    if not words:
        raise WithholdingInvalid("give the reason the exemption applies")
    if len(words) > REASON_MAX:
        raise WithholdingInvalid(f"the reason is longer than {REASON_MAX} characters")
    if _withheld(uow, package, part, row_no) is not None:
        what = "the row" if row_no is not None else "the part"
        raise PackageRefused(f"{what} is withheld already: release it first to change why")
    now = uow.clock.now()
    item = Withholding(
        id=str(uuid.uuid4()),
        package_id=package.id,
        part_id=part.id,
        row_no=row_no,
        exemption=named,
        reason_sealed=b"",
        state=WITHHELD,
        withheld_by=actor,
        withheld_at=now,
    )
    item.reason_sealed = encrypt_for(uow, package.key_id, words, reason_context(item))
    uow.session.add(item)
    package.updated_at = now
    audit_package(
        uow,
        package,
        actions.ITEM_WITHHELD,
        actor=actor,
        part=part.id,
        withholding=item.id,
        row_no=row_no,
        exemption=named,
    )
    return item


def _withheld(
    uow: UnitOfWork, package: AccessPackage, part: PackagePart, row_no: int | None
) -> Withholding | None:
    query = select(Withholding).where(
        Withholding.package_id == package.id,
        Withholding.part_id == part.id,
        Withholding.state == WITHHELD,
    )
    if row_no is None:
        query = query.where(Withholding.row_no.is_(None))
    else:
        query = query.where(Withholding.row_no == row_no)
    return uow.session.scalars(query).first()


def release_withholding(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    withholding_id: str,
    *,
    actor: str,
    kind: str = ACCESS,
) -> Withholding:
    """The item goes back into the copy; the withholding and its reason stay on record."""
    package = reviewable(uow, organisation, ref, kind)
    item = uow.session.get(Withholding, withholding_id[:36])
    if item is None or item.package_id != package.id:
        raise ReviewItemNotFound("no such withholding in this package")
    if item.state != WITHHELD:
        raise PackageRefused("the item is released already")
    now = uow.clock.now()
    item.state = RELEASED
    item.released_by = actor
    item.released_at = now
    package.updated_at = now
    audit_package(
        uow,
        package,
        actions.ITEM_RELEASED,
        actor=actor,
        part=item.part_id,
        withholding=item.id,
        row_no=item.row_no,
    )
    return item


def approve_package(
    uow: UnitOfWork, organisation: str, ref: str, *, actor: str, kind: str = ACCESS
) -> AccessPackage:
    """The review is done: the worker assembles the package with the redactions applied and
    the withheld items left out (``ASSEMBLE_JOB``)."""
    package = reviewable(uow, organisation, ref, kind)
    now = uow.clock.now()
    package.state = APPROVED
    package.approved_by = actor
    package.approved_at = now
    package.updated_at = now
    uow.session.flush()
    enqueue(uow, ASSEMBLE_JOB, {"package": package.id})
    applied, undone = redaction_counts(uow, package)
    audit_package(
        uow,
        package,
        actions.PACKAGE_APPROVED,
        actor=actor,
        redactions=applied,
        undone=undone,
        withheld=len(withholdings(uow, package, only_withheld=True)),
    )
    return package


def redaction_counts(
    uow: UnitOfWork, package: AccessPackage, part: PackagePart | None = None
) -> tuple[int, int]:
    """(applied, undone) redactions of the package, or of one part."""
    query = select(Redaction.state, func.count()).where(Redaction.package_id == package.id)
    if part is not None:
        query = query.where(Redaction.part_id == part.id)
    counts = dict(uow.session.execute(query.group_by(Redaction.state)).tuples().all())
    return counts.get(APPLIED, 0), counts.get(UNDONE, 0)


def withholdings(
    uow: UnitOfWork, package: AccessPackage, *, only_withheld: bool = False
) -> Sequence[Withholding]:
    query = select(Withholding).where(Withholding.package_id == package.id)
    if only_withheld:
        query = query.where(Withholding.state == WITHHELD)
    return uow.session.scalars(query.order_by(Withholding.withheld_at, Withholding.id)).all()


def reason_context(item: Withholding) -> str:
    return f"access-withholding:{item.package_id}:{item.id}"


def reason_of(uow: UnitOfWork, package: AccessPackage, item: Withholding) -> str:
    """The withholding's reason in the caseworker's words (staff pages only)."""
    return decrypt_for(uow, package.key_id, item.reason_sealed, reason_context(item))
