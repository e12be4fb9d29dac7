"""Audit actions written about complaints. Stored in the chain: never change a value."""

from __future__ import annotations

COMPLAINT_RECEIVED = "complaint.received"
COMPLAINT_ACKNOWLEDGED = "complaint.acknowledged"
COMPLAINT_INVESTIGATING = "complaint.investigating"
COMPLAINT_NOTE_ADDED = "complaint.note_added"
COMPLAINT_REQUEST_LINKED = "complaint.request_linked"
COMPLAINT_SUBJECT_LINKED = "complaint.subject_linked"
COMPLAINT_CLOSED = "complaint.closed"
COMPLAINT_THEMED = "complaint.themed"
COMPLAINT_LETTER_TO_POST = "complaint.letter_to_post"
COMPLAINT_REMINDER_SENT = "complaint.reminder_sent"
COMPLAINT_REMINDER_UNDELIVERABLE = "complaint.reminder_undeliverable"
