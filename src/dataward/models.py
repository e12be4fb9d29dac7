"""Imports every domain's tables so Alembic and tests see one complete metadata."""

from __future__ import annotations


def import_all_models() -> None:
    from dataward.access import models as access_models  # noqa: F401
    from dataward.accounts import models as account_models  # noqa: F401
    from dataward.audit import models as audit_models  # noqa: F401
    from dataward.complaints import models as complaint_models  # noqa: F401
    from dataward.complaints import reminder_models as complaint_reminder_models  # noqa: F401
    from dataward.consent import models as consent_models  # noqa: F401
    from dataward.disclosures import models as disclosure_models  # noqa: F401
    from dataward.erasure import models as erasure_models  # noqa: F401
    from dataward.holds import models as hold_models  # noqa: F401
    from dataward.jobs import models as job_models  # noqa: F401
    from dataward.notify import models as notify_models  # noqa: F401
    from dataward.outbox import models as outbox_models  # noqa: F401
    from dataward.publication import models as publication_models  # noqa: F401
    from dataward.requests import (
        authority_models,  # noqa: F401
        reminder_models,  # noqa: F401
        task_models,  # noqa: F401
        verification_models,  # noqa: F401
    )
    from dataward.requests import models as request_models  # noqa: F401
    from dataward.retention import models as retention_models  # noqa: F401
    from dataward.sources import versions as source_versions  # noqa: F401
    from dataward.subjects import models as subject_models  # noqa: F401
