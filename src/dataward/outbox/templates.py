"""Message templates: one plain-text and one HTML body and a subject line per message type.

Templates are checked when a worker or the server starts, by rendering every type with a
sample context under ``StrictUndefined``: a typo or a missing variable stops the start with
``file:line``, rather than parking every message at send time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)

from dataward.outbox.errors import TemplateInvalid, UnknownMessageType

BUILTIN_DIR = Path(__file__).parent / "templates"
PARTS = ("subject.txt", "txt", "html")

_COMMON_SAMPLE: dict[str, Any] = {
    "organisation_name": "Example Housing",
    "organisation_legal_name": "Example Housing Association Limited",
}


@dataclass(frozen=True)
class MessageType:
    name: str
    # "subject", "requester" (of a rights request, or a complainant) or "staff"
    audience: str
    sample: dict[str, Any]


MESSAGE_TYPES: dict[str, MessageType] = {
    "notice_change": MessageType(
        "notice_change",
        "subject",
        {
            "summary": "We now keep call recordings for 90 days instead of 30.",
            "notice_url": "https://example.org/notice",
            "from_version": 1,
            "to_version": 2,
        },
    ),
    "audit_head": MessageType(  # audit/head_service.py: a signed head for the DPO to keep
        "audit_head",
        "staff",
        {
            "seq": 1204,
            "row_hash": "9f2c" * 16,
            "signed_at": "2026-12-04 09:00:00 UTC",
            "key_id": "0123456789abcdef",
            "line": '{"seq":1204,"row_hash":"...","signature":"..."}',
        },
    ),
    "request_acknowledged": MessageType(  # requests/messages.py: sent the moment it opens
        "request_acknowledged",
        "requester",
        {
            "reference": "q_0123456789abcdef",
            "rights": ["a copy of your data (access)"],
            "received_on": "2 December 2026",
            "due_on": "4 January 2027",
            "status_url": "https://example.org/requests/status/abc",
            "next_step": "",
        },
    ),
    # requests/tasks.py: ADM-01, a person reviewed an automated decision; the outcome is sent.
    "human_review_outcome": MessageType(
        "human_review_outcome",
        "requester",
        {
            "reference": "q_0123456789abcdef",
            "outcome": "We looked at the decision again and restored your credit limit.",
        },
    ),
    # requests/letters.py: the letter a step sends (SAR-04, SAR-08, SAR-10), one type per
    # letter so the request page can tell which went by email; the bodies are the letter's.
    **{
        f"request_letter_{kind}": MessageType(
            f"request_letter_{kind}",
            "requester",
            {
                "reference": "q_0123456789abcdef",
                "title": "Our answer to your request",
                "letter_text": "Dear A Person,\n\nOur answer to your request.",
                "letter_html": "<!doctype html><p>Our answer to your request.</p>",
            },
        )
        for kind in ("extension", "refusal", "response", "deceased", "withdrawn")
    },
    "staff_alert": MessageType(
        "staff_alert",
        "staff",
        {"title": "3 messages are parked", "lines": ["See the outbox page in the console."]},
    ),
    "request_reminder": MessageType(  # requests/reminders.py: a deadline draws near or passed
        "request_reminder",
        "staff",
        {
            "reference": "q_0123456789abcdef",
            "when": "is due in 7 days",
            "due_on": "4 January 2027",
            "state": "in progress",
            "request_url": "https://example.org/console/requests/example_housing/q_0123",
        },
    ),
    "request_due_moved": MessageType(  # requests/reminders.py: the holiday calendar moved it
        "request_due_moved",
        "staff",
        {
            "reference": "q_0123456789abcdef",
            "from_date": "4 May 2026",
            "to_date": "5 May 2026",
            "request_url": "https://example.org/console/requests/example_housing/q_0123",
        },
    ),
    "complaint_reminder": MessageType(  # complaints/reminders.py: CMP-01's clocks
        "complaint_reminder",
        "staff",
        {
            "reference": "c_0123456789abcdef",
            "clock": "acknowledgement",
            "duty": "acknowledge the complaint (CMP-01: within 30 days of receipt)",
            "when": "is due in 7 days",
            "due_on": "4 January 2027",
            "state": "received",
            "complaint_url": "https://example.org/console/complaints/example_housing/c_0123",
        },
    ),
    "request_digest": MessageType(  # requests/digest.py: the DPO's morning summary
        "request_digest",
        "staff",
        {
            "day": "5 December 2026",
            "overdue": 2,
            "due_soon": 5,
            "waiting": 3,
            "opened": 4,
            "closed": 1,
            "overdue_refs": ["q_0123456789abcdef", "q_fedcba9876543210"],
            "queue_url": "https://example.org/console/requests",
        },
    ),
    # complaints/messages.py: CMP-01, sent when the complaint is acknowledged, with the
    # signed status link where the step was given one (the portal always gives it).
    "complaint_acknowledged": MessageType(
        "complaint_acknowledged",
        "requester",
        {
            "reference": "c_0123456789abcdef",
            "received_on": "2 December 2026",
            "acknowledged_on": "2 December 2026",
            "outcome_by": "1 January 2027",
            "status_url": "https://example.org/complaints/status/abc",
        },
    ),
    # complaints/letters.py: CMP-01, the outcome letter (with the ICO route) when it closes.
    "complaint_outcome": MessageType(
        "complaint_outcome",
        "requester",
        {
            "reference": "c_0123456789abcdef",
            "title": "The outcome of your complaint",
            "letter_text": "Dear A Person,\n\nThe outcome of your complaint.",
            "letter_html": "<!doctype html><p>The outcome of your complaint.</p>",
            "status_url": "https://example.org/complaints/status/abc",
        },
    ),
    # requests/verification.py: a one-time code to prove the requester reads this mailbox
    "request_code": MessageType(
        "request_code",
        "requester",
        {"reference": "q_0123456789abcdef", "code": "042917", "minutes": 30},
    ),
    # access/delivery.py: the requester's package is ready to download (ACC-01).
    "package_ready": MessageType(
        "package_ready",
        "requester",
        {
            "reference": "q_0123456789abcdef",
            "download_url": "https://example.org/packages/abc.def",
            "expires": "25 December 2026, 09:30 GMT",
        },
    ),
    # requests/rights_applied.py: a restriction will be lifted; told first (RES-01, Art 18(3)).
    "restriction_lifting": MessageType(
        "restriction_lifting", "requester", {"reference": "q_0123456789abcdef"}
    ),
    # access/delivery.py: a portability package is ready to download (POR-01).
    "portability_package_ready": MessageType(
        "portability_package_ready",
        "requester",
        {
            "reference": "q_0123456789abcdef",
            "download_url": "https://example.org/packages/abc.def",
            "expires": "25 December 2026, 09:30 GMT",
        },
    ),
    # access/controller_transfer.py: POR-01, Art 20(2): the link to the controller the
    # subject named, and the subject told where it went (the code still goes to them).
    "portability_package_to_controller": MessageType(
        "portability_package_to_controller",
        "requester",
        {
            "reference": "q_0123456789abcdef",
            "controller_name": "Example Energy Ltd",
            "download_url": "https://example.org/packages/abc.def",
            "expires": "25 December 2026, 09:30 GMT",
        },
    ),
    "portability_package_sent": MessageType(
        "portability_package_sent",
        "requester",
        {
            "reference": "q_0123456789abcdef",
            "controller_name": "Example Energy Ltd",
            "controller_email": "data.transfers@example-energy.co.uk",
            "expires": "25 December 2026, 09:30 GMT",
        },
    ),
    # access/download_codes.py: the code asked for on the download page.
    "package_code": MessageType(
        "package_code",
        "requester",
        {"reference": "q_0123456789abcdef", "code": "042917", "minutes": 30},
    ),
    # disclosures/notices.py: NOT-01, a recipient of a person's data told of a change a
    # request made, one type per change; sealed under the request's key like its letters.
    **{
        f"recipient_{change}": MessageType(
            f"recipient_{change}",
            "requester",
            {
                "reference": "q_0123456789abcdef",
                "recipient_name": "Ascendant Solutions Ltd",
                "disclosures": ["2 March 2026, your reference TR-1 (our reference d_01234567)"],
                "datasets": ["Customer details"],
                "lines": ["Customer details, email: the corrected value"],
            },
        )
        for change in ("erasure", "rectification", "restriction")
    },
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class MessageTemplates:
    def __init__(self, override_dir: Path | None = None) -> None:
        folders = [str(override_dir)] if override_dir is not None else []
        loader = ChoiceLoader([FileSystemLoader([*folders, str(BUILTIN_DIR)])])
        self.override_dir = override_dir
        self._text = Environment(
            # Plain-text bodies: HTML escaping would corrupt them; they are never shown as HTML.
            loader=loader,
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701
            keep_trailing_newline=True,
        )
        self._html = Environment(loader=loader, undefined=StrictUndefined, autoescape=True)

    def check(self) -> None:
        """Render every message type with its sample; raise ``TemplateInvalid`` listing all."""
        if self.override_dir is not None and not self.override_dir.is_dir():
            raise TemplateInvalid(f"mail templates folder {self.override_dir} does not exist")
        problems: list[str] = []
        for kind in MESSAGE_TYPES.values():
            for part in PARTS:
                try:
                    self._render_part(kind.name, part, {**_COMMON_SAMPLE, **kind.sample})
                except TemplateError as exc:
                    problems.append(_where(exc, f"{kind.name}.{part}"))
        if problems:
            raise TemplateInvalid(
                f"{len(problems)} message template problem(s); nothing was sent",
                details=problems,
            )

    def render(self, kind: str, context: dict[str, Any]) -> Rendered:
        if kind not in MESSAGE_TYPES:
            raise UnknownMessageType(f"unknown message type {kind!r}")
        try:
            subject = self._render_part(kind, "subject.txt", context)
            text = self._render_part(kind, "txt", context)
            html = self._render_part(kind, "html", context)
        except TemplateError as exc:
            raise TemplateInvalid("message template failed", details=[_where(exc, kind)]) from None
        # One line, whatever the template does: a newline in a header would inject headers.
        return Rendered(re.sub(r"\s+", " ", subject).strip()[:200], text, html)

    def _render_part(self, kind: str, part: str, context: dict[str, Any]) -> str:
        env = self._html if part == "html" else self._text
        return env.get_template(f"{kind}.{part}").render(context)


def _where(exc: TemplateError, name: str) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return f"{exc.filename or exc.name or name}:{exc.lineno}: {exc.message}"
    return f"{name}: {exc.message or type(exc).__name__}"


@lru_cache(maxsize=8)
def checked_templates(override_dir: Path | None) -> MessageTemplates:
    """Templates for this folder, checked once per process."""
    templates = MessageTemplates(override_dir)
    templates.check()
    return templates
