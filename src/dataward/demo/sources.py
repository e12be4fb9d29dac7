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

# JTR's live case and its return, read on a debtor's cases: the customer rule runs from the
# last case returned (``latest_of_entity``) and a live case keeps the customer's data.
_CASES_OF_DEBTOR = {"table": "cases", "via": "debtor_id"}
_RETURNED = {**_CASES_OF_DEBTOR, "column": "returned_on"}
_LIVE_CASE = {**_CASES_OF_DEBTOR, "open_when_null": "returned_on", "since": "opened_on"}

# How an erasure leaves a debtor's row. A debtor with a live case is kept whole by the
# live-case hold (the debt is still pursued); the rest lose what finds or reaches them. The
# case system requires a name and an address on every customer, so those are overwritten
# rather than emptied; the row stays because the client's cases and payments point at it.
_GONE = "set_null"
_REDACTED = {"anonymise": "redact"}
_DEBTOR_ERASURE: dict[str, Any] = {
    "customer_ref": {"keep": "the client's reference for the returned debt: the key of its cases"},
    "title": _REDACTED,
    "first_name": _REDACTED,
    "middle_name": _GONE,
    "last_name": _REDACTED,
    "address_line1": _REDACTED,
    "address_line2": _GONE,
    "town": _REDACTED,
    "postcode": _REDACTED,
    "vulnerable": {"category": "customer_health", "anonymise": "zero"},
}

_CLIENTS_CASE = "the client's instruction and the case's outcome, reported back to the client"
_VISIT_LOG = "the log of enforcement visits on the case, which complaints are answered from"
_COMPLAINT_LOG = "the complaint log, answered to the client and the regulator"
_OCCUPIED = "shows the customer does not live there: without it agents would call again"
_NAME_AND_ADDRESS = ["title", "first_name", "last_name", *_ADDRESS]
# A recording or a piece of evidence goes whole, with its file (docs/erasure.md).
_DELETED_WITH_FILE = {"file_path": {"erasure": "delete_row"}}
# JTR's new occupier evidence: "all photos or scanned documents will be deleted 2 working
# days after completion of the assessment". At the end of that period the file goes and the
# row stays (the assessment points at it, and the evidence's own due date is read on the
# assessment); emptying the path is what deletes the file (docs/retention.md). An erasure
# still deletes the row whole, its assessments first.
_FILES_GO_RECORD_STAYS = {
    "file_path": {"erasure": "delete_row", "retention": _GONE},
    "size_bytes": {"retention": _GONE},
}


def _erasure(how: Any) -> dict[str, Any]:
    if isinstance(how, dict) and "category" in how:
        category = how["category"]
        rest = {k: v for k, v in how.items() if k != "category"}
        return {"category": category, "erasure": rest}
    return {"erasure": how}


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
                "email": {
                    "category": "customer_contact",
                    "provenance": "provided",
                    "erasure": _GONE,
                },
                "phone": {
                    "category": "customer_contact",
                    "provenance": "provided",
                    "erasure": _GONE,
                },
                "ni_number": {
                    "category": "customer_identity",
                    "provenance": "provided",
                    "erasure": _GONE,
                },
                "date_of_birth": {
                    "category": "customer_identity",
                    "provenance": "provided",
                    "erasure": _GONE,
                },
                **{column: _erasure(how) for column, how in _DEBTOR_ERASURE.items()},
                # Kept on erasure while the client's cases are keyed by it; six years after
                # the last case returned the cases no longer point at the row, and the
                # client's reference would still find the customer.
                "customer_ref": {**_erasure(_DEBTOR_ERASURE["customer_ref"]), "retention": _GONE},
            },
            events={"case_returned": _RETURNED},
            holds={"live_case": _LIVE_CASE},
        )
    ],
    "cases": [
        _row(
            "cases",
            identities={"case_ref": "case_ref"},
            subject={"via": "debtor_id", **_CUSTOMER},
            entities={"case": "case_ref"},
            events={"case_returned": "returned_on"},
            columns={
                "case_ref": {"erasure": {"keep": _CLIENTS_CASE}},
                # When the customer rule's period ends the case stays (evidence, investigations
                # and the client's figures point at it) but is no longer anyone's.
                "debtor_id": {"retention": _GONE},
            },
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
    "payments": [
        _row(
            "payments",
            subject=_BY_CASE,
            entities=_CASE,
            columns={
                "amount_pence": {
                    "erasure": {"keep": "the accounting record of money collected for the client"},
                    # Six years after the last case returned, the accounting record has
                    # served its period too.
                    "retention": "delete_row",
                }
            },
        )
    ],
    "visits": [
        _row(
            "agent_visits",
            subject=_BY_CASE,
            entities=_CASE,
            columns={
                "outcome": {"erasure": {"keep": _VISIT_LOG}},
                # A visit's recording points at it: the visit stays, no longer anyone's.
                "case_id": {"retention": _GONE},
            },
        ),
        _row(
            "notes",
            subject=_BY_CASE,
            entities=_CASE,
            # Kept, not redacted: a live case keeps its notes, and the notes' case is a row
            # they point at, which a hold of this file cannot be read through yet.
            columns={
                "body": {
                    "free_text": True,
                    "provenance": "observed",
                    "erasure": {"keep": _VISIT_LOG},
                    "retention": "delete_row",
                }
            },
        ),
    ],
    "body_worn_video": [
        _row(
            "body_worn_video",
            subject=_BY_CASE,
            entities=_CASE,
            files=_files("body_worn_video"),
            events={"recording_made": "recorded_at"},
            # Erased with its file, unless a hold keeps it (a complaint on the visit's case).
            columns={"file_path": {"erasure": "delete_row"}},
        )
    ],
    "call_recordings": [
        _row(
            "call_recordings",
            identities={"phone": "caller_number"},
            subject=_BY_CASE,
            entities=_CASE,
            files=_files("call_recordings"),
            columns=_DELETED_WITH_FILE,
            events={"call_recorded": "recorded_at"},
        )
    ],
    "vulnerability_evidence": [
        _row(
            "vulnerability_evidence",
            subject={"via": "debtor_id", **_CUSTOMER},
            entities=_CASE,
            files=_files("vulnerability_evidence"),
            columns=_DELETED_WITH_FILE,
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
            columns={
                "email": {"erasure": _GONE},
                "phone": {"erasure": _GONE},
                **{column: {"erasure": {"keep": _OCCUPIED}} for column in _NAME_AND_ADDRESS},
            },
        ),
        _row(
            "new_occupier_evidence",
            subject={"via": "new_occupier_id", "table": "new_occupiers", "key": "id"},
            files=_files("new_occupier_evidence"),
            columns=_FILES_GO_RECORD_STAYS,
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
            # The evidence it assessed goes, so the assessment goes first (it points at it).
            columns={"outcome": {"erasure": "delete_row"}},
        ),
    ],
    "complaints": [
        _row(
            "complaints",
            subject=_BY_CASE,
            entities=_CASE,
            events={"complaint_closed": "closed_on"},
            columns={"category": {"erasure": {"keep": _COMPLAINT_LOG}, "retention": "delete_row"}},
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
