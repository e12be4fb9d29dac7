"""How requests read to the person who made them: plain words, UK dates."""

from __future__ import annotations

from collections.abc import Sequence

# What each right asks for, in the requester's words (the portal form, letters, emails).
RIGHT_WORDS: dict[str, str] = {
    "access": "a copy of your data (access)",
    "rectification": "to correct data that is wrong or incomplete (rectification)",
    "erasure": "to delete your data (erasure)",
    "restriction": "to stop using your data for now (restriction)",
    "portability": "your data to take elsewhere (portability)",
    "objection": "to stop using your data as we do (objection)",
    "objection_direct_marketing": "to stop all marketing to you (objection to marketing)",
    "automated_decisions": "a person to review a decision made by computer (automated decision)",
    "withdraw_consent": "to withdraw your consent",
}

# Where the request is, as the requester's status page and letters say it.
STATE_WORDS: dict[str, str] = {
    "received": "We have your request",
    "awaiting_identity": "We are waiting for proof of identity",
    "awaiting_fee": "We are waiting for the fee",
    "awaiting_clarification": "We are waiting for you to tell us more",
    "in_progress": "We are working on your request",
    "extended": "We are working on your request (the time was extended)",
    "ready_for_review": "We are checking our answer",
    "responded": "We have answered",
    "refused": "We have refused the request",
    "withdrawn": "You withdrew the request",
    "closed": "Closed",
}
# ``awaiting_identity`` when what is awaited is a representative's authority (SAR-10), not
# the requester's proof of identity (``requests.waits``).
AUTHORITY_AWAITED = "We are waiting for the authority of the person acting for you"


def rights_in_words(rights: Sequence[str]) -> list[str]:
    return [RIGHT_WORDS.get(r, r.replace("_", " ")) for r in rights]
