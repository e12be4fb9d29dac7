"""Lint rules on the rights settings, complaints and automated decisions."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.models import Register, Right, Unspecified


# RULES: NTC-01 (the right to complain to the ICO)
@rule("DW020", "error", "No route to complain to the ICO", "NTC-01")
def no_ico_complaint_route(register: Register) -> Iterator[Hit]:
    complaints = register.rights.complaints
    if complaints is None:
        # Silence is not a route: the notice must tell people they can complain to the ICO.
        yield Hit(
            ("rights", "complaints"),
            "the register states no route to complain to the ICO: add rights.complaints with "
            "the ico.org.uk address",
        )
    elif "ico.org.uk" not in complaints.ico_url.lower():
        yield Hit(
            ("rights", "complaints", "ico_url"),
            f"the complaint route {complaints.ico_url!r} is not the ICO's: give an ico.org.uk "
            "address",
        )
    for k, item in enumerate(register.rights.items):
        if item.right == Right.COMPLAIN and item.applies == "not_applicable":
            yield Hit(
                ("rights", "items", k, "applies"),
                "the right to complain to the ICO is marked not applicable: it always applies",
            )


# RULES: SAR-01 (one month), SAR-04 (at most two further months, subject told)
@rule(
    "DW021",
    "error",
    "Response commitment missing or extension over two months",
    "SAR-01, SAR-04",
)
def response_commitment(register: Register) -> Iterator[Hit]:
    response = register.rights.response
    if isinstance(response, Unspecified):
        yield Hit(
            ("rights", "response"),
            "the response time for rights requests is unspecified: state the one month the law "
            "allows (rights.response.months: 1) and any extension",
        )
        return
    if response is None or response.months is None:
        # The notice promises no response time unless it says so; the law requires one month.
        yield Hit(
            ("rights", "response") if response is None else ("rights", "response", "months"),
            "the register states no response time for rights requests: state the one month "
            "the law allows (rights.response.months: 1) and any extension",
        )
        return
    path = ("rights", "response", "extension_months")
    extension = response.extension_months
    if extension is None:
        yield Hit(
            path, "the extension for complex requests is not stated: state it (0 to 2 months)"
        )
    elif isinstance(extension, Unspecified):
        yield Hit(path, "the extension for complex requests is unspecified: state it (0 to 2)")
    elif not 0 <= extension <= 2:
        yield Hit(
            path,
            f"the response may be extended by {extension} months: the law allows 0 to 2 "
            "further months",
        )
    elif extension and response.tell_subject_of_extension is not True:
        yield Hit(
            ("rights", "response", "tell_subject_of_extension"),
            "an extension is possible but the register does not say the subject is told of "
            "it: the subject must be told within the first month, with reasons",
        )


# RULES: NTC-01 (the rights, listed in the notice)
@rule("DW029", "warning", "A UK GDPR right is missing from the rights settings", "NTC-01")
def missing_right(register: Register) -> Iterator[Hit]:
    present = {item.right for item in register.rights.items}
    for right in Right:
        if right not in present:
            yield Hit(
                ("rights", "items"),
                f"the right {right.value!r} is missing from the rights settings: add it, with "
                "applies: not_applicable and a reason if it does not apply",
            )


# RULES: ADM-01 (human intervention, express a view, contest)
@rule(
    "DW033",
    "warning",
    "Automated decision with legal or similar effect without safeguards",
    "ADM-01",
)
def automated_decision_without_safeguards(register: Register) -> Iterator[Hit]:
    for i, decision in enumerate(register.automated_decisions.items):
        if decision.legal_or_similar_effect and not decision.safeguards:
            yield Hit(
                ("automated_decisions", "items", i, "safeguards"),
                f"automated decision {decision.id!r} has legal or similar effect but lists no "
                "safeguards: record how people get human review, give their view and contest it",
            )


# Rights whose answer discloses or changes data: answering a stranger harms the subject.
_DISCLOSING = frozenset(
    {Right.ACCESS, Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION, Right.PORTABILITY}
)


# RULES: SAR-05 (identity evidence reasonably asked for), ACC-01
@rule("DW055", "warning", "Proof of identity for a right that contradicts itself", "SAR-05")
def identity_proof_contradiction(register: Register) -> Iterator[Hit]:
    check = register.rights.identity_check
    no_check = check is not None and check.required is False
    for i, item in enumerate(register.rights.items):
        path = ("rights", "items", i, "identity_proof")
        if item.identity_proof == "none" and item.right in _DISCLOSING:
            yield Hit(
                path,
                f"the right {item.right.value!r} needs no proof of identity: its answer "
                "discloses or changes someone's data, so anyone could ask for it in their name; "
                "ask for proof proportionate to the data (email, knowledge or document)",
            )
        elif no_check and item.identity_proof not in (None, "none"):
            yield Hit(
                path,
                f"the right {item.right.value!r} needs {item.identity_proof} proof of identity "
                "but rights.identity_check.required is false: the notice says both; state one",
            )
