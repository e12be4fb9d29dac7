"""Lint rules on the complaint route: a way to complain to the organisation itself (CMP-01)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.models import Contact, Register

_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_URL = re.compile(r"^(https?://|www\.)[^\s/]+\.[^\s]+$", re.IGNORECASE)
_LINKS = frozenset({"web", "portal", "form"})


# RULES: CMP-01 (make it easy to complain, e.g. an electronic form)
@rule("DW056", "warning", "No way to complain to the organisation itself", "CMP-01")
def no_way_to_complain_to_us(register: Register) -> Iterator[Hit]:
    route = register.rights.complaints
    if route is None:
        return  # DW020 reports the missing route.
    rights_contacts = register.rights.how_to_exercise
    if route.use_rights_contacts and not rights_contacts:
        yield Hit(
            ("rights", "complaints", "use_rights_contacts"),
            "the complaint route says to use the contact details for rights, but "
            "rights.how_to_exercise lists none: add them, or give rights.complaints.contacts",
        )
    elif not (route.contacts or route.portal_form or rights_contacts):
        # The rights contacts are where a person would turn; with none, nothing says how.
        yield Hit(
            ("rights", "complaints"),
            "the notice gives no way to complain to the organisation itself: add "
            "rights.complaints.contacts (to whom and how), portal_form: true or "
            "rights.how_to_exercise",
        )


# RULES: CMP-01 (a complaint route a person can use)
@rule("DW057", "warning", "Complaint contact that cannot be used", "CMP-01")
def unusable_complaint_contact(register: Register) -> Iterator[Hit]:
    route = register.rights.complaints
    if route is None:
        return
    for i, contact in enumerate(route.contacts):
        problem = _problem(contact)
        if problem:
            yield Hit(("rights", "complaints", "contacts", i, "value"), problem)


def _problem(contact: Contact) -> str | None:
    value = contact.value
    if contact.kind == "email" and not _EMAIL.match(value):
        return f"the complaint contact {value!r} is not an email address"
    if contact.kind in _LINKS and not _URL.match(value):
        return f"the complaint {contact.kind} {value!r} is not a web address (https://...)"
    if contact.kind == "phone" and len(re.sub(r"\D", "", value)) < 6:
        return f"the complaint phone number {value!r} has too few digits to call"
    return None
