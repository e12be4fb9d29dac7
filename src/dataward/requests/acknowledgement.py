"""The acknowledgement a requester is emailed the moment their request opens. Never commits.

One place for every channel: the portal sends it always, the console when the caseworker
ticks "Email an acknowledgement", the API (single and batch) unless told not to. It carries
the reference, the rights in plain words, the due date and the signed status link; a
requester with no email address, one who asked to be answered by post, or one whose
authority sends replies to the subject only, is answered by post, and nothing is queued.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataward.outbox.models import OutboxMessage
from dataward.register.wording import uk_date
from dataward.requests.messages import message_requester, message_requesters
from dataward.requests.models import RightsRequest
from dataward.requests.service import requester_of
from dataward.requests.wording import rights_in_words
from dataward.uow import UnitOfWork

KIND = "request_acknowledged"
NEXT_STEP = (
    "Before we answer, we may ask you to confirm who you are, so that we never give your "
    "information to someone else."
)


def status_address(public_url: str, token: str) -> str:
    """The status page's absolute address, as the email gives it."""
    return f"{public_url.rstrip('/')}/requests/status/{token}"


def acknowledge(
    uow: UnitOfWork, row: RightsRequest, status_url: str, *, actor: str
) -> OutboxMessage | None:
    """Queue the acknowledgement; None when the requester is answered by post: they gave
    no email address, or asked for post (JTR rights.g7: electronic unless they asked)."""
    if requester_of(uow, row).reply_by == "post":
        return None
    return message_requester(uow, row, KIND, _context(row, status_url), actor=actor)


def acknowledge_all(
    uow: UnitOfWork, requests: Sequence[tuple[RightsRequest, str]], *, actor: str
) -> None:
    """``acknowledge`` for many requests (a portal's batch), their audit entries appended
    together; each (request, its status address)."""
    wanted = [
        (row, _context(row, url))
        for row, url in requests
        if requester_of(uow, row).reply_by != "post"
    ]
    message_requesters(uow, wanted, KIND, actor=actor)


def _context(row: RightsRequest, status_url: str) -> dict[str, object]:
    return {
        "rights": rights_in_words(row.rights),
        "received_on": uk_date(row.received_on),
        "due_on": uk_date(row.due_on) if row.due_on else "",
        "status_url": status_url,
        "next_step": NEXT_STEP,
    }
