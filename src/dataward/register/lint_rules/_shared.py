"""Small questions rules ask of a register, shared so every rule answers them the same way."""

from __future__ import annotations

from typing import Any

from dataward.register.models import LawfulBasis, Purpose, Register, Unspecified


def is_unspecified(value: Any) -> bool:
    return isinstance(value, Unspecified)


def is_missing(value: Any) -> bool:
    """Absent or ``unspecified``: either way the register cannot rely on the value."""
    return value is None or isinstance(value, Unspecified)


def specified_bases(purpose: Purpose) -> list[LawfulBasis]:
    """The purpose's Art 6 bases in order, without repeats and without ``unspecified``."""
    bases: list[LawfulBasis] = []
    for use in purpose.bases:
        if isinstance(use.basis, LawfulBasis) and use.basis not in bases:
            bases.append(use.basis)
    return bases


def relies_on_consent(purpose: Purpose) -> bool:
    return LawfulBasis.CONSENT in specified_bases(purpose)


def categories_used_by(purpose: Purpose) -> set[str]:
    """Categories a purpose names, directly or through a special category condition."""
    used = set(purpose.categories)
    for condition in purpose.special_conditions:
        used.update(condition.categories)
    return used


def markets(register: Register) -> bool:
    """Whether the register shows direct marketing anywhere, whatever it declares."""
    return (
        register.marketing.carried_out
        or bool(register.marketing.channels)
        or any(p.marketing for p in register.purposes)
    )
