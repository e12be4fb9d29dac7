"""The bulk endpoint for portal batches: many people's requests in one call (SAR-10).

``POST /api/v1/requests/batch`` (scope ``requests:write``) takes a JSON array of the items
``POST /api/v1/requests`` takes, each with its own ``authority`` for the person it is about.
The answer is ``200`` with one result per item, in order: the request's ``ref`` and
``due_on``, or the ``error`` (code and detail) that refused that item alone. A batch is
all-or-nothing only at the edge: a body that is not an array, over the API's body cap (413
``body_too_large``) or over 1,000 items (413 ``request_batch_too_large``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ValidationError

from dataward.accounts.permissions import Permission
from dataward.requests.batch import MAX_LINES, BatchLine, open_batch
from dataward.requests.errors import BatchTooLarge, RequestInvalid
from dataward.uow import UnitOfWork
from dataward.web.api_requests import RequestIn, status_url_for
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import problems

router = APIRouter(prefix="/api/v1", tags=["requests"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]


class BatchItem(RequestIn):
    """One person's request: the body ``POST /api/v1/requests`` takes; ``authority`` is
    required unless requester_kind is self."""


class LineError(BaseModel):
    code: str
    detail: str


class BatchLineOut(BaseModel):
    index: int
    ref: str | None = None
    due_on: date | None = None
    error: LineError | None = None


class BatchOut(BaseModel):
    batch: str
    opened: int
    refused: int
    results: list[BatchLineOut]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` written in place (for an inline body)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


# FastAPI sees an array of anything (so one bad item cannot refuse the batch); the document
# shows what each item should be.
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": MAX_LINES,
                    "items": _inline(BatchItem.model_json_schema()),
                }
            }
        }
    }
}


def _line(item: Any) -> BatchLine:
    """One item as the service takes it, or refused with what is wrong with it."""
    try:
        body = BatchItem.model_validate(item)
    except ValidationError as error:
        problems_found = [
            f"{'.'.join(str(p) for p in e.get('loc', ())) or 'item'}: {e.get('msg', 'invalid')}"
            for e in error.errors()[:5]
        ]
        return BatchLine(refused=RequestInvalid("; ".join(problems_found)[:1000]))
    return BatchLine(new=body.as_new(), authority=body.evidence(), acknowledge=body.acknowledges())


@router.post(
    "/requests/batch",
    response_model=BatchOut,
    response_model_exclude_none=True,
    name="api_request_batch",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    openapi_extra=BATCH_BODY,
    responses=problems(401, 403, 413, 422, 429),
)
def request_batch(body: Annotated[list[Any], Body()], request: Request, uow: Uow) -> BatchOut:
    """Open many people's requests at once (a portal's batch). Each item is answered in
    order, opened or refused with its reason; one bad item never stops the rest."""
    if len(body) > MAX_LINES:
        raise BatchTooLarge(
            f"a batch holds at most {MAX_LINES} requests ({len(body)} sent): send the rest "
            "in another batch"
        )
    result = open_batch(
        uow,
        [_line(item) for item in body],
        actor=principal_of(request).actor,
        status_url=status_url_for(request),
    )
    uow.commit()
    return BatchOut(
        batch=result.ref,
        opened=result.opened,
        refused=result.refused,
        results=[
            BatchLineOut(
                index=line.index,
                ref=line.ref,
                due_on=line.due_on,
                error=LineError(code=line.code, detail=line.detail or "")
                if line.code is not None
                else None,
            )
            for line in result.lines
        ],
    )
