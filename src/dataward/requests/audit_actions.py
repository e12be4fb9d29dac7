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
REQUEST_REMINDER_SENT = "request.reminder_sent"
REQUEST_REMINDER_UNDELIVERABLE = "request.reminder_undeliverable"
REQUEST_DIGEST_SENT = "request.digest_sent"
REQUEST_TOOK_EFFECT = "request.took_effect"
REQUEST_TASK_STARTED = "request.task_started"
REQUEST_TASK_SEARCHED = "request.task_searched"
REQUEST_TASK_NOT_REASONABLE = "request.task_not_reasonable"
REQUEST_TASK_NOT_NEEDED = "request.task_not_needed"
REQUEST_TASK_REVIEWED = "request.task_reviewed"
REQUEST_TASK_DONE = "request.task_done"
REQUEST_SPLIT = "request.split"
REQUEST_CODE_SENT = "request.code_sent"
REQUEST_CODE_REFUSED = "request.code_refused"
REQUEST_EMAIL_CONFIRMED = "request.email_confirmed"
REQUEST_KNOWLEDGE_CHECKED = "request.knowledge_checked"
REQUEST_DOCUMENT_UPLOADED = "request.document_uploaded"
REQUEST_DOCUMENT_VIEWED = "request.document_viewed"
REQUEST_DOCUMENT_CHECKED = "request.document_checked"
# SAR-10: someone acting for the subject; SAR-05: asking for their authority stops the clock.
REQUEST_AUTHORITY_RECEIVED = "request.authority_received"
REQUEST_AUTHORITY_REQUESTED = "request.authority_requested"
REQUEST_AUTHORITY_RECORDED = "request.authority_recorded"
# A portal's batch: one entry with the counts, besides each opened request's own.
REQUEST_BATCH_RECEIVED = "request.batch_received"
# A letter to the requester that must be printed and posted (no email, or the register
# says post): the request page shows it with a printable copy.
REQUEST_LETTER_TO_POST = "request.letter_to_post"
# A request that ended (refused, withdrawn, deceased) cancels its unfinished tasks.
REQUEST_TASK_CANCELLED = "request.task_cancelled"
# A caseworker's note on a request, without a change of state (the words are sealed).
REQUEST_NOTE_ADDED = "request.note_added"
# Issue 18: a request searched in the organisation's bound sources, counts per dataset.
REQUEST_SOURCES_SEARCHED = "request.sources_searched"
