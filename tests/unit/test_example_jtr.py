"""The JTR Collections register keeps the notice's key promises as runnable rules.

Each test reads one promise straight from the loaded model: the rule that covers a dataset,
its trigger, offset and holds, so a change to the register that breaks a promise fails here
with the promise's name.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.register.coverage import load_fact_sheet, measure_coverage
from dataward.register.loader import load_register
from dataward.register.models import (
    Hold,
    Offset,
    Register,
    RestartAfter,
    RestartRule,
    RetentionRule,
    Trigger,
)

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "examples" / "jtr-collections.yaml"
FACTS = ROOT / "examples" / "notices" / "facts-000-jtr.yaml"


@cache
def register() -> Register:
    return load_register(REGISTER).register


def rule_covering(dataset: str) -> RetentionRule:
    """The one retention rule that names ``dataset`` in its covers."""
    rules = [r for r in register().retention_rules if dataset in r.covers.datasets]
    assert len(rules) == 1, f"expected one rule covering {dataset}, found {[r.id for r in rules]}"
    return rules[0]


def customer_data_rule() -> RetentionRule:
    """The rule over "all customer data in all datastores"."""
    rules = [r for r in register().retention_rules if "customers" in r.covers.all_data_of_groups]
    assert len(rules) == 1, [r.id for r in rules]
    return rules[0]


def holds_of(rule: RetentionRule) -> list[Hold]:
    by_id = {h.id: h for h in register().holds}
    return [by_id[h] for h in rule.holds]


def offset_of(rule: RetentionRule) -> Offset:
    assert isinstance(rule.offset, Offset), f"{rule.id} has no offset"
    return rule.offset


def trigger_of(rule: RetentionRule) -> Trigger:
    assert isinstance(rule.trigger, Trigger), f"{rule.id} has no trigger"
    return rule.trigger


def event_entity(event_id: str) -> str:
    return next(e.entity for e in register().events if e.id == event_id)


def test_it_deletes_body_worn_video_90_days_after_recording() -> None:
    # RULES: RET-01
    rule = rule_covering("body_worn_video")
    assert rule.action == "delete"
    assert trigger_of(rule).any_of == ["recording_made"]
    assert event_entity("recording_made") == "recording"
    assert offset_of(rule).days == 90
    assert not offset_of(rule).up_to  # "deleted 90 days after", not "up to"


def test_it_holds_body_worn_video_for_a_complaint_or_investigation_then_90_days() -> None:
    # RULES: RET-02 (a complaint or investigation on the case keeps the footage; it is
    # deleted 90 days after the complaint/investigation is closed)
    holds = holds_of(rule_covering("body_worn_video"))
    assert {h.reason for h in holds} == {"complaint", "investigation"}
    for hold in holds:
        assert hold.on == ["case"]
        assert isinstance(hold.on_close, RestartAfter)
        assert hold.on_close.restart_after.days == 90


def test_it_applies_the_footage_rule_to_footage_shared_for_research() -> None:
    # RULES: RET-01 (fact t6: the BWV rule also covers footage shared with researchers)
    assert rule_covering("research_bwv_footage") == rule_covering("body_worn_video")


def test_it_deletes_customer_data_6_years_after_the_year_the_last_case_is_returned() -> None:
    # RULES: RET-01
    rule = customer_data_rule()
    assert rule.action == "delete"
    assert trigger_of(rule).any_of == ["case_returned"]
    assert trigger_of(rule).latest_of_entity is True
    assert event_entity("case_returned") == "case"
    assert offset_of(rule).end_of_year_plus_years == 6


def test_it_leaves_body_worn_video_out_of_the_customer_data_rule() -> None:
    # RULES: RET-01 ("with the exception of Body Worn Video (BWV) footage")
    rule = customer_data_rule()
    assert "body_worn_video" in rule.covers.except_datasets
    assert "customer_bwv" in rule.covers.except_categories


def test_it_keeps_customer_data_while_a_case_is_live() -> None:
    # RULES: RET-02 (a live case keeps the data; the 6-year clock restarts from its return)
    rule = customer_data_rule()
    live = [h for h in holds_of(rule) if h.reason == "live_case"]
    assert len(live) == 1
    assert live[0].on == ["case"]
    assert isinstance(live[0].on_close, RestartRule)


def test_it_keeps_call_recordings_30_days_unless_a_complaint_or_investigation() -> None:
    # RULES: RET-01, RET-02
    rule = rule_covering("call_recordings")
    assert trigger_of(rule).any_of == ["call_recorded"]
    assert offset_of(rule).days == 30
    holds = holds_of(rule)
    assert {h.reason for h in holds} == {"complaint", "investigation"}
    for hold in holds:
        assert isinstance(hold.on_close, RestartAfter)
        assert hold.on_close.restart_after.days == 90


def test_it_deletes_new_occupier_evidence_2_working_days_after_assessment() -> None:
    # RULES: RET-01
    rule = rule_covering("new_occupier_evidence")
    assert rule.subject_groups == ["new_occupiers"]
    assert rule.action == "delete"
    assert trigger_of(rule).any_of == ["assessment_completed"]
    assert offset_of(rule).working_days == 2


def test_it_deletes_vulnerability_evidence_as_soon_as_reasonably_necessary() -> None:
    # RULES: RET-01
    rule = rule_covering("vulnerability_evidence")
    assert trigger_of(rule).any_of == ["assessment_completed"]
    assert offset_of(rule).as_soon_as_reasonably_necessary is True


def test_it_carries_out_no_marketing() -> None:
    # RULES: OBJ-02, MKT-01 (fact m1: any marketing use must be refused)
    reg = register()
    assert reg.marketing.carried_out is False
    assert reg.marketing.channels == []
    assert not [p.id for p in reg.purposes if p.marketing]


def test_it_names_the_controller_in_england_with_its_company_number() -> None:
    # RULES: SAR-03 (the nation's bank holidays move deadlines), NTC-01
    controller = register().controller
    assert controller.nation == "ENG"
    assert controller.company_number == "06763357"
    assert controller.legal_name == "JTR Collections Limited"


def test_it_expresses_every_fact_of_its_notice() -> None:
    # RULES: NTC-01
    report = measure_coverage(register(), load_fact_sheet(FACTS))
    assert report.problems == []
    assert report.covered == report.total == 215


def test_it_is_valid_with_lint_errors_from_the_command_line() -> None:
    # The notice gives no legitimate interests assessments, no processor contracts and no
    # breach procedure, so the linter must report errors (DW003, DW028, DW035): exit 1.
    result = CliRunner().invoke(app, ["register", "check", str(REGISTER)])
    assert result.exit_code == 1, result.output
    assert "valid;" in result.output
    assert "DW035" in result.output
