"""Jinja2 templates of the pages, with autoescaping and a few display filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from dataward.accounts.permissions import Permission
from dataward.clock import uk_moment
from dataward.consent.cookies import possessive

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _when(value: object) -> str:
    """Dates as a UK reader writes them, in UK time: 20 February 2024, 09:30 GMT."""
    if isinstance(value, datetime):
        return uk_moment(value)
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str


# Console navigation: each entry shows only to roles holding its permission.
_CONSOLE_NAV: list[tuple[str, str, str, Permission | None]] = [
    ("dashboard", "Dashboard", "/console", None),
    ("requests", "Requests", "/console/requests", Permission.REQUESTS_READ),
    ("complaints", "Complaints", "/console/complaints", Permission.COMPLAINTS_READ),
    ("subjects", "Subjects", "/console/subjects", Permission.SUBJECTS_READ),
    ("holds", "Holds", "/console/holds", Permission.HOLDS_READ),
    ("retention", "Retention", "/console/retention", Permission.HOLDS_READ),
    # An auditor may not read the plan (holds) but reads the runs' evidence (RET-03).
    ("retention", "Retention", "/console/retention/runs", Permission.AUDIT_READ),
    ("registers", "Registers", "/console/registers", Permission.REGISTERS_READ),
    ("users", "Users", "/console/users", Permission.USERS_ADMIN),
    ("tokens", "API tokens", "/console/tokens", Permission.USERS_ADMIN),
    ("outbox", "Outbox", "/console/outbox", Permission.OUTBOX_READ),
    ("audit", "Audit log", "/console/audit", Permission.AUDIT_READ),
    ("campaigns", "Campaigns", "/console/campaigns", Permission.OUTBOX_READ),
]


def nav_items(request: Request) -> list[NavItem]:
    from dataward.web.auth import principal_of

    principal = principal_of(request)
    if not principal.signed_in:
        return [
            NavItem("portal", "Privacy notices", "/"),
            NavItem("login", "Staff sign in", "/login"),
        ]
    items: dict[str, NavItem] = {}
    for key, label, href, needed in _CONSOLE_NAV:
        # A key listed twice: the first entry the role may open wins.
        if key not in items and (needed is None or principal.can(needed)):
            items[key] = NavItem(key, label, href)
    return list(items.values())


def csrf_input(request: Request) -> Markup:
    """The hidden CSRF field of a console form, bound to the signed-in session."""
    from dataward.accounts.sessions import csrf_token
    from dataward.web.auth import CSRF_FIELD, principal_of

    session = principal_of(request).session
    if session is None:
        return Markup("")
    token = csrf_token(session, int(request.app.state.clock.now().timestamp()))
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


templates.env.filters["when"] = _when
templates.env.filters["plural"] = _plural
templates.env.filters["possessive"] = possessive
templates.env.globals["nav_items"] = nav_items
templates.env.globals["csrf_input"] = csrf_input
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    from dataward.web.auth import principal_of
    from dataward.web.flash import take_flashes

    principal = principal_of(request)
    context = {"principal": principal, "flashes": take_flashes(request), **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code)
