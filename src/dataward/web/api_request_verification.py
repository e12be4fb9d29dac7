"""JSON API for proving a requester's identity: send a code, check it, a knowledge check.

Scope ``requests:write``. Answers never carry a code or an answer: a knowledge check comes
back as matched / not matched / not on record per question. A wrong code is counted (five
kill it) and answered 422 ``request_code_wrong``; used, expired and dead codes are 422 with
their own codes; too many codes in an hour is 429 ``request_code_throttled``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.requests.verification import (
    QUESTIONS,
    check_email_code,
    record_knowledge_check,
    send_email_code,
)
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["requests"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]
Answer = Annotated[str, Field(max_length=500, pattern=NO_NUL)]


class CodeSent(BaseModel):
    expires_at: datetime = Field(description="When the code stops working.")


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=12, pattern=NO_NUL, examples=["042917"])


class CodeOut(BaseModel):
    outcome: Literal["verified", "email_confirmed"] = Field(
        description="verified: the address is the linked subject's, identity is verified; "
        "email_confirmed: the requester reads that mailbox, which proves nothing more."
    )
    identity_verified: bool


class KnowledgeIn(BaseModel):
    answers: dict[Annotated[str, Field(max_length=40, pattern=NO_NUL)], Answer] = Field(
        max_length=len(QUESTIONS),
        description="The requester's answers by question (two at least): "
        + ", ".join(QUESTIONS)
        + ". Compared, never stored.",
        examples=[{"date_of_birth": "1980-02-29", "postcode": "SW1A 1AA"}],
    )


class KnowledgeOut(BaseModel):
    outcome: Literal["verified", "not_verified"]
    results: dict[str, Literal["matched", "not_matched", "not_on_record"]]
    identity_verified: bool


@router.post(
    "/requests/{organisation}/{ref}/verification/code",
    response_model=CodeSent,
    status_code=202,
    name="api_request_code_send",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 429),
)
def code_send(organisation: PathText, ref: PathText, request: Request, uow: Uow) -> CodeSent:
    """Email the requester a one-time code (three an hour at most)."""
    sent = send_email_code(uow, organisation[:80], ref[:32], actor=principal_of(request).actor)
    uow.commit()
    return CodeSent(expires_at=sent.expires_at)


@router.post(
    "/requests/{organisation}/{ref}/verification/check",
    response_model=CodeOut,
    name="api_request_code_check",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 413, 422, 429),
)
def code_check(
    organisation: PathText, ref: PathText, body: CodeIn, request: Request, uow: Uow
) -> CodeOut:
    """Check the code the requester gave; single use, dead after five wrong tries."""
    result = check_email_code(
        uow, organisation[:80], ref[:32], body.code, actor=principal_of(request).actor
    )
    uow.commit()  # a wrong try is counted even though the answer is no
    if result.refusal is not None:
        raise result.refusal
    verified = result.outcome == "verified"
    return CodeOut(
        outcome="verified" if verified else "email_confirmed", identity_verified=verified
    )


@router.post(
    "/requests/{organisation}/{ref}/verification/knowledge",
    response_model=KnowledgeOut,
    name="api_request_knowledge_check",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 413, 422, 429),
)
def knowledge_check(
    organisation: PathText, ref: PathText, body: KnowledgeIn, request: Request, uow: Uow
) -> KnowledgeOut:
    """Compare the answers with the linked subject's record; all matched (two at least)
    verifies identity (method ``knowledge_check``)."""
    check = record_knowledge_check(
        uow, organisation[:80], ref[:32], dict(body.answers), actor=principal_of(request).actor
    )
    uow.commit()
    verified = check.outcome == "verified"
    return KnowledgeOut(
        outcome="verified" if verified else "not_verified",
        results=dict(check.answers),
        identity_verified=verified,
    )
