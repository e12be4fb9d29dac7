"""What the API says about one request beyond its own columns: the authority of someone
acting for the subject, the identity checks, the open tasks, the split, the letters sent.

Codes and outcomes only, except the authority's description: personal data sealed with the
request, shown only to a caller whose token reads requests (``requests:read``).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from dataward.requests.authority import authority_of, description_of
from dataward.requests.letters import letters_of
from dataward.requests.models import RightsRequest
from dataward.requests.split import parent_of, split_into
from dataward.requests.tasks import open_counts
from dataward.requests.verification import checks_of
from dataward.uow import UnitOfWork


class AuthorityOut(BaseModel):
    """SAR-10: the authority of the person acting for the subject, as checked so far."""

    evidence: str | None
    outcome: str | None = Field(description="accepted, not_enough, refused; null: not checked.")
    replies_to: str
    competence: str | None = Field(description="A parent acting for a child only.")
    asked_on: date | None
    checked_on: date | None
    description: str | None = Field(
        default=None, description="The evidence in words; only for a token that reads requests."
    )


class IdentityCheckOut(BaseModel):
    method: str
    outcome: str
    on: date


class LetterOut(BaseModel):
    kind: str
    delivery: str = Field(description="email (queued or sent) or post (printed and posted).")
    on: date | None
    message_status: str | None


class RequestFacts(BaseModel):
    authority: AuthorityOut | None
    identity_checks: list[IdentityCheckOut]
    open_tasks: int
    parent: str | None = Field(description="The request this one was split from.")
    split_into: list[str] = Field(description="The requests split from this one.")
    letters: list[LetterOut] = Field(description="The letters sent (never a preview).")


def request_facts(uow: UnitOfWork, row: RightsRequest, *, sealed: bool) -> RequestFacts:
    """The request's related records; ``sealed``: the caller may read the description."""
    found = authority_of(uow, row)
    authority = None
    if found is not None:
        authority = AuthorityOut(
            evidence=found.evidence,
            outcome=found.outcome,
            replies_to=found.replies_to,
            competence=found.competence,
            asked_on=found.asked_on,
            checked_on=found.checked_on,
            description=description_of(uow, row, found) if sealed else None,
        )
    parent = parent_of(uow, row)
    return RequestFacts(
        authority=authority,
        identity_checks=[
            IdentityCheckOut(method=c.method, outcome=c.outcome, on=c.on)
            for c in checks_of(uow, row)
        ],
        open_tasks=open_counts(uow, [row.id]).get(row.id, 0),
        parent=parent.ref if parent else None,
        split_into=[r.ref for r in split_into(uow, row)],
        letters=[
            LetterOut(kind=e.kind, delivery=e.delivery, on=e.on, message_status=e.message_status)
            for e in letters_of(uow, row)
            if e.delivery != "preview"
        ],
    )
