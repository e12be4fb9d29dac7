"""Confirmation before a console action takes effect: post, confirm, then act.

A form posts its fields as usual. Without ``confirm=yes`` the route answers with a page that
says what will happen and carries the same fields back (hidden) with ``confirm=yes``; only
that second post acts. It needs no JavaScript, a reload of the confirmation page changes
nothing, and the action route itself refuses to act unconfirmed, so no link or script can
skip the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from dataward.errors import DatawardError
from dataward.uow import UnitOfWork
from dataward.web.auth import CSRF_FIELD, posted_form, principal_of
from dataward.web.staff import run_form
from dataward.web.templating import render

CONFIRM_FIELD = "confirm"


@dataclass(frozen=True)
class Confirmation:
    title: str
    # What will happen, in the words of the person about to do it: one line each.
    consequences: list[str]
    button: str
    back: str
    destructive: bool = False


def confirmed(form: FormData) -> bool:
    return form.get(CONFIRM_FIELD) == "yes"


def ask_to_confirm(request: Request, form: FormData, confirmation: Confirmation) -> Response:
    """The confirmation page for this post: the same fields, and ``confirm=yes``."""
    fields = [
        (name, value)
        for name, value in form.multi_items()
        if name not in (CSRF_FIELD, CONFIRM_FIELD) and isinstance(value, str)
    ]
    context = {"confirmation": confirmation, "fields": fields, "action": request.url.path}
    return render(request, "console/confirm.html", context)


def confirm_then_run(
    request: Request,
    back: str,
    confirmation: Callable[[FormData], Confirmation],
    action: Callable[[UnitOfWork, FormData, str], str],
    *,
    done: str | None = None,
) -> Response:
    """Ask first; once confirmed, run ``action(uow, form, actor)`` and redirect to ``done``
    (``back`` by default) with its message, or back with the error and nothing changed."""
    form = posted_form(request)
    if not confirmed(form):
        try:
            asked = confirmation(form)
        except DatawardError as error:  # a field missing: refused like a failed action
            return run_form(request, back, _raising(error))
        return ask_to_confirm(request, form, asked)
    actor = principal_of(request).actor
    return run_form(request, back, lambda uow: action(uow, form, actor), done=done)


def _raising(error: DatawardError) -> Callable[[UnitOfWork], str]:
    def fail(uow: UnitOfWork) -> str:
        raise error

    return fail
