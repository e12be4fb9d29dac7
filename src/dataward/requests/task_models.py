"""The tasks a rights request holds: work with states of its own (issue 16).

Finding and changing data is done in tasks, not in request states: the issues on data
sources and on erasure add task kinds here, never states to the request. A task's result
and reason are the caseworker's words, sealed under the request's own key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime

# Every kind of task, with what it is in the caseworker's words. Other issues append here.
TASK_KINDS: dict[str, str] = {
    # SAR-07: a dataset the register declares but no source binds is searched by hand.
    "search": "Search a connected source",
    "manual_search": "Search by hand",
    "package": "Put the response together",
    "plan": "Plan the erasure",
    "execute": "Make the change",
    "notify": "Tell the requester",
    # ADM-01: a person reviews an automated decision, with the subject's view.
    "human_review": "Review the automated decision",
}
TASK_STATES = ("open", "in_progress", "done", "not_needed", "cancelled")
# A task in one of these states still has work to do.
UNFINISHED = ("open", "in_progress")


class RequestTask(Base):
    __tablename__ = "request_tasks"

    # "t_" and 16 hex digits: quoted in the console's and the API's addresses.
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rights_requests.id"), index=True
    )
    # Planned order within the request (the order the work is done in).
    seq: Mapped[int] = mapped_column(Integer)
    # The right the task serves: splitting a request moves a right's tasks with it.
    right: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    # The register's dataset id, for searches (None for the other kinds).
    dataset: Mapped[str | None] = mapped_column(String(80), default=None)
    title: Mapped[str] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200), default=None)
    # SAR-07: whether the search found data on the subject (None until searched).
    found: Mapped[bool | None] = mapped_column(Boolean, default=None)
    done_by: Mapped[str | None] = mapped_column(String(200), default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # What was found or decided, in the caseworker's words, sealed under the request's key.
    result_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Why the task is not needed (SAR-07: why a search is not reasonable and proportionate).
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
