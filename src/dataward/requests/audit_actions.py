"""Audit actions written about rights requests. Stored in the chain: never change a value."""

from __future__ import annotations

REQUEST_RECEIVED = "request.received"
REQUEST_IDENTITY_REQUESTED = "request.identity_requested"
REQUEST_IDENTITY_VERIFIED = "request.identity_verified"
REQUEST_FEE_REQUESTED = "request.fee_requested"
REQUEST_FEE_RECEIVED = "request.fee_received"
REQUEST_CLARIFICATION_REQUESTED = "request.clarification_requested"
REQUEST_CLARIFICATION_RECEIVED = "request.clarification_received"
REQUEST_EXTENDED = "request.extended"
REQUEST_READY_FOR_REVIEW = "request.ready_for_review"
REQUEST_RESPONDED = "request.responded"
REQUEST_REFUSED = "request.refused"
REQUEST_WITHDRAWN = "request.withdrawn"
REQUEST_CLOSED = "request.closed"
REQUEST_ASSIGNED = "request.assigned"
REQUEST_SUBJECT_LINKED = "request.subject_linked"
REQUEST_DUE_MOVED = "request.due_moved"
# A letter to the requester that must be printed and posted (no email, or the register
# says post): the request page shows it with a printable copy.
REQUEST_LETTER_TO_POST = "request.letter_to_post"
