"""Third parties in free text (ACC-02): what a detector finds in the cells of staged rows.

The build (``access.build``) streams staged rows through ``Detector.scan_batch`` for the
binding's free-text columns and records each span as a ``Redaction`` (an offset, never the
text). A span is applied when the package is assembled unless a caseworker undid it.

What is recognised, in one pass of one compiled pattern per cell:

- emails, UK phone numbers (landline, mobile, +44 forms), National Insurance numbers and
  UK postcodes, by their shape (NI numbers and postcodes also checked by
  ``subjects.identities``' normalisers);
- references (customer refs) and names (runs of two or three capitalised words), only when
  the subject store's blind index knows them as another subject's: guessing at every pair
  of capitalised words would black out street names and teams.

Each candidate's blind-index digest is computed here and a whole batch of rows is looked
up in ONE query; a value found under another subject's key is redacted as
``other_subject``. A value that is the subject's own (given as ``own``, or indexed under
the subject's own key, merged subjects included) is never redacted from their copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dataward.crypto.keyring import index_digest
from dataward.crypto.keystore import BlindIndexEntry, material_of
from dataward.subjects.errors import InvalidIdentity
from dataward.subjects.identities import (
    IdentityKind,
    normalise_customer_ref,
    normalise_email,
    normalise_name,
    normalise_ni_number,
    normalise_postcode,
)
from dataward.uow import UnitOfWork

if TYPE_CHECKING:
    from dataward.access.models import AccessPackage

EMAIL = "email"
PHONE = "phone"
NI_NUMBER = "ni_number"
POSTCODE = "postcode"
REFERENCE = "reference"
NAME = "name"
OTHER_SUBJECT = "other_subject"
KINDS = (EMAIL, PHONE, NI_NUMBER, POSTCODE, REFERENCE, NAME, OTHER_SUBJECT)

# A capitalised word: "Mary", "McDonald", "O'Brien", "Zoë", "Mary-Jane"; not "NOTE" or "JTR".
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ]|['’][A-ZÀ-ÖØ-Þ])[^\W\d_]*(?:['’-][^\W\d_]+)*"
# One pattern, tried at the start of each word (never inside one): the first alternative
# that matches wins, so an email is taken whole before its parts look like a name. Only an
# email starts lowercase, so the others are tried only where a capital, a digit, "+" or "("
# starts: a quarter of the time of trying all six everywhere (access_redaction_bench.py).
CANDIDATES = re.compile(
    r"(?<![\w.%+-])(?:"
    r"(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"|(?=[A-ZÀ-ÖØ-Þ0-9+(])(?:"
    r"(?P<ni_number>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d\d ?\d\d ?\d\d ?[A-D]\b)"
    r"|(?P<phone>(?:\+44[ -]?(?:\(0\)[ -]?)?|\(?0)\d(?:[ -]?\)?[ -]?\d){8,9}(?!\d))"
    r"|(?P<postcode>(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[\dA-HJKPSTUW]? ?\d[ABD-HJLNP-UW-Z]{2})\b)"
    r"|(?P<reference>(?=[A-Z/-]*\d)(?=[\d/-]*[A-Z])[A-Z\d][A-Z\d/-]{4,30}\b)"
    rf"|(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})+\b)"
    r"))"
)
_WORD = re.compile(r"\S+")
# The blind index's kind for each candidate and the normaliser that gives its indexed form.
_INDEXED: dict[str, tuple[str, Callable[[str], str]]] = {
    EMAIL: (IdentityKind.EMAIL.value, normalise_email),
    PHONE: (IdentityKind.PHONE.value, lambda text: phone_value(text)),
    NI_NUMBER: (IdentityKind.NI_NUMBER.value, normalise_ni_number),
    POSTCODE: (IdentityKind.POSTCODE.value, normalise_postcode),
    REFERENCE: (IdentityKind.CUSTOMER_REF.value, normalise_customer_ref),
    NAME: (IdentityKind.NAME.value, normalise_name),
}
# Redacted by shape alone (unless the subject's own); the others only when indexed.
_BY_SHAPE = frozenset({EMAIL, PHONE, NI_NUMBER, POSTCODE})
_CACHE_LIMIT = 200_000
_IN_CHUNK = 5_000  # digests per IN (...): far under SQLite's and psycopg's limits


@dataclass(frozen=True, slots=True)
class Span:
    column: str
    start: int
    end: int
    kind: str


@dataclass(slots=True)
class _Candidate:
    row: int
    column: str
    start: int
    end: int
    kind: str
    # (blind-index kind, normalised value) per reading; a name run has one per window.
    readings: list[tuple[int, int, str, str]]


Verdict = str  # "own" | "other" | "unknown"
OWN = "own"
OTHER = "other"
UNKNOWN = "unknown"


class BlindIndex:
    """Who holds a value, through the subject store's blind index: the subject (``own``),
    another subject (``other``) or nobody known (``unknown``)."""

    def __init__(self, uow: UnitOfWork, organisation: str, own_key_id: str) -> None:
        self.uow = uow
        self.organisation = organisation
        self.own_key_id = own_key_id
        self.material = material_of(uow)
        self.queries = 0

    def digest(self, kind: str, value: str) -> str:
        return index_digest(self.material, self.organisation, kind, value)

    def verdicts(self, wanted: Iterable[tuple[str, str]]) -> dict[str, Verdict]:
        """Verdict per digest for (kind, digest) pairs, in one query (chunked past
        ``_IN_CHUNK`` digests, far more than a batch of rows holds)."""
        kind_of = {digest: kind for kind, digest in wanted}
        found: dict[str, Verdict] = dict.fromkeys(kind_of, UNKNOWN)
        if kind_of:
            digests = sorted(kind_of)
            kinds = sorted(set(kind_of.values()))
            for start in range(0, len(digests), _IN_CHUNK):
                rows = self.uow.keys.execute(
                    select(BlindIndexEntry.digest, BlindIndexEntry.key_id).where(
                        BlindIndexEntry.organisation == self.organisation,
                        BlindIndexEntry.kind.in_(kinds),
                        BlindIndexEntry.digest.in_(digests[start : start + _IN_CHUNK]),
                    )
                )
                self.queries += 1
                for digest, key_id in rows:
                    # The subject's own wins when a value is shared (a household's email).
                    if key_id == self.own_key_id:
                        found[digest] = OWN
                    elif found[digest] != OWN:
                        found[digest] = OTHER
        return found


class Detector:
    """Finds third parties' details in rows' free-text cells.

    ``own`` are the subject's own identity values by kind (never redacted from their own
    copy); ``index`` (``detector_for`` makes one) recognises other subjects' values.
    """

    def __init__(
        self, own: Mapping[str, Sequence[str]] | None = None, index: BlindIndex | None = None
    ) -> None:
        self.own: set[tuple[str, str]] = set()
        for kind, values in (own or {}).items():
            for value in values:
                self.own.add((kind, _normal(kind, value) or value))
        self.index = index
        # Verdicts by value, kept for the build: a name in a thousand notes is hashed and
        # looked up once. Bounded, and never outside this process.
        self.known: dict[tuple[str, str], Verdict] = {}

    def scan(self, row: Mapping[str, Any], columns: Sequence[str]) -> list[Span]:
        return self.scan_batch([row], columns)[0]

    def scan_batch(
        self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
    ) -> list[list[Span]]:
        """Spans per row, in column then offset order, non-overlapping."""
        candidates: list[_Candidate] = []
        for number, row in enumerate(rows):
            for column in columns:
                text = row.get(column)
                if isinstance(text, str) and text:
                    candidates.extend(_candidates(number, column, text))
        verdicts = self._verdicts(candidates)
        found: list[list[Span]] = [[] for _ in rows]
        for candidate in candidates:
            found[candidate.row].extend(self._judge(candidate, verdicts))
        return [merge(spans) for spans in found]

    def _verdicts(self, candidates: list[_Candidate]) -> dict[tuple[str, str], Verdict]:
        """Verdict per (kind, value) read in the batch: the own list, then the index."""
        values = {(kind, value) for c in candidates for _, _, kind, value in c.readings}
        verdicts: dict[tuple[str, str], Verdict] = {}
        digests: dict[tuple[str, str], str] = {}
        for pair in values:
            if pair in self.own:
                verdicts[pair] = OWN
            elif pair in self.known:
                verdicts[pair] = self.known[pair]
            elif self.index is not None:
                digests[pair] = self.index.digest(*pair)
            else:
                verdicts[pair] = UNKNOWN
        if digests and self.index is not None:
            by_digest = self.index.verdicts((pair[0], d) for pair, d in digests.items())
            if len(self.known) + len(digests) > _CACHE_LIMIT:
                self.known.clear()
            for pair, digest in digests.items():
                verdicts[pair] = self.known[pair] = by_digest[digest]
        return verdicts

    def _judge(
        self, candidate: _Candidate, verdicts: Mapping[tuple[str, str], Verdict]
    ) -> list[Span]:
        """The spans one candidate gives: a name run may hold several windows."""
        spans: list[Span] = []
        taken_until = -1
        for start, end, kind, value in candidate.readings:
            if start < taken_until:
                continue
            verdict = verdicts[(kind, value)]
            if verdict == OWN and candidate.kind in _BY_SHAPE:
                return []
            if verdict == OTHER:
                spans.append(Span(candidate.column, start, end, OTHER_SUBJECT))
                taken_until = end
            elif verdict == UNKNOWN and candidate.kind in _BY_SHAPE:
                spans.append(Span(candidate.column, start, end, candidate.kind))
                taken_until = end
            elif verdict == OWN:
                taken_until = end  # the subject's own name: its words stay
        return spans


def phone_value(text: str) -> str:
    """A UK number as the store indexes it (E.164: +44 and the national number without its
    0), from its digits alone: quicker than a full parse, and a number from a range not in
    service (Ofcom's drama numbers, a typo) is still someone's number to redact."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("440"):  # +44 (0)20 ...
        digits = "44" + digits[3:]
    elif digits.startswith("0"):
        digits = "44" + digits[1:]
    return "+" + digits


def _normal(kind: str, value: str) -> str | None:
    for _, (indexed, normaliser) in _INDEXED.items():
        if indexed == kind:
            try:
                return normaliser(value)
            except InvalidIdentity:
                return None
    return None


def _candidates(row: int, column: str, text: str) -> Iterable[_Candidate]:
    for match in CANDIDATES.finditer(text):
        kind = match.lastgroup or ""
        start, end = match.span()
        indexed, normaliser = _INDEXED[kind]
        if kind == NAME:
            readings = _name_windows(match.group(0), start)
            if readings:
                yield _Candidate(row, column, start, end, kind, readings)
            continue
        try:
            value = normaliser(match.group(0))
        except InvalidIdentity:
            continue  # the shape of a phone number, but no valid one: left alone
        yield _Candidate(row, column, start, end, kind, [(start, end, indexed, value)])


def _name_windows(run: str, offset: int) -> list[tuple[int, int, str, str]]:
    """Every window of three then two words of a run of capitalised words, leftmost first,
    longer before shorter at each start: "Called Mary Ann Jones" holds "Mary Ann Jones"."""
    words = [(m.start() + offset, m.end() + offset, m.group(0)) for m in _WORD.finditer(run)]
    readings: list[tuple[int, int, str, str]] = []
    for first in range(len(words) - 1):
        for size in (3, 2):
            last = first + size - 1
            if last < len(words):
                value = " ".join(w[2] for w in words[first : last + 1]).casefold()
                readings.append((words[first][0], words[last][1], NAME, value))
    return readings


def merge(spans: Sequence[Span]) -> list[Span]:
    """Overlapping or touching spans of one column made one (the first one's kind)."""
    ordered = sorted(spans, key=lambda s: (s.column, s.start, s.end))
    merged: list[Span] = []
    for span in ordered:
        last = merged[-1] if merged else None
        if last is not None and last.column == span.column and span.start <= last.end:
            merged[-1] = Span(last.column, last.start, max(last.end, span.end), last.kind)
        else:
            merged.append(span)
    return merged


def detector_for(
    uow: UnitOfWork, package: AccessPackage, own: Mapping[str, Sequence[str]]
) -> Detector:
    """The detector for one package: ``own`` from ``requests.source_search.
    subject_identities``, the blind index read under the package's subject's key."""
    return Detector(own, BlindIndex(uow, package.organisation, package.key_id))
