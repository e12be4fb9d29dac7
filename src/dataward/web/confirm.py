"""Confirmation of destructive console actions: one convention every page reuses.

An action that cannot be undone (or that locks someone out) has two routes on one address:

- ``GET  /console/<thing>/<ref>/<action>`` shows the confirmation page: "Are you sure you want
  to …?", what will happen, and a form that posts to the same address with ``confirm=yes``
  and a CSRF token. The Cancel link goes back to where the person came from.
- ``POST /console/<thing>/<ref>/<action>`` acts only when ``confirm=yes`` came with it. A post
  without it (an old page, a hand-made form, a button outside the convention) changes nothing
  and is answered with a redirect to the confirmation page, so the person decides there.

The list pages link to the confirmation page (a plain link: no JavaScript). The route then
answers with post/redirect/get (``run_form``), so reloading the result page does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from dataward.web.templating import render

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"


@dataclass(frozen=True)
class Choice:
    """A checkbox the person may tick on the confirmation page (e.g. also clear TOTP)."""

    name: str
    label: str
    value: str = "yes"


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says and where its form posts."""

    title: str  # the page heading and button text, e.g. "Disable casey"
    question: str  # "Are you sure you want to disable casey?"
    consequences: tuple[str, ...]  # what happens, one sentence each
    action: str  # the address the form posts to
    cancel: str  # where Cancel goes back to
    confirm_label: str = ""  # the button; the title when empty
    fields: Mapping[str, str] = field(default_factory=dict)  # hidden fields carried along
    choices: tuple[Choice, ...] = ()
    irreversible: bool = True  # says "This cannot be undone." when true


def confirmed(form: FormData) -> bool:
    """True only when the post came from a confirmation page's form."""
    return form.get(CONFIRM_FIELD) == CONFIRM_VALUE


def confirm_page(request: Request, confirmation: Confirmation, status: int = 200) -> Response:
    """The confirmation page of ``confirmation`` (console/confirm.html)."""
    return render(request, "console/confirm.html", {"c": confirmation}, status_code=status)


def ask_first(address: str, query: Mapping[str, str] | None = None) -> Response:
    """The answer to an unconfirmed post: nothing changed, go to the confirmation page."""
    target = f"{address}?{urlencode(dict(query))}" if query else address
    return RedirectResponse(target, status_code=303)
