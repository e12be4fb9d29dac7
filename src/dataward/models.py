"""Imports every domain's tables so Alembic and tests see one complete metadata."""

from __future__ import annotations


def import_all_models() -> None:
    from dataward.audit import models as audit_models  # noqa: F401
    from dataward.register import tables  # noqa: F401
    from dataward.subjects import models as subject_models  # noqa: F401
