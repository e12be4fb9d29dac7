"""The demo agency's sources file: where each of the register's datasets lives in it.

Written in the sources format (docs/sources.md) next to the operational database
(``var/demo-sources.yaml`` by default) and stored as the organisation's sources version, for
the connectors, rights fulfilment and retention to read. For each dataset id of the
register: the tables (or file folders) holding it, how a row leads to the person (an
identity column, or a foreign key to ``debtors`` / ``new_occupiers``), and the columns that
carry the register's events and holds, and the case each row belongs to (``entities``: what
a legal hold on a case keeps on erasure). The database URL and files folder are named by
environment variable only (the header comment says what they were).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from dataward.errors import ValidationFailed
from dataward.sources.loader import LoadedSources, load_sources
from dataward.sources.models import FORMAT_VERSION

OPERATIONAL = "demo_operational"
FILES = "demo_files"
# The URL and the folder come from the environment (or settings), never from the file.
OPERATIONAL_URL_FROM = "DATAWARD_DEMO_OPERATIONAL_URL"
FILES_DIR_FROM = "DATAWARD_DEMO_FILES_DIR"

_CUSTOMER = {"table": "debtors", "key": "id"}
_BY_CASE = {
    "via": "case_id",
    "table": "cases",
    "key": "id",
    "then": {"via": "debtor_id", **_CUSTOMER},
}

# The case a row belongs to, by the agency's case reference (what a hold on a case names).
_CASE = {"case": {"via": "case_id", "table": "cases", "key": "id", "column": "case_ref"}}


def _row(table: str, **fields: Any) -> dict[str, Any]:
    return {"connection": OPERATIONAL, "table": table, "key": "id", **fields}


def _files(folder: str) -> dict[str, Any]:
    # The rows' paths already start with their folder (``body_worn_video/2024/05/...``),
    # relative to the files root: a ``folder`` here would be prepended a second time.
    del folder
    return {"connection": FILES, "column": "file_path"}


_NAME = ["title", "first_name", "middle_name", "last_name"]
_ADDRESS = ["address_line1", "address_line2", "town", "postcode"]

DATASETS: dict[str, list[dict[str, Any]]] = {
    "customers": [
        _row(
            "debtors",
            identities={
                "customer_ref": "customer_ref",
                "email": "email",
                "phone": "phone",
                "ni_number": "ni_number",
                "date_of_birth": "date_of_birth",
                "name": _NAME,
                "address": _ADDRESS,
            },
            columns={
                "email": {"category": "customer_contact", "provenance": "provided"},
                "phone": {"category": "customer_contact", "provenance": "provided"},
                "ni_number": {
                    "category": "customer_identity",
                    "provenance": "provided",
                    "erasure": {"keep": "needed to trace the debt while it is owed"},
                },
                "date_of_birth": {"category": "customer_identity", "provenance": "provided"},
            },
        )
    ],
    "cases": [
        _row(
            "cases",
            identities={"case_ref": "case_ref"},
            subject={"via": "debtor_id", **_CUSTOMER},
            entities={"case": "case_ref"},
            events={"case_returned": "returned_on"},
            holds={
                "live_case": {"open_when_null": "returned_on", "since": "opened_on"},
                "complaint_on_case": {
                    "table": "complaints",
                    "via": "case_id",
                    "open_when_null": "closed_on",
                    "since": "opened_on",
                },
                "investigation_on_case": {
                    "table": "investigations",
                    "via": "case_id",
                    "open_when_null": "closed_on",
                    "since": "opened_on",
                },
            },
        )
    ],
    "payments": [_row("payments", subject=_BY_CASE, entities=_CASE)],
    "visits": [
        _row("agent_visits", subject=_BY_CASE, entities=_CASE),
        _row(
            "notes",
            subject=_BY_CASE,
            entities=_CASE,
            columns={"body": {"free_text": True, "provenance": "observed"}},
        ),
    ],
    "body_worn_video": [
        _row(
            "body_worn_video",
            subject=_BY_CASE,
            entities=_CASE,
            files=_files("body_worn_video"),
            events={"recording_made": "recorded_at"},
        )
    ],
    "call_recordings": [
        _row(
            "call_recordings",
            identities={"phone": "caller_number"},
            subject=_BY_CASE,
            entities=_CASE,
            files=_files("call_recordings"),
            events={"call_recorded": "recorded_at"},
        )
    ],
    "vulnerability_evidence": [
        _row(
            "vulnerability_evidence",
            subject={"via": "debtor_id", **_CUSTOMER},
            entities=_CASE,
            files=_files("vulnerability_evidence"),
            events={"assessment_completed": "assessed_at"},
        )
    ],
    "new_occupier_evidence": [
        _row(
            "new_occupiers",
            # The register finds a new occupier's evidence by email, name and address only
            # (occupier_ref and phone are held, but the register does not say they find one).
            identities={
                "email": "email",
                "name": ["title", "first_name", "last_name"],
                "address": _ADDRESS,
            },
        ),
        _row(
            "new_occupier_evidence",
            subject={"via": "new_occupier_id", "table": "new_occupiers", "key": "id"},
            files=_files("new_occupier_evidence"),
            events={
                "assessment_completed": {
                    "table": "assessments",
                    "via": "evidence_id",
                    "column": "assessed_at",
                }
            },
        ),
        _row(
            "assessments",
            subject={
                "via": "evidence_id",
                "table": "new_occupier_evidence",
                "key": "id",
                "then": {"via": "new_occupier_id", "table": "new_occupiers", "key": "id"},
            },
        ),
    ],
    "complaints": [
        _row(
            "complaints",
            subject=_BY_CASE,
            entities=_CASE,
            events={"complaint_closed": "closed_on"},
        ),
    ],
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
    # Never write a password to disk: whoever reads the file supplies it again.
    return make_url(url).render_as_string(hide_password=True)


def sources_document(
    *,
    organisation: str,
    files_dir: Path | None,
    register_datasets: set[str],
) -> dict[str, Any]:
    """The demo agency's sources file (docs/sources.md) as plain data.

    Without files (``--no-files``) there is no files connection and no binding names one.
    """
    unknown = sorted((set(DATASETS) | set(NOT_IN_DEMO)) - register_datasets)
    if unknown:
        raise ValidationFailed(
            f"the register of {organisation} lacks datasets the demo maps: {', '.join(unknown)}"
        )
    connections: dict[str, Any] = {
        OPERATIONAL: {
            "kind": "sql",
            "url_from": OPERATIONAL_URL_FROM,
            "mode": "read_write",
            "description": "The demo agency's operational database.",
        }
    }
    if files_dir is not None:
        connections[FILES] = {
            "kind": "files",
            "url_from": FILES_DIR_FROM,
            "mode": "read_write",
            "description": "Recordings and evidence files of the demo agency.",
        }
    # A JSON round trip turns shared sub-maps into plain copies (no YAML anchors).
    datasets: dict[str, list[dict[str, Any]]] = json.loads(json.dumps(DATASETS))
    if files_dir is None:
        for bindings in datasets.values():
            for binding in bindings:
                binding.pop("files", None)
    return {
        "format_version": FORMAT_VERSION,
        "organisation": organisation,
        "connections": connections,
        "datasets": datasets,
        "searched_by_hand": NOT_IN_DEMO,
        "not_in_register": NOT_IN_REGISTER,
    }


def sources_text(
    document: dict[str, Any],
    *,
    operational_url: str,
    files_dir: Path | None,
    seed: int,
    subjects: int,
) -> str:
    """The file's text: a header saying what to set, then the document.

    The header is comments only (the format has no place for them) and never a password.
    """
    header = [
        "# The demo agency's sources file (docs/sources.md), written by `dataward demo create`.",
        f"# Seed {seed}, {subjects} people.",
        f"# {OPERATIONAL_URL_FROM}={_safe_url(operational_url)}",
    ]
    if files_dir is not None:
        header.append(f"# {FILES_DIR_FROM}={files_dir}")
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


def write_sources(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def read_sources(path: Path) -> LoadedSources:
    """The demo's sources file, loaded strictly (``SourcesInvalid`` when it is not one)."""
    return load_sources(path)
