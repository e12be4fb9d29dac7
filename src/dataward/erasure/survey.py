"""What erasing a subject would do to one binding, read from the source now.

The plan surveys every binding once and stores the counts and key digests; the executor
surveys again before it changes anything, so a plan whose rows changed is seen (stale) and
a hold placed since approval keeps its rows. Why a row is kept by a hold on its case or a
legal obligation to keep is ``keeps.py``'s answer, for a batch of rows. Rows are read and
sorted ``SURVEY_BATCH`` at a time (memory does not grow with the subject's row count).
Nothing here writes; the rows found are cited only by ``key_digest``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from dataward.erasure.keeps import Keeps, kept_rows
from dataward.holds.engine import covers, open_holds
from dataward.holds.models import LegalHold
from dataward.holds.service import register_of
from dataward.sources.connectors.base import (
    Connector,
    IdentityValues,
    Row,
    hold_open_on,
    relation_chain,
    stream_subject,
)
from dataward.sources.connectors.blobs import BlobConnector, placeholders
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.connectors.sql_related import keys_held_by_related
from dataward.sources.connectors.sql_schema import tables_named
from dataward.sources.models import Anonymise, Binding, Keep, SourcesFile
from dataward.uow import UnitOfWork

DELETE_ROW = "delete_row"
SET_NULL = "set_null"
KEEP_COLUMN = "keep"
# What an ``{anonymise: rule}`` column becomes: a fixed value, the same for every row, so
# nothing of the person survives in it. A rule not listed here is refused when planning.
ANONYMISE_RULES: dict[str, Any] = {
    "redact": "[erased]",
    "zero": 0,
    "empty": "",
}

# Why rows are kept (the plan's and the evidence's codes), in the DPO's words.
KEPT_REASONS: dict[str, str] = {
    "legal_hold": "a legal hold in force on the subject, the case or the record",
    "legal_obligation": "a legal obligation to keep it, for the period the register gives",
    "legal_claims": "kept for legal claims, for the period the register gives",
    "hold_predicate": "a hold of the sources file is open on the row",
    "no_strategy": "no erasure strategy in the sources file",
    "sources_keep": "the sources file keeps every column it names",
    "read_only": "the connection is read_only: erase by hand",
    "by_hand": "dataward cannot erase this binding itself: erase by hand",
}


def key_digest(connection: str, table: str, key: Any) -> str:
    """A row cited without its data: the digest of where it lives and its key."""
    return hashlib.sha256(f"{connection}/{table}/{key}".encode()).hexdigest()[:32]


class _Digests:
    """``key_digest`` for the rows of one table: the hash of the common prefix is taken
    once and copied for each key (the same digests, for a million rows a second less)."""

    def __init__(self, connection: str, table: str) -> None:
        self._prefix = hashlib.sha256(f"{connection}/{table}/".encode())

    def __call__(self, key: Any) -> str:
        digest = self._prefix.copy()
        digest.update(str(key).encode())
        return digest.hexdigest()[:32]


def strategy_of(erasure: object) -> str:
    if isinstance(erasure, Anonymise):
        return f"anonymise:{erasure.anonymise}"
    if isinstance(erasure, Keep):
        return KEEP_COLUMN
    return str(erasure)


def how_of(binding: Binding) -> dict[str, str]:
    """Column -> strategy, for the columns the sources file gives one."""
    return {
        name: strategy_of(info.erasure)
        for name, info in binding.columns.items()
        if info.erasure is not None
    }


def retention_how_of(binding: Binding) -> dict[str, str]:
    """Column -> strategy at the end of a retention period: the column's ``retention:``
    where the sources file gives one, else its erasure strategy."""
    return {
        name: strategy_of(info.retention if info.retention is not None else info.erasure)
        for name, info in binding.columns.items()
        if info.retention is not None or info.erasure is not None
    }


def changes_of(how: Mapping[str, str]) -> tuple[bool, dict[str, Any]]:
    """(delete the row?, column -> new value) for a binding's strategies."""
    if DELETE_ROW in how.values():
        return True, {}
    values: dict[str, Any] = {}
    for column, strategy in how.items():
        if strategy == SET_NULL:
            values[column] = None
        elif strategy.startswith("anonymise:"):
            values[column] = ANONYMISE_RULES[strategy.partition(":")[2]]
    return False, values


def depth(binding: Binding) -> int:
    """Hops from the binding's table to its subject's root: children go before parents."""
    return len(relation_chain(binding.subject))


SURVEY_BATCH = 5000
"""Rows sorted (and key digests written or compared) at a time: memory stays flat however
many rows the subject has."""


@dataclass
class SurveyBatch:
    """Up to ``SURVEY_BATCH`` rows of a binding: those that would go (digest -> key), those
    held, and the files of the rows that go as (digest, files connection, path)."""

    erase: dict[str, Any] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    files: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Survey:
    """One binding now, streamed: ``batches()`` yields its rows sorted a batch at a time,
    and counts them; ``kept_reason`` and ``kept_detail`` are final once it is consumed."""

    dataset: str
    index: int
    binding: Binding
    how: dict[str, str]
    kept_reason: str | None = None
    kept_detail: list[str] = field(default_factory=list)
    erased: int = 0
    held: int = 0
    files: int = 0
    _rows: Iterator[Row] = field(default_factory=lambda: iter(()), repr=False)
    _whole: bool = False
    _connectors: Mapping[str, Connector] = field(default_factory=dict, repr=False)
    _held_refs: set[str] = field(default_factory=set, repr=False)
    _keeps: Keeps | None = field(default=None, repr=False)
    _reasons: set[str] = field(default_factory=set, repr=False)

    def batches(self, size: int | None = None) -> Iterator[SurveyBatch]:
        """The binding's rows, ``size`` (``SURVEY_BATCH``) at a time; read once."""
        chunk: list[Row] = []
        for row in self._rows:
            chunk.append(row)
            if len(chunk) >= (size or SURVEY_BATCH):
                yield self._sorted(chunk)
                chunk = []
        if chunk:
            yield self._sorted(chunk)

    def _sorted(self, rows: list[Row]) -> SurveyBatch:
        if self._whole:
            batch = SurveyBatch(held={_digest(self.binding, row) for row in rows})
        else:
            assert self._keeps is not None
            batch = _sort_rows(self, rows, self._connectors, self._held_refs, self._keeps)
        self.erased += len(batch.erase)
        self.held += len(batch.held)
        self.files += len(batch.files)
        return batch


@dataclass(frozen=True)
class SurveyContext:
    """What every binding's survey reads from dataward's own database, read once: the
    holds open on the subject (over any dataset) and on records, and the register."""

    subject_holds: list[LegalHold]
    record_holds: dict[str, set[str]]
    keeps: Keeps


def survey_context(
    uow: UnitOfWork, organisation: str, *, subject_id: str, on: date
) -> SurveyContext:
    """Three queries, whatever the number of bindings surveyed with it."""
    return SurveyContext(
        open_holds(uow, organisation, subject_id=subject_id, on=on),
        _record_holds(uow, organisation, on),
        Keeps(uow, organisation, register_of(uow, organisation), on),
    )


def survey_subject(
    uow: UnitOfWork,
    organisation: str,
    sources: SourcesFile,
    connectors: Mapping[str, Connector],
    values: IdentityValues,
    *,
    subject_id: str,
    datasets: Iterable[str],
    on: date,
    connection: str | None = None,
    binding: int | None = None,
    roots: dict[tuple[str, str, str], set[Any]] | None = None,
    context: SurveyContext | None = None,
) -> Iterator[Survey]:
    """A survey of every binding of ``datasets`` (on ``connection`` only, when given; the
    binding at index ``binding`` only, when given), in the sources file's order. Bindings of
    other connections are never read. Consume each survey's ``batches()`` before the next;
    ``roots`` (root table -> the subject's keys there) and ``context`` (``survey_context``
    for this subject and day) are shared by a caller surveying one binding at a time."""
    wanted = set(datasets)
    if context is None:
        context = survey_context(uow, organisation, subject_id=subject_id, on=on)
    for name, connector in connectors.items():
        if isinstance(connector, SqlConnector) and connection in (None, name):
            connector.reflect(
                tables_named(
                    bound
                    for dataset in wanted
                    for bound in sources.datasets.get(dataset, ())
                    if bound.connection == name
                )
            )
    record_holds, keeps = context.record_holds, context.keeps
    for found in stream_subject(
        sources,
        connectors,
        values,
        datasets=wanted,
        binding=binding,
        roots=roots,
        columns=read_columns,
    ):
        if connection is not None and found.binding.connection != connection:
            continue
        survey = Survey(found.dataset, found.index, found.binding, how_of(found.binding))
        bound = sources.connections[found.binding.connection]
        subject_holds = [
            hold
            for hold in context.subject_holds
            if covers(hold, found.dataset, subject_id=subject_id)
        ]
        whole = _kept_whole(survey, bound.kind, bound.mode, subject_holds)
        if whole is None and found.binding.files is not None:
            files_name = found.binding.files.connection or found.binding.connection
            if sources.connections[files_name].mode == "read_only" and changes_of(survey.how)[0]:
                whole = ("read_only", [files_name])
        survey._rows = found.rows
        if whole is not None:
            survey.kept_reason, survey.kept_detail = whole
            survey._whole = True
        else:
            survey._connectors = connectors
            survey._held_refs = record_holds.get(found.dataset, set())
            survey._keeps = keeps
        yield survey


def read_columns(binding: Binding) -> list[str]:
    """The columns of a binding's rows the survey reads: its key, and those a hold read on
    the row, an entity, an event or a file names (the rest of the row is never looked at,
    so it is not read: for a million rows, a second or more per read)."""
    names = [binding.key]
    for rule in binding.holds.values():
        if rule.table is None:
            names.append(rule.open_when_null or (rule.open_when.column if rule.open_when else ""))
    names.extend(spec for spec in binding.entities.values() if isinstance(spec, str))
    names.extend(spec for spec in binding.events.values() if isinstance(spec, str))
    if binding.files is not None:
        if binding.files.column is not None:
            names.append(binding.files.column)
        elif binding.files.pattern is not None:
            names.extend(placeholders(binding.files.pattern))
    return [name for name in dict.fromkeys(names) if name]


def _kept_whole(
    survey: Survey, kind: str, mode: str, holds: list[LegalHold]
) -> tuple[str, list[str]] | None:
    """Why every row of the binding is kept, or None when its rows may go."""
    if holds:
        return "legal_hold", [h.ref for h in holds]
    if not survey.how:
        return "no_strategy", []
    if set(survey.how.values()) == {KEEP_COLUMN}:
        return "sources_keep", sorted(survey.how)
    if mode == "read_only":
        return "read_only", [survey.binding.connection]
    if kind != "sql":
        return _by_hand(survey, kind)
    return None


def _by_hand(survey: Survey, kind: str) -> tuple[str, list[str]] | None:
    """Why dataward cannot erase a file binding's rows itself, or None when it can.

    A hold read on a related table cannot be read in a folder of files; a file is deleted
    whole (``delete_row``), found by its ``path``, or kept.
    """
    binding = survey.binding
    related = sorted(hold for hold, rule in binding.holds.items() if rule.table is not None)
    if related:
        return "by_hand", related
    if kind == "files" and (binding.key != "path" or not changes_of(survey.how)[0]):
        return "by_hand", ["a file is deleted whole (delete_row) and keyed by path"]
    return None


def _sort_rows(
    survey: Survey,
    rows: list[Row],
    connectors: Mapping[str, Connector],
    held_refs: set[str],
    keeps: Keeps,
) -> SurveyBatch:
    """Each row of a batch to ``erase`` or ``held``: a record hold, a case hold or a legal
    obligation (keeps.py), or a hold predicate open on it. The single place a row of a
    binding that may be erased is kept or erased."""
    binding = survey.binding
    batch = SurveyBatch()
    keys = [row[binding.key] for row in rows]
    held_keys: set[Any] = {k for k in keys if str(k) in held_refs} if held_refs else set()
    reasons = survey._reasons
    if held_keys:
        if "record hold" not in survey.kept_detail:
            survey.kept_detail.append("record hold")
        reasons.add("legal_hold")
    connector = connectors[binding.connection]
    for key, why in kept_rows(keeps, survey.dataset, binding, rows, connector).items():
        if key in held_keys:
            continue
        held_keys.add(key)
        reasons.add(why.reason)
        if why.detail not in survey.kept_detail:
            survey.kept_detail.append(why.detail)
    for hold_id, rule in binding.holds.items():
        if rule.table is None:
            text = not isinstance(connector, SqlConnector)  # a CSV holds text only
            found = {row[binding.key] for row in rows if hold_open_on(rule, row, text=text)}
        elif isinstance(connector, SqlConnector):
            found = keys_held_by_related(connector, rule, keys)
        else:  # pragma: no cover - a file binding with such a hold is kept by_hand
            found = set()
        if found - held_keys:
            if hold_id not in survey.kept_detail:
                survey.kept_detail.append(hold_id)
            reasons.add("hold_predicate")
        held_keys |= found
    # Files go with rows deleted whole.
    files = binding.files if changes_of(survey.how)[0] else None
    blobs = connectors.get(files.connection or binding.connection) if files is not None else None
    # The loop runs once per row of the subject (a million for some): nothing in it that
    # could be done once per batch.
    digest_of = _digests_of(binding.connection, binding.table or binding.pattern or "")
    for row, key in zip(rows, keys, strict=True):
        digest = digest_of(key)
        if key in held_keys:
            batch.held.add(digest)
            continue
        batch.erase[digest] = key
        if files is not None and isinstance(blobs, BlobConnector):
            batch.files.extend(
                (digest, blobs.name, str(f["path"]))
                for f in blobs.files_for([row], files)
                if f.get("size") is not None
            )
    if batch.held or survey.held:
        # The strongest reason names the step; the detail lists every one.
        survey.kept_reason = next(r for r in _REASON_ORDER if r in reasons)
    return batch


_REASON_ORDER = ("legal_hold", "legal_obligation", "legal_claims", "hold_predicate")


def _digest(binding: Binding, row: Row) -> str:
    return _digests_of(binding.connection, binding.table or binding.pattern or "")(row[binding.key])


@functools.lru_cache(maxsize=256)
def _digests_of(connection: str, table: str) -> _Digests:
    return _Digests(connection, table)


def key_digests(connection: str, table: str) -> Callable[[Any], str]:
    """``key_digest`` for many keys of one table (a retention batch's), the prefix hashed once."""
    return _digests_of(connection, table)


def _record_holds(uow: UnitOfWork, organisation: str, on: date) -> dict[str, set[str]]:
    """Dataset -> the record refs an open record-scope hold sits on (one query)."""
    held: dict[str, set[str]] = {}
    rows = uow.session.scalars(
        select(LegalHold).where(
            LegalHold.organisation == organisation,
            LegalHold.scope == "record",
            LegalHold.placed_on <= on,
            (LegalHold.closed_on.is_(None)) | (LegalHold.closed_on > on),
        )
    )
    for hold in rows:
        for dataset in hold.datasets:
            if hold.record_ref:
                held.setdefault(dataset, set()).add(hold.record_ref)
    return held
