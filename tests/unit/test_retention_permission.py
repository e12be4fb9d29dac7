"""Who may run retention now (issue 20): its own permission, a person's and never a token's.

RULES: RET-01 (running retention deletes what is due, so queueing it by hand is a decision
a named person takes).
"""

from __future__ import annotations

from dataward.accounts.permissions import TOKEN_SCOPES, Permission, permissions_of


def test_it_gives_retention_run_to_the_dpo_and_administrators_only() -> None:
    # RULES: RET-01
    holders = {
        role
        for role in ("admin", "dpo", "caseworker", "auditor")
        if Permission.RETENTION_RUN in permissions_of(role)
    }
    assert holders == {"admin", "dpo"}


def test_it_never_offers_retention_run_as_a_token_scope() -> None:
    # RULES: RET-01
    assert Permission.RETENTION_RUN not in TOKEN_SCOPES
    assert Permission("retention:run") is Permission.RETENTION_RUN


def test_it_keeps_retention_run_apart_from_approving_erasures() -> None:
    # Two permissions, so a role may one day hold one without the other.
    assert Permission.RETENTION_RUN is not Permission.REQUESTS_APPROVE
    assert Permission.RETENTION_RUN.value != Permission.REQUESTS_APPROVE.value
