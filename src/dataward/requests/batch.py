"""A portal's batch of requests, many people at once (SAR-10). Never commits.

Each line is one person's request with the authority the portal holds for that person
(checked per person, as SAR-10 asks). A bad line is refused with its reason and leaves
nothing behind; the rest open as if each had come alone. Each line runs in a savepoint of
its own, so a failure rolls back only that line.
The register is loaded once per organisation, not once per line.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

from dataward.audit.service import lock_chain, record
from dataward.errors import DatawardError
from dataward.register.models import Register
from dataward.requests.acknowledgement import acknowledge
from dataward.requests.audit_actions import REQUEST_BATCH_RECEIVED
from dataward.requests.authority import Evidence, check_evidence, receive_authority
from dataward.requests.errors import BatchTooLarge, RequestInvalid
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, open_request, register_of
from dataward.uow import UnitOfWork

# The signed status page's address for a request (the edge knows the key and public URL).
StatusUrl = Callable[[RightsRequest], str]
# The most lines one batch may hold; a portal sends more as several batches.
MAX_LINES = 1000


@dataclass(frozen=True)
class BatchLine:
    """One person's request, and the authority held for them (None when they asked
    themselves). ``refused``: the edge could not read the line at all."""

    new: NewRequest | None = None
    authority: Evidence | None = None
    refused: DatawardError | None = None
    # Email the requester the acknowledgement at once (where they gave an address).
    acknowledge: bool = False


@dataclass(frozen=True)
class LineResult:
    index: int
    ref: str | None = None
    due_on: date | None = None
    code: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class BatchResult:
    ref: str
    lines: list[LineResult]

    @property
    def opened(self) -> int:
        return sum(1 for line in self.lines if line.ref is not None)

    @property
    def refused(self) -> int:
        return len(self.lines) - self.opened


@contextmanager
def _savepoint(uow: UnitOfWork) -> Iterator[None]:
    """Only this line's writes are undone when it fails.

    The key store gets no savepoint: a line is checked in full before its data key is
    made, and a key left behind by a failure after that is harmless (``UnitOfWork``), while
    a savepoint there cost a commit per line on SQLite (its first SAVEPOINT opens the
    transaction, so each RELEASE committed)."""
    main = uow.session.begin_nested()
    try:
        yield
    except BaseException:
        main.rollback()
        raise
    main.commit()


class _Registers:
    """One register load per organisation; an organisation with none is refused each time."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._found: dict[str, Register | DatawardError] = {}

    def of(self, organisation: str) -> Register:
        if organisation not in self._found:
            try:
                self._found[organisation] = register_of(self._uow, organisation)
            except DatawardError as error:
                self._found[organisation] = error
        found = self._found[organisation]
        if isinstance(found, DatawardError):
            raise found
        return found


def _open_line(
    uow: UnitOfWork,
    line: BatchLine,
    registers: _Registers,
    actor: str,
    status_url: StatusUrl | None,
) -> RightsRequest:
    if line.refused is not None:
        raise line.refused
    assert line.new is not None
    if line.authority is None and line.new.requester_kind != "self":
        raise RequestInvalid(
            "a line for someone acting for the subject needs their authority for this "
            "person (SAR-10: checked per person)"
        )
    return open_with_authority(
        uow,
        line.new,
        line.authority,
        actor=actor,
        register=registers.of(line.new.organisation),
        status_url=status_url if line.acknowledge else None,
    )


def open_with_authority(
    uow: UnitOfWork,
    new: NewRequest,
    authority: Evidence | None,
    *,
    actor: str,
    register: Register | None = None,
    status_url: StatusUrl | None = None,
) -> RightsRequest:
    """Open one request with the authority held for its subject (SAR-10: checked in full
    before anything is written), recorded as received and not yet checked. With
    ``status_url`` (the request's signed status address), the requester is acknowledged
    by email at once (``requests.acknowledgement``); after the authority, which decides
    where replies may go."""
    if authority is not None:
        check_evidence(authority, new.requester_kind, new.received_on)
        if not new.requester.authority.strip():
            # The requester's own record of the authority seen, sealed with their details.
            requester = replace(new.requester, authority=authority.kind.replace("_", " "))
            new = replace(new, requester=requester)
    row = open_request(uow, new, actor=actor, register=register)
    if authority is not None:
        receive_authority(uow, row, authority, actor=actor)
    if status_url is not None:
        acknowledge(uow, row, status_url(row), actor=actor)
    return row


def open_batch(
    uow: UnitOfWork,
    lines: Sequence[BatchLine],
    *,
    actor: str,
    status_url: StatusUrl | None = None,
) -> BatchResult:
    """Open every good line; refuse each bad one with its code and reason, in order.
    ``status_url`` signs a request's status address, for the lines to acknowledge."""
    if len(lines) > MAX_LINES:
        raise BatchTooLarge(
            f"a batch holds at most {MAX_LINES} requests ({len(lines)} sent): send the rest "
            "in another batch"
        )
    # Starts the transaction (SQLite begins one only at the first write) and holds the
    # audit chain for the whole batch, so each line's savepoint nests inside it.
    lock_chain(uow.session)
    registers = _Registers(uow)
    results: list[LineResult] = []
    for index, line in enumerate(lines):
        try:
            with _savepoint(uow):
                row = _open_line(uow, line, registers, actor, status_url)
        except DatawardError as error:
            results.append(LineResult(index, code=error.code, detail=error.message))
            continue
        results.append(LineResult(index, ref=row.ref, due_on=row.due_on))
    result = BatchResult("b_" + secrets.token_hex(8), results)
    record(
        uow,
        actor=actor,
        action=REQUEST_BATCH_RECEIVED,
        entity_type="request_batch",
        entity_id=result.ref,
        details={"lines": len(lines), "opened": result.opened, "refused": result.refused},
    )
    return result
