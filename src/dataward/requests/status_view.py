"""What the requester's status page says about their request: plain words, UK dates.

Read from the request's own fields only: nothing about the requester beyond what they can
already see, nothing from the caseworkers' notes. The page (``web.portal_requests``) and any
letter that wants the same sentences read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataward.register.wording import uk_date
from dataward.requests.models import RightsRequest
from dataward.requests.transitions import FINAL
from dataward.requests.wording import AUTHORITY_AWAITED, STATE_WORDS, rights_in_words

# What the request is waiting for, while its clock stands still (SAR-05, SAR-06).
WAITING_WORDS: dict[str, str] = {
    "awaiting_identity": (
        "proof of who you are (or, if you asked for someone else, of your authority to act "
        "for them). The time limit starts again on the day it reaches us."
    ),
    "awaiting_fee": "the fee we asked for. The time limit starts again on the day it reaches us.",
    "awaiting_clarification": (
        "you to tell us more about what you are asking for. The days we wait are added to "
        "the time limit."
    ),
}

# SAR-05/SAR-10: the request waits for the authority of someone acting for the subject.
AUTHORITY_WAITING_WORDS = (
    "the authority of the person acting for you. The time limit starts again on the day it "
    "reaches us."
)

# How a closed request ended, in the requester's words.
OUTCOME_WORDS: dict[str, str] = {
    "responded": "We have answered your request. Our answer was sent to you.",
    "refused": (
        "We refused your request. Our answer gives the reasons and how to complain to the "
        "Information Commissioner's Office if you disagree."
    ),
    "withdrawn": "You withdrew the request, so we have stopped working on it.",
    "deceased": (
        "We closed the request: data protection law does not cover a person who has died."
    ),
}

# Said of a right the register marks as not applying: kept and explained, never dropped.
NOT_OFFERED_NOTE = (
    "we will explain in our answer why this right may not apply to the way we use your data"
)


@dataclass(frozen=True)
class RightAsked:
    words: str
    explained: bool  # the register says it may not apply: the answer explains why


@dataclass(frozen=True)
class RequestStatus:
    ref: str
    rights: list[RightAsked]
    state: str
    received: str
    due: str | None
    extended: bool
    waiting_for: str | None
    outcome: str | None
    open: bool


def status_of(row: RightsRequest, *, waiting_for_authority: bool = False) -> RequestStatus:
    """The request as its status page shows it. ``waiting_for_authority``: the wait is for
    a representative's authority, not proof of identity (``requests.waits``)."""
    words = rights_in_words(row.rights)
    explained = set(row.not_offered or [])
    closed = row.state in FINAL or row.outcome is not None
    return RequestStatus(
        ref=row.ref,
        rights=[RightAsked(w, r in explained) for r, w in zip(row.rights, words, strict=True)],
        state=AUTHORITY_AWAITED
        if waiting_for_authority and not closed
        else STATE_WORDS.get(row.state, row.state.replace("_", " ")),
        received=uk_date(row.received_on),
        due=uk_date(row.due_on) if row.due_on is not None and not closed else None,
        extended=row.extended,
        waiting_for=None
        if closed
        else AUTHORITY_WAITING_WORDS
        if waiting_for_authority
        else WAITING_WORDS.get(row.state),
        outcome=OUTCOME_WORDS.get(row.outcome) if row.outcome else None,
        open=not closed,
    )
