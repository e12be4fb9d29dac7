"""A portal's batch of requests, many people at once (SAR-10). Never commits.

Each line is one person's request with the authority the portal holds for that person
(checked per person, as SAR-10 asks). A bad line is refused with its reason and leaves
nothing behind; the rest open as if each had come alone, with the same rows, history and
audit entries, in the same order.

Set-based, because a portal sends a thousand lines at a time: every line is checked first
with the checks ``open_request`` makes (no database but one register load per organisation),
the subjects the lines name are looked up in one query per organisation, and then the good
lines are written together: their data keys in one flush, the requests in another, their
tasks, events and authorities in a third, and their audit entries in one ``record_many``
(one hold of the chain). A line whose request takes effect at once (an objection to
marketing or a consent withdrawal for a known subject: the consent services write and audit
it) is opened alone, in a savepoint of its own, after the lines before it are written, so
the chain keeps the lines' order. Should the database refuse a group no check foresaw, the
group is undone and its lines opened one by one in savepoints, as the only fallback.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from dataward.audit.service import AuditEntry, lock_chain, record, record_many
from dataward.crypto.keyring import create_data_keys
from dataward.errors import DatawardError
from dataward.logging import get_logger
from dataward.register.models import Register
from dataward.register.nation import register_nation
from dataward.requests.acknowledgement import acknowledge, acknowledge_all
from dataward.requests.audit_actions import REQUEST_BATCH_RECEIVED, REQUEST_RECEIVED
from dataward.requests.authority import (
    Evidence,
    authority_received,
    check_evidence,
    receive_authority,
)
from dataward.requests.errors import BatchTooLarge, RequestInvalid
from dataward.requests.immediate import AT_ONCE
from dataward.requests.models import RightsRequest
from dataward.requests.service import (
    NewRequest,
    add_event,
    check_request,
    open_request,
    received_audit,
    register_of,
    request_row,
)
from dataward.requests.task_plan import plan_tasks
from dataward.subjects.errors import SubjectNotFound
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

log = get_logger(__name__)

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
    """Only these writes are undone when they fail.

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


@dataclass(frozen=True)
class _Ready:
    """A line that passed every check: what opening it takes."""

    index: int
    new: NewRequest
    rights: list[str]
    register: Register
    authority: Evidence | None
    acknowledge: bool = False
    subject_id: str | None = None

    @property
    def at_once(self) -> bool:
        """Its request takes effect as it opens (OBJ-02, LAW-05): opened alone."""
        return self.subject_id is not None and any(r in AT_ONCE for r in self.rights)


def _check_line(uow: UnitOfWork, index: int, line: BatchLine, registers: _Registers) -> _Ready:
    """Every check a line must pass before anything is written, in the order opening it
    alone makes them, so a line is refused for the same reason either way."""
    if line.refused is not None:
        raise line.refused
    new = line.new
    assert new is not None
    if line.authority is None:
        if new.requester_kind != "self":
            raise RequestInvalid(
                "a line for someone acting for the subject needs their authority for this "
                "person (SAR-10: checked per person)"
            )
    else:
        new = _with_authority(new, line.authority)
    register = registers.of(new.organisation)
    rights = check_request(uow, new)
    register_nation(register)
    return _Ready(index, new, rights, register, line.authority, line.acknowledge)


def _with_authority(new: NewRequest, authority: Evidence) -> NewRequest:
    """The authority checked (SAR-10, before anything is written), and named in the
    requester's own record (sealed with their details) when they did not describe it."""
    check_evidence(authority, new.requester_kind, new.received_on)
    if new.requester.authority.strip():
        return new
    return replace(
        new, requester=replace(new.requester, authority=authority.kind.replace("_", " "))
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
    """Open one request (the API's) with the authority held for its subject, recorded as
    received and not yet checked. With ``status_url`` (the request's signed status
    address), the requester is acknowledged by email at once (``requests.acknowledgement``),
    after the authority, which decides where replies may go."""
    if authority is not None:
        new = _with_authority(new, authority)
    row = open_request(uow, new, actor=actor, register=register)
    if authority is not None:
        receive_authority(uow, row, authority, actor=actor)
    if status_url is not None:
        acknowledge(uow, row, status_url(row), actor=actor)
    return row


def _with_subjects(uow: UnitOfWork, ready: list[_Ready]) -> list[_Ready | DatawardError]:
    """Each line with the id of the subject it names: one query per organisation rather
    than one per line; a line naming no live subject is refused as ``get_subject`` would."""
    wanted: dict[str, set[str]] = {}
    for one in ready:
        if one.new.subject_ref:
            wanted.setdefault(one.new.organisation, set()).add(one.new.subject_ref)
    found: dict[tuple[str, str], str] = {}
    for organisation, refs in wanted.items():
        rows = uow.session.execute(
            select(Subject.ref, Subject.id).where(
                Subject.organisation == organisation,
                Subject.ref.in_(sorted(refs)),
                Subject.shredded_at.is_(None),
            )
        )
        found.update(((organisation, ref), id_) for ref, id_ in rows)
    out: list[_Ready | DatawardError] = []
    for one in ready:
        ref = one.new.subject_ref
        if not ref:
            out.append(one)
        elif (one.new.organisation, ref) in found:
            out.append(replace(one, subject_id=found[(one.new.organisation, ref)]))
        else:
            out.append(SubjectNotFound(f"no subject {ref!r} in {one.new.organisation}"))
    return out


def _open_together(uow: UnitOfWork, group: list[_Ready], actor: str) -> list[RightsRequest]:
    """Checked lines written set-based; their audit entries appended in the lines' order."""
    key_ids = create_data_keys(uow, [one.new.organisation for one in group])
    rows = [
        request_row(
            uow, one.new, one.rights, one.register, subject_id=one.subject_id, key_id=key_id
        )
        for one, key_id in zip(group, key_ids, strict=True)
    ]
    uow.session.add_all(rows)
    uow.session.flush()  # the requests first: tasks, events and authorities point at them
    entries: list[AuditEntry] = []
    for one, row in zip(group, rows, strict=True):
        tasks = plan_tasks(uow, row, one.register)
        add_event(uow, row, REQUEST_RECEIVED, None, actor=actor, on=one.new.received_on, seq=1)
        entries.append(received_audit(row, one.new.subject_ref, len(tasks), actor))
        if one.authority is not None:
            entries.append(authority_received(uow, row, one.authority, actor=actor)[1])
    uow.session.flush()
    record_many(uow, entries)
    return rows


def _open_alone(uow: UnitOfWork, one: _Ready, actor: str) -> RightsRequest:
    """One line as ``open_request`` opens it (with what takes effect at once)."""
    row = open_request(uow, one.new, actor=actor, register=one.register)
    if one.authority is not None:
        receive_authority(uow, row, one.authority, actor=actor)
    return row


class _Writer:
    """Writes checked lines in order: together while it can, alone when it must."""

    def __init__(
        self,
        uow: UnitOfWork,
        actor: str,
        results: dict[int, LineResult],
        status_url: StatusUrl | None,
    ) -> None:
        self._uow, self._actor, self._results = uow, actor, results
        self._status_url = status_url
        self._group: list[_Ready] = []
        # Requests to acknowledge, with their status addresses: queued together at the end.
        self.to_acknowledge: list[tuple[RightsRequest, str]] = []

    def add(self, one: _Ready) -> None:
        if not one.at_once:
            self._group.append(one)
            return
        self.flush()
        self._alone(one)

    def flush(self) -> None:
        group, self._group = self._group, []
        if not group:
            return
        try:
            with _savepoint(self._uow):
                rows = _open_together(self._uow, group, self._actor)
        except (SQLAlchemyError, DatawardError) as error:
            # Refused for a reason no check foresaw (by the database, say): each line again
            # on its own, so only the line at fault is refused. Logged (a type, no data):
            # a check is missing, and every line of the group now costs its savepoint.
            log.warning("requests.batch_fallback", lines=len(group), error=type(error).__name__)
            for one in group:
                self._alone(one)
            return
        for one, row in zip(group, rows, strict=True):
            self._opened(one, row)

    def _alone(self, one: _Ready) -> None:
        try:
            with _savepoint(self._uow):
                row = _open_alone(self._uow, one, self._actor)
        except DatawardError as error:
            self._results[one.index] = _refused(one.index, error)
            return
        self._opened(one, row)

    def _opened(self, one: _Ready, row: RightsRequest) -> None:
        if one.acknowledge and self._status_url is not None:
            self.to_acknowledge.append((row, self._status_url(row)))
        self._results[one.index] = LineResult(one.index, ref=row.ref, due_on=row.due_on)


def _refused(index: int, error: DatawardError) -> LineResult:
    return LineResult(index, code=error.code, detail=error.message)


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
    # audit chain for the whole batch, so every write below nests inside it.
    lock_chain(uow.session)
    registers = _Registers(uow)
    results: dict[int, LineResult] = {}
    ready: list[_Ready] = []
    for index, line in enumerate(lines):
        try:
            ready.append(_check_line(uow, index, line, registers))
        except DatawardError as error:
            results[index] = _refused(index, error)
    writer = _Writer(uow, actor, results, status_url)
    for one, found in zip(ready, _with_subjects(uow, ready), strict=True):
        if isinstance(found, DatawardError):
            results[one.index] = _refused(one.index, found)
        else:
            writer.add(found)
    writer.flush()
    acknowledge_all(uow, writer.to_acknowledge, actor=actor)
    result = BatchResult("b_" + secrets.token_hex(8), [results[i] for i in range(len(lines))])
    record(
        uow,
        actor=actor,
        action=REQUEST_BATCH_RECEIVED,
        entity_type="request_batch",
        entity_id=result.ref,
        details={"lines": len(lines), "opened": result.opened, "refused": result.refused},
    )
    return result
