"""What the complainant's status page says about their complaint: plain words, UK dates.

Read from the complaint's own fields (and, once closed, the explanation the complainant is
given anyway in the outcome letter): nothing from the caseworkers' notes, nothing about the
complainant beyond their name. The page (``web.portal_complaints``) and the letters read
the same sentences from here (CMP-01).
"""

from __future__ import annotations

from dataclasses import dataclass

from dataward.complaints.models import Complaint
from dataward.register.wording import uk_date

# Where the complaint is, in the complainant's words.
STATE_WORDS: dict[str, str] = {
    "received": "Received: we have your complaint",
    "acknowledged": "Acknowledged: we will look into it",
    "investigating": "Being investigated",
    "closed": "Closed: we have given you our outcome",
}

# How a closed complaint ended, in the complainant's words.
OUTCOME_WORDS: dict[str, str] = {
    "upheld": "We upheld your complaint: we agree that we got things wrong.",
    "partly_upheld": "We upheld part of your complaint: we agree that we got some things wrong.",
    "not_upheld": ("We did not uphold your complaint: we did not find that we got things wrong."),
    "withdrawn": "You withdrew your complaint, so we have stopped looking into it.",
}


@dataclass(frozen=True)
class ComplaintStatus:
    ref: str
    state: str
    received: str
    acknowledge_by: str | None  # while not yet acknowledged
    acknowledged: str | None
    # Only when the register promises a time (CMP-01): never a default shown as a promise.
    outcome_by: str | None
    outcome: str | None
    explanation: str | None
    closed: str | None
    open: bool


def status_of(row: Complaint, explanation: str | None = None) -> ComplaintStatus:
    """The complaint as its status page shows it; ``explanation``: the close note."""
    closed = row.state == "closed"
    return ComplaintStatus(
        ref=row.ref,
        state=STATE_WORDS.get(row.state, row.state.replace("_", " ")),
        received=uk_date(row.received_on),
        acknowledge_by=uk_date(row.acknowledge_by) if row.acknowledged_on is None else None,
        acknowledged=uk_date(row.acknowledged_on) if row.acknowledged_on else None,
        outcome_by=uk_date(row.outcome_target_on)
        if row.outcome_target_on is not None and not closed
        else None,
        outcome=OUTCOME_WORDS.get(row.outcome) if closed and row.outcome else None,
        explanation=explanation if closed else None,
        closed=uk_date(row.closed_on) if closed and row.closed_on else None,
        open=not closed,
    )
