"""A small register that satisfies every lint rule, and ways to break it one rule at a time.

Tests build registers programmatically: ``build(mutation, ...)`` deep-copies the base, applies
each mutation to the plain data and validates it, so every register a test lints is one the
loader could have produced.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dataward.register.lint import PathKey
from dataward.register.models import Register, Right

Data = dict[str, Any]
Mutation = Callable[[Data], None]
Path = Sequence[str | int]

EMAIL = {"kind": "email", "value": "privacy@example.org"}

BASE: Data = {
    "dataward": 1,
    "organisation": "acme_lettings",
    "controller": {
        "name": "Acme Lettings",
        "legal_name": "Acme Lettings Ltd",
        "registered_in": "England and Wales",
        "ico_registration": "ZA000000",
        "nation": "ENG",
        "description": "Lets homes to tenants and decides how their data is used.",
        "contacts": [EMAIL],
    },
    "dpo": {
        "appointed": True,
        "title": "Data Protection Officer",
        "contacts": [{"kind": "email", "value": "dpo@example.org"}],
    },
    "notice": {
        "title": "Privacy notice",
        "versions": [{"id": "1.0", "date": "2026-01-15"}],
        "review_every_months": 12,
        "changes_approved_by": "The board",
    },
    "subject_groups": [
        {"id": "tenants", "name": "Tenants", "description": "People who rent a home from us."}
    ],
    "data_categories": [
        {"id": "contact_details", "name": "Contact details", "subject_groups": ["tenants"]}
    ],
    "purposes": [
        {
            "id": "manage_tenancy",
            "name": "Manage the tenancy",
            "subject_groups": ["tenants"],
            "categories": ["contact_details"],
            "bases": [{"basis": "contract"}],
            # The notice says no special category data is used (DW045 wants it said).
            "not_special": True,
        }
    ],
    "sharing_policies": [
        {
            "id": "no_sharing",
            "statement": "We do not share your information with anyone.",
            "rule": "none_at_present",
        }
    ],
    "transfers": {"policy": {"statement": "Data stays in the UK.", "outside_uk": "never"}},
    "marketing": {"carried_out": False},
    "cookies": {"used": False},
    "automated_decisions": {"in_use": False},
    "rights": {
        "how_to_exercise": [EMAIL],
        "identity_check": {"required": True},
        "response": {"months": 1, "extension_months": 2, "tell_subject_of_extension": True},
        "complaints": {
            "ico_url": "https://ico.org.uk/make-a-complaint/",
            "statement": "You can complain to the ICO.",
        },
        "items": [
            {"right": right.value, "applies": "always", "description": f"The right {right.value}."}
            for right in Right
        ],
    },
    "datasets": [
        {
            "id": "tenancies",
            "name": "Tenancy records",
            "store": "database_table",
            "entity": "tenancy",
            "categories": ["contact_details"],
            "subject_groups": ["tenants"],
            "identities": ["email"],
        }
    ],
    "events": [{"id": "tenancy_ended", "name": "Tenancy ended", "entity": "tenancy"}],
    "retention_rules": [
        {
            "id": "tenancy_records",
            "name": "Tenancy records",
            "covers": {"datasets": ["tenancies"]},
            "trigger": {"any_of": ["tenancy_ended"]},
            "offset": {"years": 6},
            "action": "delete",
        }
    ],
    "security": {"breach_procedure": {"statement": "Breaches go to the DPO at once."}},
}


@dataclass(frozen=True)
class Case:
    """A rule, mutations of the base that break it at ``path``, and ones that meet it."""

    rule_id: str
    breaks: tuple[Mutation, ...]
    path: PathKey
    meets: tuple[Mutation, ...] = field(default=())


def build(*mutations: Mutation) -> Register:
    """The base register with each mutation applied in turn, validated."""
    data = copy.deepcopy(BASE)
    for mutation in mutations:
        mutation(data)
    return Register.model_validate(data)


def _parent(data: Data, path: Path) -> Any:
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    return node


def put(path: Path, value: Any) -> Mutation:
    """Set the value at ``path`` (a copy of it, so one value can serve many registers)."""

    def mutation(data: Data) -> None:
        _parent(data, path)[path[-1]] = copy.deepcopy(value)

    return mutation


def add(path: Path, value: Any) -> Mutation:
    """Append to the list at ``path``, creating the list when the key is absent."""

    def mutation(data: Data) -> None:
        parent = _parent(data, path)
        parent.setdefault(path[-1], []).append(copy.deepcopy(value))

    return mutation


def drop(path: Path) -> Mutation:
    """Remove the key or list item at ``path``."""

    def mutation(data: Data) -> None:
        del _parent(data, path)[path[-1]]

    return mutation


def right_index(right: Right) -> int:
    return [r.value for r in Right].index(right.value)


def unspecified(reason: str = "The notice does not say.") -> dict[str, str]:
    return {"unspecified": reason}
