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
        }
    ),
    Role.CASEWORKER: frozenset(
        {
            Permission.REGISTERS_READ,
            Permission.SUBJECTS_READ,
            Permission.SUBJECTS_WRITE,
            Permission.DECISIONS_READ,
        }
    ),
    # Read-only: the register and the audit chain, never decrypted identities.
    Role.AUDITOR: frozenset({Permission.REGISTERS_READ, Permission.AUDIT_READ}),
}

TOKEN_SCOPES: tuple[Permission, ...] = tuple(p for p in Permission if p != Permission.USERS_ADMIN)


def permissions_of(role: str) -> frozenset[Permission]:
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()
