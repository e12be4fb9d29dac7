"""How far a package has got, for the API and the CLI: its parts in a stable order.

Ids, states and counts only; nothing here opens a sealed file. Never commits.
"""

from __future__ import annotations

from sqlalchemy import select

from dataward.access.models import AccessPackage, PackagePart
from dataward.uow import UnitOfWork


def parts_of(uow: UnitOfWork, package: AccessPackage) -> list[PackagePart]:
    """The package's parts, by dataset then binding (the sources file's order)."""
    return list(
        uow.session.scalars(
            select(PackagePart)
            .where(PackagePart.package_id == package.id)
            .order_by(PackagePart.dataset, PackagePart.binding)
        )
    )
