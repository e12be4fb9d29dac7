"""A caseworker's note on a request: what was said on the phone, what was found, what to do
next. Never commits.

A note changes nothing about the request's state or clock: it is one more line of the
request's history (``request.note_added``), its words sealed under the request's own key
like every reason given with a step, so shredding the request shreds them. The audit chain
records that a note was added, by whom and for which day, never its words.
"""

from __future__ import annotations

from datetime import date

from dataward.requests.audit_actions import REQUEST_NOTE_ADDED
from dataward.requests.errors import RequestInvalid
from dataward.requests.models import RequestEvent
from dataward.requests.service import MAX_TEXT, add_event, audit_request, get_request
from dataward.uow import UnitOfWork


def add_note(
    uow: UnitOfWork, organisation: str, ref: str, text: str, *, actor: str, on: date
) -> RequestEvent:
    """Add ``text`` to the request's history as of ``on`` (the day it is about, which may be
    before today); an empty, oversized or NUL-bearing note is refused and nothing changes."""
    words = text.strip()
    if not words:
        raise RequestInvalid("write the note: an empty note says nothing")
    if len(words) > MAX_TEXT or "\x00" in words:
        raise RequestInvalid(f"the note is too long (at most {MAX_TEXT} characters)")
    row = get_request(uow, organisation, ref)
    if on > uow.clock.today():
        raise RequestInvalid("a note cannot be about a day after today")
    if on < row.received_on:
        raise RequestInvalid("a note cannot be about a day before the request was received")
    event = add_event(uow, row, REQUEST_NOTE_ADDED, row.state, actor=actor, on=on, note=words)
    row.updated_at = uow.clock.now()
    audit_request(uow, row, REQUEST_NOTE_ADDED, actor=actor, on=on.isoformat(), state=row.state)
    return event
