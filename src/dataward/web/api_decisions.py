"""The decision API: one question by GET, campaign lists by streamed JSON lines.

GET takes a subject reference only: identity values travel in request bodies, never in
URLs (URLs end up in logs and history). The batch reads the whole body first (in memory,
capped) unless the client asks for ``stream=true``; then it answers a chunk at a time
while the body arrives, so memory stays flat however long the list is.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from dataward.accounts.permissions import Permission
from dataward.consent.batch import CHUNK as BATCH_CHUNK
from dataward.consent.batch import MAX_LINE, Defaults, Tally, finish_chunk, prepare_guarded
from dataward.consent.decisions import Ask, decide
from dataward.consent.fast_path import DecisionReader
from dataward.consent.policy import check_channel, policy_for
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork
from dataward.web.auth import api, app_uow, check_bearer, remembered_principal
from dataward.web.deps import get_uow
from dataward.web.schemas import DECISION_LINES_BODY, NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["decisions"])
Uow = Annotated[UnitOfWork, Depends(get_uow)]
CHUNK = BATCH_CHUNK


class DuplexStream(StreamingResponse):
    """Streams the answer while the request body is still being read.

    Starlette's own streaming response (before ASGI 2.4) listens for a disconnect by
    calling ``receive`` beside the stream, which would take the body chunks the batch is
    still reading and stall it; here the body reader is the only one receiving.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.stream_response(send)
        except OSError:
            raise ClientDisconnect() from None


class DecisionOut(BaseModel):
    allow: bool
    code: str = Field(description="Stable reason code of the answer (docs/decisions.md).")
    reasons: list[str]
    rules: list[str]
    records: list[str]
    subject_ref: str | None


@router.get(
    "/decisions",
    response_model=DecisionOut,
    name="api_decision",
    dependencies=[api(Permission.DECISIONS_READ, inline=True)],
    responses=problems(401, 403, 404, 409, 422),
)
async def decision(
    request: Request,
    organisation: Annotated[str, Query(min_length=1, max_length=80, pattern=NO_NUL)],
    subject: Annotated[
        str,
        Query(min_length=1, max_length=32, pattern=NO_NUL, description="Pseudonymous subject ref."),
    ],
    purpose: Annotated[str, Query(min_length=1, max_length=80, pattern=NO_NUL)],
    channel: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    consent: Annotated[
        str | None,
        Query(max_length=32, pattern=NO_NUL, description="A consent ref the caller relies on."),
    ] = None,
) -> JSONResponse:
    """May the subject's data be used for the purpose, or the subject contacted on the
    channel? The answer, the reasons in words, the RULES ids and the records relied on."""

    # One unit of work for the token check and the decision (the rule is inline), and the
    # answer is already plain data, so it is not validated again on the way out: this is
    # the API campaigns call per person.
    def answer() -> dict[str, object]:
        with app_uow(request, read_only=True) as uow:
            check_bearer(request, uow)
            found = decide(uow, organisation, subject, purpose, channel, consent_ref=consent)
            return found.as_dict()

    # A token accepted a moment ago is checked without the database, so the decision may
    # be answered on the event loop; a token to look up (its check may write a refusal)
    # goes to a thread with the decision, as does whatever the reader cannot answer.
    if remembered_principal(request) is not None:
        reader: DecisionReader = request.app.state.decision_reader
        ask = Ask(purpose, channel, subject_ref=subject, consent_ref=consent)
        found = await reader.decide_on_the_loop(organisation, ask)
        if found is not None:
            return JSONResponse(found.as_dict())
    return JSONResponse(await run_in_threadpool(answer))


@router.post(
    "/decisions/batch",
    name="api_decision_batch",
    dependencies=[api(Permission.DECISIONS_READ)],
    openapi_extra=DECISION_LINES_BODY,
    responses={
        200: {
            "content": {"application/x-ndjson": {}},
            "description": "One JSON line per input line, then a summary line.",
        },
        **problems(401, 403, 404, 413, 422),
    },
)
async def decision_batch(
    request: Request,
    organisation: Annotated[str, Query(min_length=1, max_length=80, pattern=NO_NUL)],
    purpose: Annotated[str | None, Query(min_length=1, max_length=80, pattern=NO_NUL)] = None,
    channel: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    stream: Annotated[
        bool,
        Query(
            description="Answer while the body is still arriving (the client must read "
            "while it writes); otherwise the body is read first, up to "
            "DATAWARD_BATCH_BODY_MAX_BYTES, then answered."
        ),
    ] = False,
) -> StreamingResponse:
    """JSON lines in (``{"subject_ref": ...}`` or ``{"identity": {"kind", "value"}}``, with
    optional ``purpose``, ``channel``, ``consent_ref`` and your own ``id``), JSON lines out."""
    state = request.app.state

    def open_uow() -> UnitOfWork:
        return UnitOfWork(state.session_factory, state.clock, state.vault, read_only=True)

    def check() -> None:
        with open_uow() as uow:
            policy = policy_for(uow, organisation)
            if purpose is not None:
                policy.purpose(purpose)
        check_channel(channel)

    # Refuse a wrong organisation, purpose or channel before the first byte is sent.
    await run_in_threadpool(check)
    defaults = Defaults(purpose, channel)
    # A client that writes the whole body before it reads (most HTTP libraries) would
    # never read answers sent while it writes: both sides' buffers fill and both wait.
    # Unless it asked for streaming, the body is read first, in memory only (it holds
    # identities), up to a cap, and answered after.
    source: _BodySource = request
    if not stream:
        source = await _spool(request)

    def answer(numbered: list[tuple[int, bytes | str]], tally: Tally) -> bytes:
        prepared = prepare_guarded(open_uow, organisation, numbered, defaults)
        rows = finish_chunk(prepared, tally)
        return b"".join(json.dumps(r).encode() + b"\n" for r in rows)

    async def lines() -> AsyncIterator[bytes]:
        # One chunk at a time, answered as soon as it is complete. Looking the next chunk
        # up while answering this one (as run_batch does) would hold a streaming
        # client's answers until its next chunk arrived, and was no faster in the one
        # benchmark run it had (benchmarks/batch_http_bench.py): both halves compete for
        # the interpreter.
        tally = Tally()
        try:
            async for numbered in _chunks(_numbered_lines(source)):
                yield await run_in_threadpool(answer, numbered, tally)
        except DatawardError as error:
            # The status line is long gone: the last line says why answering stopped (a
            # batch_interrupted says where), and no summary follows, so a client cannot
            # take a cut list for a whole one.
            problem = {"error": {"code": error.code, "detail": error.message}}
            yield json.dumps(problem).encode() + b"\n"
            return
        yield json.dumps({"summary": tally.as_dict()}).encode() + b"\n"

    if stream:
        return DuplexStream(lines(), media_type="application/x-ndjson")
    return StreamingResponse(lines(), media_type="application/x-ndjson")


class _BodySource(Protocol):
    def stream(self) -> AsyncIterator[bytes]: ...


class _Spooled:
    """A request body read in full, handed out again chunk by chunk (and let go of)."""

    def __init__(self, chunks: deque[bytes]) -> None:
        self._chunks = chunks

    async def stream(self) -> AsyncIterator[bytes]:
        while self._chunks:
            yield self._chunks.popleft()


async def _spool(request: Request) -> _Spooled:
    """The whole body in memory. Its cap (DATAWARD_BATCH_BODY_MAX_BYTES) is the body gate's
    (``web.bodies``), which refuses and audits a body over it before or while it is read."""
    chunks: deque[bytes] = deque()
    async for chunk in request.stream():
        chunks.append(chunk)
    return _Spooled(chunks)


async def _chunks(
    numbered: AsyncIterator[tuple[int, bytes]],
) -> AsyncIterator[list[tuple[int, bytes | str]]]:
    """Numbered lines ``CHUNK`` at a time."""
    pending: list[tuple[int, bytes | str]] = []
    async for line in numbered:
        pending.append(line)
        if len(pending) >= CHUNK:
            yield pending
            pending = []
    if pending:
        yield pending


async def _numbered_lines(request: _BodySource) -> AsyncIterator[tuple[int, bytes]]:
    """Non-blank lines with their numbers; an over-long line is cut off, never buffered."""
    rest = b""
    line_no = 0
    skipping = False  # inside a line already reported as too long
    async for chunk in request.stream():
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for line in parts:
            if skipping:
                skipping = False
                continue
            line_no += 1
            if line.strip():
                yield line_no, line
        if len(rest) > MAX_LINE:
            if not skipping:
                line_no += 1
                yield line_no, b" " * (MAX_LINE + 1)  # answered as "line is too long"
            skipping = True
            rest = b""
    if rest.strip() and not skipping:
        yield line_no + 1, rest
