"""JSON API for a caseworker's note on a request: ``POST .../notes`` (scope
``requests:write``). The note is sealed with the request and never comes back in a list or
a log; the answer says where it went in the history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.requests.notes import add_note
from dataward.requests.service import MAX_TEXT
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["requests"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]


class NoteIn(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        pattern=NO_NUL,
        description="The note, in the caseworker's words (sealed with the request).",
    )
    on: date | None = Field(
        default=None, description="The day it is about; today when left out. Not after today."
    )


class NoteOut(BaseModel):
    ref: str
    seq: int = Field(description="Its place in the request's history.")
    on: date
    actor: str
    state: str = Field(description="The request's state, unchanged by the note.")


@router.post(
    "/requests/{organisation}/{ref}/notes",
    response_model=NoteOut,
    status_code=201,
    name="api_request_note",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 413, 422, 429),
)
def request_note(
    organisation: PathText, ref: PathText, body: NoteIn, request: Request, uow: Uow
) -> NoteOut:
    """Add a note to the request's history without changing its state."""
    actor = principal_of(request).actor
    on = body.on or uow.clock.today()
    event = add_note(uow, organisation[:80], ref[:32], body.text, actor=actor, on=on)
    uow.commit()
    return NoteOut(ref=ref[:32], seq=event.seq, on=event.on, actor=actor, state=event.to_state)
