"""REC-01 (Art 16): a request's correction applied to the source, or recorded as not made.

The caseworker records the correction: a dataset, one of its bound columns, the new value
(sealed under the request's key). dataward finds the subject's rows of that dataset through
the sources file and changes the column through the SQL connector, which refuses on a
read-only connection; then the recipients the disclosure log names are told (NOT-01) and the
request's "make the change" task is done. Where the correction is not made (the data is an
opinion, or already accurate), why and the subject's supplementary statement are recorded
instead. A column the sources file does not bind is a clear error: nothing changes.
Never commits.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from dataward.crypto.keyring import decrypt_for, encrypt_for
from dataward.disclosures.audit_actions import RECTIFICATION_APPLIED, RECTIFICATION_NOT_APPLIED
from dataward.disclosures.errors import (
    AccuracyNotVerified,
    ColumnNotBound,
    RectificationInvalid,
    RectificationRefused,
)
from dataward.disclosures.models import Rectification
from dataward.disclosures.notices import tell_recipients
from dataward.holds.service import register_of
from dataward.requests.models import RightsRequest
from dataward.requests.service import audit_request, get_request
from dataward.requests.source_search import IdentityNotProven, NoSubjectLinked, subject_identities
from dataward.requests.task_models import UNFINISHED, RequestTask
from dataward.requests.tasks import finish_task, not_needed, tasks_of
from dataward.sources.connectors import Connector, open_all
from dataward.sources.connectors.base import stream_subject
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.models import Binding, SourcesFile
from dataward.sources.versions import current_sources
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

# Why a correction is not made: the data records an opinion (a note of what an agent
# thought), it is accurate already, or another reason given in words.
NOT_MADE = ("opinion", "accurate", "other")
# How the caseworker checked that the new data is accurate, where the register says the
# organisation verifies it (``verify_accuracy``, REC-01): a document the subject sent was
# seen, the organisation's own records or a third party's confirm it, or the subject
# confirmed it through a channel already verified.
ACCURACY_CHECKS = ("document_seen", "records_checked", "confirmed_by_subject")
MAX_TEXT = 4000


@dataclass(frozen=True)
class Correction:
    dataset: str
    column: str
    value: str


@dataclass(frozen=True)
class RectificationView:
    """A rectification with its sealed words opened, for the request's page."""

    row: Rectification
    value: str
    why: str | None
    statement: str | None


def _text(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        raise RectificationInvalid(f"give {name}: it is recorded")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise RectificationInvalid(f"{name} is too long (at most {MAX_TEXT} characters)")
    return value


def _open_request(uow: UnitOfWork, organisation: str, ref: str) -> tuple[RightsRequest, Subject]:
    row = get_request(uow, organisation, ref)
    if row.outcome is not None:
        raise RectificationRefused(f"the request is {row.state}: nothing more is changed for it")
    if "rectification" not in row.rights:
        raise RectificationRefused(f"request {row.ref} does not ask for rectification")
    if row.subject_id is None:
        raise NoSubjectLinked(f"request {row.ref} has no subject linked: link one first")
    if row.identity_verified_on is None:
        raise IdentityNotProven(f"request {row.ref}: verify the requester's identity first")
    subject = uow.session.get(Subject, row.subject_id)
    if subject is None or subject.shredded_at is not None:
        raise NoSubjectLinked(f"request {row.ref}: its subject's record is gone")
    return row, subject


def _check_correction(uow: UnitOfWork, row: RightsRequest, correction: Correction) -> None:
    register = register_of(uow, row.organisation)
    if correction.dataset not in {d.id for d in register.datasets}:
        raise RectificationInvalid(f"the register has no dataset {correction.dataset[:80]!r}")
    if not correction.column.strip() or len(correction.column) > 80:
        raise RectificationInvalid("name the column to correct")


def bound_bindings(sources: SourcesFile, dataset: str, column: str) -> list[tuple[int, Binding]]:
    """The dataset's bindings where the sources file binds ``column`` (describes it, or
    maps an identity to it), with their index in the dataset's list."""
    found: list[tuple[int, Binding]] = []
    for index, binding in enumerate(sources.datasets.get(dataset, [])):
        identity_columns = {
            name
            for columns in binding.identities.values()
            for name in ([columns] if isinstance(columns, str) else columns)
        }
        if column in binding.columns or column in identity_columns:
            found.append((index, binding))
    return found


def verifies_accuracy(uow: UnitOfWork, organisation: str) -> bool:
    """The register says the organisation verifies the accuracy of new data (REC-01)."""
    return any(
        item.right.value == "rectification" and item.verify_accuracy
        for item in register_of(uow, organisation).rights.items
    )


def _accuracy_check(uow: UnitOfWork, row: RightsRequest, given: str | None) -> str | None:
    check = (given or "").strip() or None
    if check is not None and check not in ACCURACY_CHECKS:
        raise RectificationInvalid(
            f"the accuracy check must be one of {', '.join(ACCURACY_CHECKS)}"
        )
    if check is None and verifies_accuracy(uow, row.organisation):
        raise AccuracyNotVerified(
            "the privacy notice says the accuracy of new data is verified: record how it was "
            f"checked ({', '.join(ACCURACY_CHECKS)}) before the correction is applied"
        )
    return check


def _seal(uow: UnitOfWork, row: RightsRequest, rect: Rectification, part: str, text: str) -> bytes:
    return encrypt_for(uow, row.key_id, text, f"request:{row.id}:rectification:{rect.id}:{part}")


def _new(
    uow: UnitOfWork, row: RightsRequest, correction: Correction, outcome: str, actor: str
) -> Rectification:
    rect = Rectification(
        id=str(uuid.uuid4()),
        ref="r_" + secrets.token_hex(8),
        request_id=row.id,
        dataset=correction.dataset,
        column=correction.column,
        outcome=outcome,
        value_sealed=b"",
        recorded_by=actor,
        created_at=uow.clock.now(),
    )
    rect.value_sealed = _seal(uow, row, rect, "value", correction.value)
    return rect


def _change_task(uow: UnitOfWork, row: RightsRequest) -> RequestTask | None:
    for task in tasks_of(uow, row):
        if task.right == "rectification" and task.kind == "execute" and task.state in UNFINISHED:
            return task
    return None


def rectify(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    correction: Correction,
    *,
    actor: str,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
    accuracy_check: str | None = None,
) -> Rectification:
    """Apply the correction to the subject's rows in the source, then tell the recipients.

    Where the register says the organisation verifies the accuracy of new data
    (``verify_accuracy``), ``accuracy_check`` (one of ACCURACY_CHECKS) records how it was
    checked, and without it the correction is refused (``AccuracyNotVerified``).

    ``connectors`` are used as given and left open; otherwise each connection is opened
    with its URL from ``env`` (default: the environment and settings) and closed after.
    The source is changed before anything is recorded here: a refusal (read-only, a
    value the column does not take) leaves both untouched.
    """
    row, subject = _open_request(uow, organisation, ref)
    value = _text(correction.value, "the corrected value")
    correction = Correction(correction.dataset, correction.column.strip(), value)
    _check_correction(uow, row, correction)
    check = _accuracy_check(uow, row, accuracy_check)
    stored = current_sources(uow, organisation)
    sources = stored.parsed().sources
    bound = bound_bindings(sources, correction.dataset, correction.column)
    if not bound:
        raise ColumnNotBound(
            f"the sources file binds no column {correction.column[:80]!r} in dataset "
            f"{correction.dataset[:80]!r}: record why it is not corrected instead"
        )
    if any(sources.connections[b.connection].kind != "sql" for _, b in bound):
        raise RectificationInvalid("only a column of a database (a sql connection) is corrected")
    values = subject_identities(uow, subject)
    opened = dict(connectors) if connectors is not None else open_all(sources, env)
    changed = 0
    try:
        indexes = {index for index, _ in bound}
        keys: dict[int, set[object]] = {index: set() for index in indexes}
        for part in stream_subject(sources, opened, values, datasets={correction.dataset}):
            if part.index in indexes:
                keys[part.index].update(r[part.binding.key] for r in part.rows)
        if not any(keys.values()):
            raise RectificationInvalid(
                f"the subject has no rows in dataset {correction.dataset[:80]!r}: "
                "nothing to correct"
            )
        for index, binding in bound:
            connector = opened[binding.connection]
            if not isinstance(connector, SqlConnector) or binding.table is None:
                raise RectificationInvalid("only a column of a database table is corrected")
            if keys[index]:
                changed += connector.update_columns(
                    binding.table, binding.key, keys[index], {correction.column: value}
                )
    finally:
        if connectors is None:
            for connector in opened.values():
                connector.close()
    rect = _new(uow, row, correction, "applied", actor)
    rect.rows, rect.sources_version = changed, stored.version
    rect.accuracy_check = check
    uow.session.add(rect)
    uow.session.flush()
    audit_request(
        uow,
        row,
        RECTIFICATION_APPLIED,
        actor=actor,
        rectification=rect.ref,
        dataset=rect.dataset,
        column=rect.column,
        rows=changed,
        sources_version=stored.version,
        accuracy_check=check,
    )
    names = {d.id: d.name for d in register_of(uow, organisation).datasets}
    tell_recipients(
        uow,
        row,
        "rectification",
        datasets=[correction.dataset],
        actor=actor,
        lines=[f"{names.get(rect.dataset, rect.dataset)}, {rect.column}: {value}"],
    )
    task = _change_task(uow, row)
    if task is not None:
        finish_task(uow, organisation, ref, task.id, f"corrected ({rect.ref})", actor=actor)
    return rect


def record_not_rectified(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    correction: Correction,
    *,
    reason: str,
    why: str,
    statement: str,
    actor: str,
) -> Rectification:
    """The correction is not made: why (``reason`` one of NOT_MADE, and words), and the
    subject's supplementary statement, kept with their data (REC-01)."""
    row, _subject = _open_request(uow, organisation, ref)
    if reason not in NOT_MADE:
        raise RectificationInvalid(f"reason must be one of {', '.join(NOT_MADE)}")
    value = _text(correction.value, "the correction the subject asked for")
    why = _text(why, "why the correction is not made")
    statement = _text(statement, "the subject's supplementary statement")
    correction = Correction(correction.dataset, correction.column.strip(), value)
    _check_correction(uow, row, correction)
    rect = _new(uow, row, correction, "not_applied", actor)
    rect.reason = reason
    rect.statement_sealed = _seal(
        uow, row, rect, "statement", json.dumps({"why": why, "statement": statement})
    )
    uow.session.add(rect)
    uow.session.flush()
    audit_request(
        uow,
        row,
        RECTIFICATION_NOT_APPLIED,
        actor=actor,
        rectification=rect.ref,
        dataset=rect.dataset,
        column=rect.column,
        reason=reason,
    )
    task = _change_task(uow, row)
    if task is not None:
        not_needed(uow, organisation, ref, task.id, f"not corrected ({reason})", actor=actor)
    return rect


def rectifications_of(uow: UnitOfWork, row: RightsRequest) -> Sequence[Rectification]:
    return uow.session.scalars(
        select(Rectification)
        .where(Rectification.request_id == row.id)
        .order_by(Rectification.created_at, Rectification.ref)
    ).all()


def opened_rectifications(uow: UnitOfWork, row: RightsRequest) -> list[RectificationView]:
    """The request's rectifications with the value and statement opened (its page)."""
    views: list[RectificationView] = []
    for rect in rectifications_of(uow, row):
        context = f"request:{row.id}:rectification:{rect.id}:"
        value = decrypt_for(uow, row.key_id, rect.value_sealed, context + "value")
        why = statement = None
        if rect.statement_sealed is not None:
            words = json.loads(
                decrypt_for(uow, row.key_id, rect.statement_sealed, context + "statement")
            )
            why, statement = str(words["why"]), str(words["statement"])
        views.append(RectificationView(rect, value, why, statement))
    return views
