"""Decisions for campaign lists: JSON lines in, JSON lines out, in constant memory.

Lines are read and answered a chunk at a time, so memory depends on the chunk size, not
on the list: a list of millions costs what a thousand lines cost. A malformed line gets
an error line with its number and the rest carry on, whatever is wrong with it (nesting
too deep for the parser, characters the database cannot hold, a lookup that fails for
that line alone). Output never repeats an identity: the caller matches answers by line
number (or by its own ``id``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from dataward.consent.decisions import Ask, Gathered, conclude, gather
from dataward.consent.errors import BatchInterrupted, BatchLineFailed, BatchLineInvalid
from dataward.consent.rules import Decision
from dataward.errors import DatawardError
from dataward.logging import get_logger
from dataward.uow import UnitOfWork

log = get_logger(__name__)

# Lines answered per unit of work: each chunk costs a few round trips (policy, index,
# people), so bigger chunks spread them thinner; two chunks are in memory at a time.
CHUNK = 4000
MAX_LINE = 8 * 1024
# A valid line nests two deep; json.loads recurses once per level and a few thousand
# brackets (well inside MAX_LINE) exhaust the interpreter's stack.
MAX_DEPTH = 32
# A JSON string (skipped whole, brackets inside it do not nest) or one bracket.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
# Lone surrogates cannot be encoded (the blind index hashes UTF-8) and NUL cannot be
# stored in PostgreSQL text: either would fail the lookup of the whole chunk.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FIELDS = frozenset({"subject_ref", "identity", "purpose", "channel", "consent_ref", "id"})


@dataclass(frozen=True)
class Defaults:
    purpose: str | None = None
    channel: str | None = None


@dataclass
class Tally:
    lines: int = 0
    allowed: int = 0
    refused: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "lines": self.lines,
            "allowed": self.allowed,
            "refused": self.refused,
            "errors": self.errors,
        }


def _text(value: object, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BatchLineInvalid(f"{name} must be a string of 1 to {limit} characters")
    if _UNSTORABLE.search(value):
        raise BatchLineInvalid(f"{name} holds NUL or an unpaired surrogate")
    return value


def _too_deep(text: str) -> bool:
    """Whether brackets outside strings nest deeper than ``MAX_DEPTH``."""
    # Counting is done in C; only a line with that many brackets at all is walked.
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


def parse_line(raw: bytes | str, defaults: Defaults) -> tuple[Ask, str | None]:
    """One JSON object: ``subject_ref`` or ``identity: {kind, value}``; returns (ask, id)."""
    if len(raw) > MAX_LINE:
        raise BatchLineInvalid(f"line is longer than {MAX_LINE} bytes")
    try:
        # Decoding first spares json.loads guessing the encoding of every line.
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise BatchLineInvalid("line is not valid JSON") from None
    if _too_deep(text):
        raise BatchLineInvalid(f"line nests deeper than {MAX_DEPTH} levels")
    try:
        item = json.loads(text)
    except ValueError:
        raise BatchLineInvalid("line is not valid JSON") from None
    except RecursionError:  # not reached past the depth check; kept as a guard
        raise BatchLineInvalid(f"line nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(item, dict):
        raise BatchLineInvalid("line must be a JSON object")
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise BatchLineInvalid(f"unknown fields: {', '.join(unknown)[:200]}")
    purpose = _text(item.get("purpose"), "purpose", 80) or defaults.purpose
    if purpose is None:
        raise BatchLineInvalid("no purpose: give one on the line or for the whole batch")
    channel = _text(item.get("channel"), "channel", 20) or defaults.channel
    ref = _text(item.get("subject_ref"), "subject_ref", 32)
    consent_ref = _text(item.get("consent_ref"), "consent_ref", 32)
    client_id = _text(item.get("id"), "id", 100)
    identity = item.get("identity")
    if (ref is None) == (identity is None):
        raise BatchLineInvalid("give exactly one of subject_ref and identity")
    pair = None
    if identity is not None:
        if not isinstance(identity, dict) or set(identity) != {"kind", "value"}:
            raise BatchLineInvalid('identity must be {"kind": ..., "value": ...}')
        kind = _text(identity["kind"], "identity kind", 32) or ""
        value = _text(identity["value"], "identity value", 500) or ""
        pair = (kind, value)
    return Ask(purpose, channel, ref, pair, consent_ref), client_id


@dataclass
class Prepared:
    """One chunk read and looked up, waiting for its answers (see ``finish_chunk``).

    ``gathered`` is None when the chunk was answered a line at a time (``prepare_guarded``):
    its lines are then all in ``errors`` (answers and errors alike) and ``meta`` is empty.
    """

    numbered: list[tuple[int, bytes | str]]
    errors: dict[int, dict[str, object]]
    meta: list[tuple[int, str | None]]
    gathered: Gathered | None


def prepare_chunk(
    uow: UnitOfWork,
    organisation: str,
    numbered: list[tuple[int, bytes | str]],
    defaults: Defaults,
) -> Prepared:
    """Parse numbered lines and read what their answers need (the database half)."""
    errors: dict[int, dict[str, object]] = {}
    asks: list[Ask] = []
    meta: list[tuple[int, str | None]] = []
    for line_no, raw in numbered:
        try:
            ask, client_id = parse_line(raw, defaults)
        except DatawardError as error:
            errors[line_no] = _error(line_no, None, error)
            continue
        asks.append(ask)
        meta.append((line_no, client_id))
    return Prepared(numbered, errors, meta, gather(uow, organisation, asks))


def prepare_guarded(
    open_uow: Callable[[], UnitOfWork],
    organisation: str,
    numbered: list[tuple[int, bytes | str]],
    defaults: Defaults,
) -> Prepared:
    """``prepare_chunk`` in a unit of work of its own, never failing for one line's sake.

    A chunk whose lookup fails unexpectedly is looked up again a line at a time, each in
    its own unit of work: a line that fails alone is answered ``batch_line_failed`` and the
    others get their answers. If every line fails alone, the fault is not in the lines
    (the database went away) and ``BatchInterrupted`` says where answering stopped. A
    ``DatawardError`` of the whole chunk (the register is gone) is raised as it is.
    """
    try:
        with open_uow() as uow:
            return prepare_chunk(uow, organisation, numbered, defaults)
    except DatawardError:
        raise
    except Exception as error:
        # Error class and counts only: the message may quote a line.
        log.warning("consent.batch_chunk_failed", error=type(error).__name__, lines=len(numbered))
    out: dict[int, dict[str, object]] = {}
    failed = 0
    for line_no, raw in numbered:
        try:
            with open_uow() as uow:
                alone = prepare_chunk(uow, organisation, [(line_no, raw)], defaults)
            out.update(_answers(alone))
        except DatawardError as error:
            out[line_no] = _error(line_no, None, error)
        except Exception as error:
            failed += 1
            log.warning("consent.batch_line_failed", error=type(error).__name__, line=line_no)
            out[line_no] = _error(line_no, None, BatchLineFailed("this line could not be answered"))
    if failed == len(numbered) and failed > 1:
        raise BatchInterrupted(
            f"answering stopped at line {numbered[0][0]}: the database could not be read"
        )
    return Prepared(numbered, out, [], None)


def _answers(prepared: Prepared) -> dict[int, dict[str, object]]:
    """Each line's output object by line number (the rules half: no database)."""
    out = dict(prepared.errors)
    if prepared.gathered is None:
        return out
    for (line_no, client_id), answer in zip(
        prepared.meta, _conclude(prepared.gathered, prepared.meta), strict=True
    ):
        if isinstance(answer, DatawardError):
            out[line_no] = _error(line_no, client_id, answer)
        else:
            out[line_no] = {"line": line_no, "id": client_id, **answer.as_dict()}
    return out


def _conclude(
    gathered: Gathered, meta: list[tuple[int, str | None]]
) -> list[Decision | DatawardError]:
    """``conclude``, and if it fails, ``conclude`` a line at a time: a line whose rules fail
    unexpectedly is answered ``batch_line_failed``, the others as usual."""
    try:
        return conclude(gathered)
    except Exception as error:
        log.warning("consent.batch_rules_failed", error=type(error).__name__, lines=len(meta))
    answers: list[Decision | DatawardError] = []
    for index, ask in enumerate(gathered.asks):
        found = gathered.resolved
        alone = Gathered(
            gathered.policy,
            [ask],
            [gathered.out[index]],
            {0: found[index]} if index in found else {},
            gathered.facts,
        )
        try:
            answers.extend(conclude(alone))
        except DatawardError as error:
            answers.append(error)
        except Exception as error:
            line_no = meta[index][0]
            log.warning("consent.batch_line_failed", error=type(error).__name__, line=line_no)
            answers.append(BatchLineFailed("this line could not be answered"))
    return answers


def finish_chunk(prepared: Prepared, tally: Tally) -> list[dict[str, object]]:
    """One output object per line, in order (the rules half: no database)."""
    out = _answers(prepared)
    rows = [out[n] for n, _ in prepared.numbered]
    for row in rows:
        tally.lines += 1
        if "error" in row:
            tally.errors += 1
        elif row["allow"]:
            tally.allowed += 1
        else:
            tally.refused += 1
    return rows


def _error(line_no: int, client_id: str | None, error: DatawardError) -> dict[str, object]:
    return {
        "line": line_no,
        "id": client_id,
        "error": {"code": error.code, "detail": error.message},
    }


def run_batch(
    open_uow: Callable[[], UnitOfWork],
    organisation: str,
    lines: Iterable[bytes | str],
    defaults: Defaults,
    *,
    chunk: int = CHUNK,
    tally: Tally | None = None,
) -> Iterator[dict[str, object]]:
    """Answer every non-blank line, a unit of work per chunk (nothing is written).

    The next chunk is read and looked up on a second thread while this one is answered:
    the lookups mostly wait on the database, so the two halves overlap instead of adding
    up. Two chunks are in memory at most.
    """
    tally = tally if tally is not None else Tally()

    def prepare(numbered: list[tuple[int, bytes | str]]) -> Prepared:
        return prepare_guarded(open_uow, organisation, numbered, defaults)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataward-batch") as reader:
        ahead: Future[Prepared] | None = None
        for numbered in _chunks(lines, chunk):
            following = reader.submit(prepare, numbered)
            if ahead is not None:
                yield from finish_chunk(ahead.result(), tally)
            ahead = following
        if ahead is not None:
            yield from finish_chunk(ahead.result(), tally)


def _chunks(lines: Iterable[bytes | str], size: int) -> Iterator[list[tuple[int, bytes | str]]]:
    """Non-blank lines with their numbers (counting from 1), ``size`` at a time."""
    pending: list[tuple[int, bytes | str]] = []
    for line_no, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        pending.append((line_no, raw))
        if len(pending) >= size:
            yield pending
            pending = []
    if pending:
        yield pending
