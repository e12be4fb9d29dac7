"""The retention plan regrouped for the console (issue 20), without a database: what is
due this week, overdue and why, held in words, and what is not bound. RULES: RET-01, RET-02,
RES-01. JTR's register gives the names; the plans are written by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dataward.register.loader import load_register
from dataward.register.models import Register
from dataward.retention.plan import (
    EVENT_PENDING,
    RESTRICTION,
    BindingPlan,
    DatasetPlan,
    RetentionPlan,
    RulePlan,
)
from dataward.retention.plan_views import held_words, retention_view

JTR = Path(__file__).parents[2] / "examples" / "jtr-collections.yaml"
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(JTR).register


def _plan(*bindings: BindingPlan, rule: str = "body_worn_video") -> RetentionPlan:
    rules = [
        RulePlan(
            rule,
            "BWV",
            "delete",
            "planned",
            cutoff=date(2026, 8, 27),
            triggers=["recording_made"],
            datasets=[DatasetPlan("body_worn_video", "bound", list(bindings))],
        ),
        RulePlan("vulnerability_evidence", "Vulnerability", "delete", "needs_decision", "vague"),
    ]
    return RetentionPlan("jtr_collections", TODAY, 1, 1, rules)


def test_ret01_due_this_week_keeps_seven_days_ahead_and_what_is_due_now(
    register: Register,
) -> None:
    binding = BindingPlan(
        "ops",
        "bwv",
        "planned",
        due=3,
        held={"complaint_on_case": 1},
        held_any=1,
        next_due=[(date(2026, 11, 26), 2), (date(2026, 12, 2), 1), (date(2026, 12, 3), 4)],
    )
    view = retention_view(_plan(binding), register)
    [row] = view.due_this_week
    assert row.to_act_on == 2
    assert row.this_week == [(date(2026, 11, 26), 2), (date(2026, 12, 2), 1)]
    assert row.dataset_name == "Body worn video recordings"
    assert view.week_end == date(2026, 12, 2)


def test_ret01_overdue_says_why_when_no_run_is_recorded(register: Register) -> None:
    due = BindingPlan("ops", "bwv", "planned", due=2)
    down = BindingPlan("ops", "calls", "waits", "source ops cannot be reached")
    clear = BindingPlan("ops", "other", "planned", due=1, held={"live_case": 1}, held_any=1)
    view = retention_view(_plan(due, down, clear), register)
    assert [(r.where, r.overdue_why) for r in view.overdue] == [
        ("ops.bwv", "not run yet: no retention run has acted on this table"),
        ("ops.calls", "source ops cannot be reached"),
    ]
    assert view.rows[0].last_run is None


def test_ret01_a_table_binding_no_trigger_is_not_bound_not_overdue(register: Register) -> None:
    skipped = BindingPlan("ops", "occupiers", "skipped", "trigger not bound")
    view = retention_view(_plan(skipped), register)
    assert view.overdue == []
    assert [(u.dataset_name, u.reason) for u in view.not_bound] == [
        ("Body worn video recordings", "trigger not bound on ops.occupiers")
    ]
    assert [(u.rule, u.reason) for u in view.needs_decision] == [
        ("vulnerability_evidence", "vague")
    ]
    assert view.rules[0][2] == "due where BWV recording made is on or before 27 August 2026"


def test_ret02_hold_labels_in_words(register: Register) -> None:
    rule = next(r for r in register.retention_rules if r.id == "customer_data")
    legal = held_words("legal_hold:h_1", register, rule)
    assert (legal.words, legal.hold_ref) == ("legal hold h_1", "h_1")
    assert held_words("live_case", register, rule).words == "Live case (open in the source)"
    assert held_words("gone_hold", register, rule).words == "gone hold (open in the source)"
    assert held_words(RESTRICTION, register, rule).words == (
        "the person has asked for restriction (RES-01)"
    )
    assert held_words(EVENT_PENDING, register, rule).words == (
        "a later case returned to the client is still to come (counted from the latest)"
    )
