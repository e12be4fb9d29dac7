"""Pydantic shapes of the JSON API (they also document it in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
    400: "The request is malformed.",
    401: "No valid credentials: a missing, unknown, expired or revoked token "
    "(`token_invalid`, `token_expired`, `login_required`).",
    403: "The token lacks the scope this route needs (`scope_missing`), or the role lacks "
    "the permission (`forbidden`).",
    404: "Not found.",
    409: "Conflicts with existing data.",
    413: "The request body is larger than this route's cap (`body_too_large`).",
    422: "The request body or parameters are not valid.",
    429: "This client earned too many refusals in the window (`too_many_requests`); "
    "see Retry-After.",
    503: "A dependency (database, key store) is unavailable.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses, as problem+json."""
    return {
        status: {
            "model": Problem,
            "description": _PROBLEM_TEXT.get(status, "Error."),
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }
