"""Pydantic shapes of the JSON API (they also document it in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from dataward.web.errors import PROBLEM_JSON

# PostgreSQL cannot store or compare text holding NUL, and no name, reference or identity
# holds one: the API refuses it in every text it reads, as the schema says, rather than let
# the database fail with a 500 (found by the fuzzing test, issue 14, "make it stay fixed").
NO_NUL = r"^[^\x00]*$"


class SeverityCounts(BaseModel):
    error: int
    warning: int
    info: int


class CoverageFigure(BaseModel):
    covered: int = Field(description="Facts covered by an accepted claim of the right kind.")
    total: int
    rejected_claims: int = Field(
        description="Claims by elements that cannot carry the fact; they count for nothing."
    )
    problems: int
    fact_sheet_note: str


class OrganisationLinks(BaseModel):
    page: str
    notice: str
    lint: str
    register_json: str
    ropa: str


class OrganisationSummary(BaseModel):
    organisation: str = Field(description="Organisation id, as used in URLs.")
    name: str
    version: int = Field(description="Version number of the stored register.")
    loaded_at: datetime
    content_hash: str
    lint: SeverityCounts
    coverage: CoverageFigure | None
    links: OrganisationLinks


class OrganisationList(BaseModel):
    organisations: list[OrganisationSummary]


class LintFindingOut(BaseModel):
    rule_id: str
    severity: str
    title: str
    message: str
    path: str = Field(description="Dotted path of the register element.")
    file: str
    line: int
    column: int
    rules_ref: str = Field(description="The RULES.md requirement the rule enforces.")


class LintReport(BaseModel):
    organisation: str
    version: int
    counts: SeverityCounts
    findings: list[LintFindingOut]


class RegisterDocument(BaseModel):
    organisation: str
    version: int
    content_hash: str
    loaded_at: datetime
    body: dict[str, Any] = Field(
        serialization_alias="register",
        description="The register, as its JSON Schema describes (`dataward register schema`).",
    )


class Health(BaseModel):
    status: str
    database: str
    organisations: int


class Problem(BaseModel):
    """RFC 9457 problem details: every API error has this shape and a stable ``code``."""

    type: str = Field(examples=["https://dataward.dev/errors/scope_missing"])
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable error code clients may rely on.")
    instance: str | None = None
    errors: list[str] | None = Field(default=None, description="Each problem found, if several.")
    reference: str | None = Field(default=None, description="Log reference of a 500.")


_PROBLEM_TEXT = {
    400: "The body cannot be read: not UTF-8, or not JSON (`bad_request`).",
    401: "No valid credentials: a missing, unknown, expired or revoked token "
    "(`token_invalid`, `token_expired`, `login_required`).",
    403: "The token lacks the scope this route needs (`scope_missing`), or the role lacks "
    "the permission (`forbidden`).",
    404: "Not found: the organisation, subject or address does not exist.",
    409: "Conflicts with existing data.",
    410: "The subject's data was destroyed (`subject_shredded`).",
    413: "The request body is larger than this route's cap (`body_too_large`).",
    422: "The request body or parameters are not valid (`validation_failed`, or the "
    "domain's own code); `errors` lists each problem.",
    429: "This client earned too many refusals in the window (`too_many_requests`): wait "
    "for Retry-After, then try again.",
    503: "A dependency (database, key store) is unavailable.",
}


# A typical answer per status, so /docs shows a 404 as a 404 (the schema's own example
# would show any status with the same code).
_PROBLEM_EXAMPLES = {
    400: ("bad_request", "Bad Request", "There was an error parsing the body"),
    401: ("token_invalid", "API token not accepted", "this API token is not valid"),
    403: ("scope_missing", "API token lacks a scope", "this token lacks the needed scope"),
    404: ("register_not_found", "Register not found", "no register for organisation 'x'"),
    413: ("body_too_large", "Request body too large", "the body is larger than this route accepts"),
    422: ("validation_failed", "Unprocessable Entity", "The request is not valid."),
}


def problem_response(status: int) -> dict[str, Any]:
    """One OpenAPI answer: ``status`` as problem+json, with the shared Problem schema."""
    media: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if status in _PROBLEM_EXAMPLES:
        code, title, detail = _PROBLEM_EXAMPLES[status]
        media["example"] = {
            "type": f"https://dataward.dev/errors/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
    return {"description": _PROBLEM_TEXT.get(status, "Error."), "content": {PROBLEM_JSON: media}}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses, as problem+json.

    ``web/openapi.py`` adds the shared Problem schema to the document, and the answers the
    edge gives to every route of a kind (credentials, bodies, parameters).
    """
    return {status: problem_response(status) for status in statuses}


# Bodies that routes read themselves (streamed or capped), so FastAPI cannot see them.
DECISION_LINES_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One JSON object per line: `subject_ref` or `identity` (`kind`, "
        "`value`), with optional `purpose`, `channel`, `consent_ref` and your own `id`.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}
_COOKIE_CHOICE_FIELDS: dict[str, Any] = {
    "policy_version": {"type": "string"},
    "text_hash": {"type": "string"},
    "token": {"type": "string", "description": "The banner's signature, as issued."},
    "choice": {"type": "object", "additionalProperties": {"type": "boolean"}},
    "visitor": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
    "gpc": {"type": "boolean"},
}
COOKIE_CHOICE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The choice as the banner's script sends it (at most 2 KiB): the "
        "banner's `policy_version`, `text_hash` and `token`, `choice` (true or false per "
        "optional category), a random `visitor` id and `gpc`.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": sorted(_COOKIE_CHOICE_FIELDS),
                    "additionalProperties": False,
                    "properties": _COOKIE_CHOICE_FIELDS,
                }
            }
        },
    }
}
