"""How strong a proof of identity each right on a request needs, and what a check achieved.

The register says it per right (``RightSetting.identity_proof``); where it is silent,
dataward's own setting applies to the rights whose answer discloses or changes data, and
nothing else needs proof. The setting is a policy of this server, not a promise: the notice
renders only what the register states. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataward.config import get_settings
from dataward.register.models import Register
from dataward.requests.models import RightsRequest

# Weakest first: a check satisfies every need up to its own strength.
STRENGTHS = ("none", "email", "knowledge", "document")
# What each identity method (``transitions.IDENTITY_METHODS``) proves. A caseworker who
# knows the person counts as a knowledge check; "not needed" proves nothing.
METHOD_STRENGTH = {
    "email_code": "email",
    "knowledge_check": "knowledge",
    "known_to_staff": "knowledge",
    "document": "document",
    "not_needed": "none",
}
# Answering these discloses or changes data: they need the default proof when silent.
DISCLOSING = ("access", "rectification", "erasure", "restriction", "portability")


def stronger(a: str, b: str) -> str:
    return a if STRENGTHS.index(a) >= STRENGTHS.index(b) else b


def needed_for(register: Register, rights: Sequence[str], default: str | None = None) -> str:
    """The strongest proof any of ``rights`` needs under this register."""
    fallback = default or get_settings().request_identity_default
    stated: dict[str, str | None] = {
        item.right.value: item.identity_proof for item in register.rights.items
    }
    need = "none"
    for right in rights:
        proof = stated.get(right) or (fallback if right in DISCLOSING else "none")
        need = stronger(need, proof)
    return need


def achieved_by(row: RightsRequest) -> str:
    """The strength of the check recorded on the request ("none" before any)."""
    if row.identity_verified_on is None or row.identity_method is None:
        return "none"
    return METHOD_STRENGTH.get(row.identity_method, "none")


def falls_short(need: str, achieved: str) -> bool:
    return STRENGTHS.index(achieved) < STRENGTHS.index(need)
