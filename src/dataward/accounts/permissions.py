"""Roles, and what each may do. API token scopes use the same words as permissions."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DPO = "dpo"
    CASEWORKER = "caseworker"
    AUDITOR = "auditor"


class Permission(StrEnum):
    REGISTERS_READ = "registers:read"
    SUBJECTS_READ = "subjects:read"
    SUBJECTS_WRITE = "subjects:write"
    DECISIONS_READ = "decisions:read"
    AUDIT_READ = "audit:read"
    OUTBOX_READ = "outbox:read"
    # Rights requests: the queue and a request's page show the requester's details.
    REQUESTS_READ = "requests:read"
    REQUESTS_WRITE = "requests:write"
    # Complaints (CMP-01): the queue and a complaint's page show the complainant's details.
    COMPLAINTS_READ = "complaints:read"
    COMPLAINTS_WRITE = "complaints:write"
    # Legal holds (RET-02): what stops the retention engine deleting.
    HOLDS_READ = "holds:read"
    HOLDS_WRITE = "holds:write"
    # The disclosure log (NOT-01): which recipients received whose data.
    DISCLOSURES_READ = "disclosures:read"
    DISCLOSURES_WRITE = "disclosures:write"
    # Sending a notice-change campaign to every subject is a person's decision (issue 14,
    # item 9): the DPO's or an administrator's, never a token's.
    CAMPAIGNS_APPROVE = "campaigns:approve"
    # SAR-07: deciding that a search is not reasonable and proportionate is the DPO's call
    # (or an administrator's), never a token's.
    REQUESTS_APPROVE = "requests:approve"
    # RET-01: running retention now deletes rows due across the organisation's datastores
    # (the daily worker does the same unasked); queueing it by hand is the DPO's call or an
    # administrator's, never a token's. Its own permission (issue 20) so that a role may
    # run retention without approving erasures, or the other way round.
    RETENTION_RUN = "retention:run"
    # Managing people and tokens is never delegated to a token.
    USERS_ADMIN = "users:admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.DPO: frozenset(
        {
            Permission.REGISTERS_READ,
            Permission.SUBJECTS_READ,
            Permission.SUBJECTS_WRITE,
            Permission.DECISIONS_READ,
            Permission.AUDIT_READ,
            Permission.OUTBOX_READ,
            Permission.CAMPAIGNS_APPROVE,
            Permission.REQUESTS_READ,
            Permission.REQUESTS_WRITE,
            Permission.REQUESTS_APPROVE,
            Permission.RETENTION_RUN,
            Permission.COMPLAINTS_READ,
            Permission.COMPLAINTS_WRITE,
            Permission.HOLDS_READ,
            Permission.HOLDS_WRITE,
            Permission.DISCLOSURES_READ,
            Permission.DISCLOSURES_WRITE,
        }
    ),
    Role.CASEWORKER: frozenset(
        {
            Permission.REGISTERS_READ,
            Permission.SUBJECTS_READ,
            Permission.SUBJECTS_WRITE,
            Permission.DECISIONS_READ,
            Permission.REQUESTS_READ,
            Permission.REQUESTS_WRITE,
            Permission.COMPLAINTS_READ,
            Permission.COMPLAINTS_WRITE,
            Permission.HOLDS_READ,
            Permission.HOLDS_WRITE,
            Permission.DISCLOSURES_READ,
            Permission.DISCLOSURES_WRITE,
        }
    ),
    # Read-only: the register and the audit chain, never decrypted identities.
    Role.AUDITOR: frozenset({Permission.REGISTERS_READ, Permission.AUDIT_READ}),
}

_PEOPLE_ONLY = frozenset(
    {
        Permission.USERS_ADMIN,
        Permission.CAMPAIGNS_APPROVE,
        Permission.REQUESTS_APPROVE,
        Permission.RETENTION_RUN,
    }
)
TOKEN_SCOPES: tuple[Permission, ...] = tuple(p for p in Permission if p not in _PEOPLE_ONLY)


def permissions_of(role: str) -> frozenset[Permission]:
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()
