"""When a change is significant under NTC-03, per kind of register element.

Each rule sees the element before and after (``None`` when added or removed) and both
registers, and returns a reason code from ``diff.REASONS`` or ``None``. ``notes_for`` adds
what the register promises about a kind of significant change to the change's details.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dataward.register.models import (
    ImpliedBasis,
    LawfulBasis,
    Register,
    RestartAfter,
    Unspecified,
)
from dataward.register.wording import approximate_days

SignificanceRule = Callable[[Any, Any, Register, Register], str | None]

# How far data may go. Silence claims nothing abroad (like "never"); an unknown position
# could be anywhere, so moving to it counts as widening (telling subjects once too often
# costs less than not telling them).
_OUTSIDE_UK = {None: 0, "never": 0, "eea_only": 1, "outside_eea": 2, "sometimes": 2}
_UNKNOWN_REACH = 2
# Actions under which data may stay after the period.
_KEEPS_DATA = frozenset({"review", "no_end_date"})


def _gained(old: Any, new: Any, name: str) -> bool:
    """True when ``new`` lists an id under ``name`` that ``old`` did not."""
    if old is None or new is None:
        return False
    return bool(set(getattr(new, name)) - set(getattr(old, name)))


def added(reason: str, when: Callable[[Any], bool] = lambda _x: True) -> SignificanceRule:
    return lambda old, new, _o, _n: (
        reason if old is None and new is not None and when(new) else None
    )


def removed(reason: str) -> SignificanceRule:
    return lambda old, new, _o, _n: reason if new is None and old is not None else None


def gains(reason: str, *names: str) -> SignificanceRule:
    """An element that reaches more groups, data, purposes or places than before."""
    return lambda old, new, _o, _n: reason if any(_gained(old, new, n) for n in names) else None


def _on(element: Any, name: str) -> bool:
    """The register states ``name`` is on. Silence (absent, ``None``, unspecified) is not."""
    return element is not None and getattr(element, name, None) is True


def turned_on(reason: str, *names: str) -> SignificanceRule:
    """A flag stated on now that was not stated on before (added elements included)."""
    return lambda old, new, _o, _n: (
        reason if any(_on(new, n) and not _on(old, n) for n in names) else None
    )


def _bases(purpose: Any) -> set[str]:
    return (
        {u.basis.value for u in purpose.bases if isinstance(u.basis, LawfulBasis)}
        | {"unspecified" for u in purpose.bases if isinstance(u.basis, Unspecified)}
        | {
            f"implied_by_{u.basis.implied_by}"
            for u in purpose.bases
            if isinstance(u.basis, ImpliedBasis)
        }
    )


def _conditions(purpose: Any) -> set[str]:
    out = set()
    for sc in purpose.special_conditions:
        cond = sc.condition
        out.add("unspecified" if isinstance(cond, Unspecified) else str(cond))
        if sc.schedule_1 is not None:
            out.add(f"sch1:{sc.schedule_1.part}:{sc.schedule_1.paragraph}")
    return out


def basis_changed(old: Any, new: Any, _o: Register, _n: Register) -> str | None:
    if old is None or new is None:
        return None
    if _bases(old) != _bases(new) or _conditions(old) != _conditions(new):
        return "basis_changed"
    return None


def category_now_collected(old: Any, new: Any, _o: Register, _n: Register) -> str | None:
    if old is None or new is None:
        return None
    more_sensitive = (new.special_kind and not old.special_kind) or (
        new.criminal and not old.criminal
    )
    collected = new.collected is not False and old.collected is False
    if more_sensitive or collected or _gained(old, new, "items"):
        return "new_data_category"
    return None


def transfers_widened(old: Any, new: Any, _o: Register, _n: Register) -> str | None:
    if new is None:
        return None
    # A policy stated where the register was silent widens from silence (nothing abroad).
    before = _reach(old.outside_uk) if old is not None else _reach(None)
    if _reach(new.outside_uk) > before:
        return "new_transfer"
    return None


def _reach(outside_uk: Any) -> int:
    if isinstance(outside_uk, Unspecified):
        return _UNKNOWN_REACH
    return _OUTSIDE_UK[outside_uk]


def retention_longer(old: Any, new: Any, _o: Register, _n: Register) -> str | None:
    """Longer period, later or different start, more holds, or less data deleted (RET-01)."""
    if old is None or new is None:
        return None
    before, after = approximate_days(old.offset), approximate_days(new.offset)
    if before is not None and (after is None or after > before):
        return "longer_retention"
    if before is None and after is None and _text(old.offset) != _text(new.offset):
        return "longer_retention"
    if _text(old.trigger) != _text(new.trigger):
        return "longer_retention"
    if _gained(old, new, "holds"):
        return "longer_retention"
    if new.action in _KEEPS_DATA and old.action not in _KEEPS_DATA:
        return "longer_retention"
    if _gained(old.covers, new.covers, "except_datasets") or _gained(
        old.covers, new.covers, "except_categories"
    ):
        return "longer_retention"
    return None


def hold_longer(old: Any, new: Any, _o: Register, _n: Register) -> str | None:
    """A hold that keeps data longer once it closes (RET-02)."""
    if old is None or new is None or _text(old.on_close) == _text(new.on_close):
        return None
    before, after = _restart_days(old.on_close), _restart_days(new.on_close)
    if before is not None and after is not None and after <= before:
        return None
    return "longer_retention"


def _restart_days(on_close: Any) -> float | None:
    if isinstance(on_close, RestartAfter):
        return approximate_days(on_close.restart_after)
    return None


def _text(value: Any) -> str:
    if value is None or isinstance(value, str):
        return str(value)
    return str(value.model_dump_json())


def _personal(category: Any) -> bool:
    return bool(category.held)


# NTC-03: starting automated decision-making or profiling, whichever element says so.
_STARTS_ADM = "automated_decisions"

RULES: dict[str, Sequence[SignificanceRule]] = {
    "purpose": (
        added("new_purpose"),
        gains("new_purpose", "subject_groups"),
        basis_changed,
        gains("new_data_category", "categories"),
        turned_on(_STARTS_ADM, "profiling"),
    ),
    "data_category": (
        added("new_data_category", _personal),
        gains("new_data_category", "subject_groups"),
        category_now_collected,
    ),
    "source": (
        added("new_source", lambda s: s.type != "none"),
        gains("new_source", "subject_groups", "categories"),
    ),
    "recipient": (
        added("new_recipient", lambda x: x.role != "none"),
        gains("new_recipient", "subject_groups", "categories", "purposes"),
    ),
    "transfer": (
        added("new_transfer"),
        gains("new_transfer", "destinations", "recipients", "categories"),
    ),
    "transfer_policy": (transfers_widened,),
    "retention_rule": (removed("longer_retention"), retention_longer),
    "hold": (hold_longer,),
    "automated_decision_policy": (turned_on(_STARTS_ADM, "in_use"),),
    "automated_decision": (
        added(_STARTS_ADM),
        turned_on(_STARTS_ADM, "profiling", "legal_or_similar_effect"),
        gains(_STARTS_ADM, "subject_groups"),
    ),
    "marketing": (turned_on(_STARTS_ADM, "profiling_for_marketing"),),
}


def notes_for(reasons: Sequence[str], new_register: Register) -> tuple[str, ...]:
    """What the register promises about changes of these kinds, to show with the change.

    Only a promise the register states is shown: silence adds nothing (NTC-03 applies
    either way).
    """
    notes: list[str] = []
    policy = getattr(new_register, "automated_decisions", None)
    if _STARTS_ADM in reasons and _on(policy, "notify_before_starting"):
        notes.append(
            "The register says people are told before automated decision-making starts: "
            "tell them before this takes effect"
        )
    return tuple(notes)


def rules_for(kind: str) -> Sequence[SignificanceRule]:
    return RULES.get(kind, ())
