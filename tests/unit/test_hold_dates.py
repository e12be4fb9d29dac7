"""RET-02: the first day held data may be deleted, from the rule's date and the holds over it.

``deletable_on`` is pure: explicit dates in, a date (or None: kept) out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dataward.holds.engine import deletable_on, restart_of
from dataward.register.loader import load_register
from dataward.register.models.common import Unspecified

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

DUE = date(2026, 6, 1)


@dataclass(frozen=True)
class H:
    on_close: str
    closed_on: date | None = None
    release_on: date | None = None


def test_ret02_no_holds_the_rule_date_stands() -> None:
    assert deletable_on(DUE, []) == DUE


def test_ret02_an_open_hold_keeps_the_record() -> None:
    assert deletable_on(DUE, [H("restart_after")]) is None
    # One open hold among closed ones is enough.
    closed = H("resume", date(2026, 7, 1))
    assert deletable_on(DUE, [closed, H("unspecified")]) is None


def test_ret02_restart_after_waits_until_the_release_day_fixed_at_closure() -> None:
    """ "Deleted 90 days after the complaint is closed": closed 10 July, released 8 October."""
    closed = date(2026, 7, 10)
    hold = H("restart_after", closed, closed + timedelta(days=90))
    assert deletable_on(DUE, [hold]) == date(2026, 10, 8)


def test_ret02_the_latest_release_of_several_holds_wins() -> None:
    first = H("restart_after", date(2026, 7, 10), date(2026, 10, 8))
    second = H("restart_after", date(2026, 8, 1), date(2026, 10, 30))
    assert deletable_on(DUE, [first, second]) == date(2026, 10, 30)
    assert deletable_on(DUE, [second, first]) == date(2026, 10, 30)


def test_ret02_a_hold_closed_before_the_rule_was_due_changes_nothing() -> None:
    hold = H("restart_after", date(2026, 5, 1), date(2026, 7, 30))
    assert deletable_on(DUE, [hold]) == DUE


def test_ret02_a_hold_closed_on_the_due_day_still_counts() -> None:
    hold = H("restart_after", DUE, DUE + timedelta(days=90))
    assert deletable_on(DUE, [hold]) == DUE + timedelta(days=90)


def test_ret02_a_release_before_the_rule_date_leaves_the_rule_date() -> None:
    """A hold placed and closed while the record was young: the rule's own date is later."""
    due = date(2026, 12, 1)
    hold = H("restart_after", date(2026, 12, 1), date(2026, 12, 1))
    assert deletable_on(due, [hold]) == due


def test_ret02_resume_and_unspecified_add_no_period() -> None:
    """The register is silent on closure: the rule resumes; nothing goes while held."""
    closed = date(2026, 7, 10)
    for kind in ("resume", "unspecified"):
        assert deletable_on(DUE, [H(kind, closed)]) == closed
        # A rule date after the closure is the rule's own.
        assert deletable_on(date(2026, 9, 1), [H(kind, closed)]) == date(2026, 9, 1)


def test_ret02_keep_is_never_deleted() -> None:
    assert deletable_on(DUE, [H("keep", date(2026, 7, 10))]) is None


def test_ret02_restart_rule_counts_the_rule_again_from_the_closure_day() -> None:
    closed = date(2026, 7, 10)
    hold = H("restart_rule", closed)
    assert deletable_on(DUE, [hold], restart=lambda day: day + timedelta(days=90)) == date(
        2026, 10, 8
    )
    # Without the rule's period the engine does not guess: the record is kept.
    assert deletable_on(DUE, [hold]) is None
    assert deletable_on(DUE, [hold], restart=lambda day: None) is None


def test_ret02_restart_of_uses_the_rules_own_offset() -> None:
    """JTR's call recordings rule: 30 days, counted again from the closure day."""
    register = load_register(EXAMPLES / "jtr-collections.yaml").register
    rule = next(r for r in register.retention_rules if r.id == "call_recordings")
    restart = restart_of(rule, register)
    assert restart is not None
    assert restart(date(2026, 7, 10)) == date(2026, 8, 9)
    unknown = rule.model_copy(update={"offset": Unspecified(unspecified="not stated")})
    assert restart_of(unknown, register) is None
