"""The dataset map: where each of the register's datasets lives in the demo agency.

Written as YAML next to the operational database (``var/demo-sources.yaml`` by default), for
the connectors, rights fulfilment and retention to read later. For each dataset id of the
register: the tables (or file folders) holding it, how a row leads to the person (an
identity column, or a foreign key to ``debtors`` / ``new_occupiers``), and the columns that
carry the register's events and holds.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from dataward.errors import ValidationFailed

VERSION = 1

_CUSTOMER = {"table": "debtors", "key": "id"}
_BY_CASE = {"via": "case_id", "table": "cases", "then": {"via": "debtor_id", **_CUSTOMER}}

DATASETS: dict[str, list[dict[str, Any]]] = {
    "customers": [
        {
            "table": "debtors",
            "key": "id",
            "identities": {
                "customer_ref": "customer_ref",
                "email": "email",
                "phone": "phone",
                "ni_number": "ni_number",
                "postcode": "postcode",
                "date_of_birth": "date_of_birth",
                "name": ["title", "first_name", "middle_name", "last_name"],
                "address": ["address_line1", "address_line2", "town", "postcode"],
            },
        }
    ],
    "cases": [
        {
            "table": "cases",
            "key": "id",
            "identities": {"case_ref": "case_ref"},
            "subject": {"via": "debtor_id", **_CUSTOMER},
            "events": {"case_returned": "returned_on"},
            "holds": {"live_case": {"open_when_null": "returned_on"}},
        }
    ],
    "payments": [{"table": "payments", "key": "id", "subject": _BY_CASE}],
    "visits": [
        {"table": "agent_visits", "key": "id", "subject": _BY_CASE},
        {"table": "notes", "key": "id", "subject": _BY_CASE, "free_text": ["body"]},
    ],
    "body_worn_video": [
        {
            "table": "body_worn_video",
            "key": "id",
            "subject": _BY_CASE,
            "file": {"column": "file_path", "folder": "body_worn_video"},
            "events": {"recording_made": "recorded_at"},
        }
    ],
    "call_recordings": [
        {
            "table": "call_recordings",
            "key": "id",
            "identities": {"phone": "caller_number"},
            "subject": _BY_CASE,
            "file": {"column": "file_path", "folder": "call_recordings"},
            "events": {"call_recorded": "recorded_at"},
        }
    ],
    "vulnerability_evidence": [
        {
            "table": "vulnerability_evidence",
            "key": "id",
            "subject": {"via": "debtor_id", **_CUSTOMER},
            "file": {"column": "file_path", "folder": "vulnerability_evidence"},
            "events": {"assessment_completed": "assessed_at"},
        }
    ],
    "new_occupier_evidence": [
        {
            "table": "new_occupiers",
            "key": "id",
            "identities": {
                "customer_ref": "occupier_ref",
                "email": "email",
                "phone": "phone",
                "postcode": "postcode",
                "name": ["title", "first_name", "last_name"],
                "address": ["address_line1", "address_line2", "town", "postcode"],
            },
        },
        {
            "table": "new_occupier_evidence",
            "key": "id",
            "subject": {"via": "new_occupier_id", "table": "new_occupiers", "key": "id"},
            "file": {"column": "file_path", "folder": "new_occupier_evidence"},
            "events": {
                "assessment_completed": {
                    "table": "assessments",
                    "via": "evidence_id",
                    "column": "assessed_at",
                }
            },
        },
        {
            "table": "assessments",
            "key": "id",
            "subject": {
                "via": "evidence_id",
                "table": "new_occupier_evidence",
                "then": {"via": "new_occupier_id", "table": "new_occupiers", "key": "id"},
            },
        },
    ],
    "complaints": [
        {
            "table": "complaints",
            "key": "id",
            "subject": _BY_CASE,
            "events": {"complaint_closed": "closed_on"},
        }
    ],
}

# Holds on a case: open from one column until another is set.
HOLDS = {
    "complaint_on_case": {
        "table": "complaints",
        "case": "case_id",
        "opened": "opened_on",
        "closed": "closed_on",
    },
    "investigation_on_case": {
        "table": "investigations",
        "case": "case_id",
        "opened": "opened_on",
        "closed": "closed_on",
    },
    "live_case": {"table": "cases", "case": "id", "opened": "opened_on", "closed": "returned_on"},
}

NOT_IN_DEMO = {
    "portal_accounts": "the demo agency has no customer portal",
    "research_bwv_footage": "no footage is shared with researchers in the demo",
    "vehicle_camera_footage": "the demo has no vehicle cameras",
    "web_enquiries": "website enquiries arrive by email, which the demo does not hold",
}
NOT_IN_REGISTER = {
    "clients": "the agency's clients are organisations, not data subjects",
    "investigations": "hold records on cases (see holds.investigation_on_case)",
}


def _safe_url(url: str) -> str:
    # Never write a password to disk: whoever reads the map supplies it again.
    return make_url(url).render_as_string(hide_password=True)


def sources_document(
    *,
    organisation: str,
    operational_url: str,
    files_dir: Path | None,
    seed: int,
    subjects: int,
    created_at: datetime,
    register_datasets: set[str],
) -> dict[str, Any]:
    unknown = sorted((set(DATASETS) | set(NOT_IN_DEMO)) - register_datasets)
    if unknown:
        raise ValidationFailed(
            f"the register of {organisation} lacks datasets the demo maps: {', '.join(unknown)}"
        )
    return {
        "dataward_demo_sources": VERSION,
        "organisation": organisation,
        "operational_url": _safe_url(operational_url),
        "files_dir": None if files_dir is None else str(files_dir),
        "seed": seed,
        "subjects": subjects,
        "created_at": created_at.isoformat(),
        "datasets": DATASETS,
        "holds": HOLDS,
        "not_in_demo": NOT_IN_DEMO,
        "not_in_register": NOT_IN_REGISTER,
    }


def write_sources(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(
        "# Written by `dataward demo create`: the register's datasets in the demo agency.\n" + text,
        encoding="utf-8",
    )


def read_sources(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or loaded.get("dataward_demo_sources") != VERSION:
        raise ValidationFailed(f"{path} is not a dataward demo dataset map")
    return loaded
