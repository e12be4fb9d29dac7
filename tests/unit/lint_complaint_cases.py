"""Cases for the complaint route rules (DW056, DW057): a way to complain to the organisation
itself, and contacts a person can use (CMP-01)."""

from __future__ import annotations

from lint_fixtures import Case, put

ROUTE = ("rights", "complaints")
DPO_EMAIL = {"kind": "email", "value": "dpo@example.org", "label": "Data Protection Officer"}

COMPLAINT_CASES = [
    # RULES: CMP-01 (make it easy to complain): no contacts, no form, no rights contacts.
    Case(
        "DW056",
        (put(("rights", "how_to_exercise"), []),),
        ROUTE,
        (
            put(("rights", "how_to_exercise"), []),
            put((*ROUTE, "contacts"), [DPO_EMAIL]),
        ),
    ),
    # RULES: CMP-01 (a contact a person can use)
    Case(
        "DW057",
        (put((*ROUTE, "contacts"), [{"kind": "email", "value": "complaints at example.org"}]),),
        (*ROUTE, "contacts", 0, "value"),
        (
            put(
                (*ROUTE, "contacts"),
                [
                    DPO_EMAIL,
                    {"kind": "form", "value": "https://example.org/complain"},
                    {"kind": "phone", "value": "0345 305 5335"},
                    {"kind": "post", "value": "The DPO, 1 High Street, Leeds LS1 1AA"},
                ],
            ),
        ),
    ),
]
