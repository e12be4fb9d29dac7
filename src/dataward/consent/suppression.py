"""The suppression list: marketing stops that outlive a shredded subject (issue 19). Never commits.

Crypto-shredding a subject destroys their identities, and with them every objection,
opt-out and withdrawn marketing consent they had: re-imported from a client list, the same
email would look like a stranger's and could be marketed to again. So before the key goes,
``suppress_before_shred`` writes one entry per identity and stop in force, holding only the
identity's blind-index digest (the HMAC the key store already finds subjects by; nothing
decryptable, no plaintext), the channel, the purposes, the reason code and the time.

Entries are read twice:

- a decision about an identity that no living subject holds answers "no" with the code
  ``suppressed`` (OBJ-02) for the channels suppressed;
- a subject later created with a suppressed identity inherits the stop as an objection to
  marketing on each channel (outcome ``suppressed``), which their own fresh consent on that
  channel, given through their own preferences link, supersedes (as it does their own
  one-channel "stop"). Staff recording consent does not lift it: the person must opt in.

Entries are never lifted or deleted: a later subject's consent lifts that subject's
inherited objection, not the entry, so a stranger's question about the identity stays "no".
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from dataward.audit.service import record as audit
from dataward.consent.audit_actions import SUPPRESSION_INHERITED, SUPPRESSION_WRITTEN
from dataward.consent.models import ConsentRecord, Objection, Suppression
from dataward.consent.policy import CONTACT_CHANNELS, DIRECT_MARKETING
from dataward.crypto.keystore import BlindIndexEntry
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

# The outcome of an objection a subject inherited from the suppression list.
SUPPRESSED = "suppressed"
# The method recorded on such an objection: nobody asked for it, the list carried it over.
SUPPRESSION_METHOD = "suppression"
# Why an entry was written: the stop that was in force when the subject was shredded.
REASONS = ("objected_to_marketing", "opted_out", "consent_withdrawn")
_RECORD_REASON = {"consent": "consent_withdrawn", "soft_opt_in": "opted_out"}
# Identity pairs per query (keeps the IN list well under every backend's limit).
_CHUNK = 500

Pair = tuple[str, str]  # (identity kind, blind-index digest)


@dataclass(frozen=True)
class SuppressionFact:
    channel: str
    purposes: tuple[str, ...]
    reason: str

    def covers(self, channel: str | None, purpose: str | None = None) -> bool:
        """Whether this entry stops marketing on ``channel`` (None: any) for ``purpose``."""
        if channel is not None and self.channel not in ("any", channel):
            return False
        if not self.purposes or purpose is None or purpose == DIRECT_MARKETING:
            return True
        return purpose in self.purposes


def stops_in_force(uow: UnitOfWork, subject: Subject) -> list[tuple[str, tuple[str, ...], str]]:
    """(channel, purposes, reason) of every marketing stop the subject has now."""
    stops: list[tuple[str, tuple[str, ...], str]] = []
    objections = uow.session.scalars(
        select(Objection).where(
            Objection.subject_id == subject.id, Objection.kind == "direct_marketing"
        )
    )
    for objection in objections:
        if objection.outcome == "superseded":
            continue
        stops.extend((c, (), "objected_to_marketing") for c in objection.channels)
    records = uow.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.subject_id == subject.id,
            ConsentRecord.kind.in_(tuple(_RECORD_REASON)),
            ConsentRecord.channel != "",
            ConsentRecord.state == "withdrawn",
        )
    )
    for row in records:
        stops.append((row.channel, (row.purpose,), _RECORD_REASON[row.kind]))
    return sorted(set(stops))


def suppress_before_shred(uow: UnitOfWork, subject: Subject, *, actor: str = "system") -> int:
    """Write the subject's stops against their identities' digests; call before the key goes.

    Returns the number of entries written (none for a person with no stop in force).
    """
    stops = stops_in_force(uow, subject)
    if not stops:
        return 0
    uow.keys.flush()
    pairs = sorted(
        set(
            uow.keys.execute(
                select(BlindIndexEntry.kind, BlindIndexEntry.digest).where(
                    BlindIndexEntry.key_id == subject.key_id
                )
            ).tuples()
        )
    )
    now = uow.clock.now()
    for kind, digest in pairs:
        for channel, purposes, reason in stops:
            uow.session.add(
                Suppression(
                    organisation=subject.organisation,
                    kind=kind,
                    digest=digest,
                    channel=channel,
                    purposes=list(purposes),
                    reason=reason,
                    suppressed_at=now,
                )
            )
    written = len(pairs) * len(stops)
    if written:
        uow.session.flush()
        audit(
            uow,
            actor=actor,
            action=SUPPRESSION_WRITTEN,
            entity_type="subject",
            entity_id=subject.ref,
            subject_ref=subject.ref,
            details={
                "organisation": subject.organisation,
                "entries": written,
                "identities": len(pairs),
                "stops": len(stops),
            },
        )
    return written


def suppressions_for(
    uow: UnitOfWork, organisation: str, pairs: Iterable[Pair]
) -> dict[Pair, list[SuppressionFact]]:
    """The entries held against each (kind, digest) asked about; absent when none."""
    wanted = sorted(set(pairs))
    found: dict[Pair, list[SuppressionFact]] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, digest in wanted:
        by_kind.setdefault(kind, []).append(digest)
    for kind, digests in by_kind.items():
        for start in range(0, len(digests), _CHUNK):
            rows = uow.session.execute(
                select(
                    Suppression.digest,
                    Suppression.channel,
                    Suppression.purposes,
                    Suppression.reason,
                ).where(
                    Suppression.organisation == organisation,
                    Suppression.kind == kind,
                    Suppression.digest.in_(digests[start : start + _CHUNK]),
                )
            )
            for digest, channel, purposes, reason in rows:
                fact = SuppressionFact(channel, tuple(purposes or ()), reason)
                facts = found.setdefault((kind, digest), [])
                if fact not in facts:
                    facts.append(fact)
    return found


def inherit_suppressions(
    uow: UnitOfWork, subject: Subject, pairs: Sequence[Pair], *, actor: str = "system"
) -> int:
    """A subject newly holding suppressed identities gets the stops as marketing objections.

    One objection per channel (``any`` spread over every contact channel), so that the
    person's own consent on one channel lifts that channel only. Returns how many.
    """
    found = suppressions_for(uow, subject.organisation, pairs)
    channels: set[str] = set()
    for facts in found.values():
        for fact in facts:
            channels |= set(CONTACT_CHANNELS) if fact.channel == "any" else {fact.channel}
    if not channels:
        return 0
    held = {
        tuple(o.channels)
        for o in uow.session.scalars(
            select(Objection).where(
                Objection.subject_id == subject.id, Objection.outcome == SUPPRESSED
            )
        )
    }
    now = uow.clock.now()
    added = 0
    for channel in sorted(channels):
        if (channel,) in held:
            continue
        uow.session.add(
            Objection(
                id=str(uuid.uuid4()),
                ref="o_" + secrets.token_hex(8),
                organisation=subject.organisation,
                subject_id=subject.id,
                kind="direct_marketing",
                channels=[channel],
                purposes=[],
                method=SUPPRESSION_METHOD,
                received_at=now,
                outcome=SUPPRESSED,
                outcome_at=now,
            )
        )
        added += 1
    if added:
        uow.session.flush()
        audit(
            uow,
            actor=actor,
            action=SUPPRESSION_INHERITED,
            entity_type="subject",
            entity_id=subject.ref,
            subject_ref=subject.ref,
            details={"organisation": subject.organisation, "objections": added},
        )
    return added
