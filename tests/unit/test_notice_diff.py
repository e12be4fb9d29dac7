"""The notice diff: readable changes per section, significance by NTC-03, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from notice_variants import (
    add_category,
    add_purpose,
    add_recipient,
    add_source,
    add_transfer,
    change_basis,
    longer_retention,
    other_organisation,
    reword,
    shorter_retention,
    variant,
    variant_text,
)

from dataward.notice.diff import diff_registers
from dataward.notice.errors import DiffRefused

DATAWARD = Path(sys.executable).parent / "dataward"


def diff_of(*edits):  # type: ignore[no-untyped-def]
    return diff_registers(variant().register, variant(*edits).register)


@pytest.mark.parametrize(
    ("edit", "section", "action", "reason"),
    [
        (add_purpose, "How we use information", "added", "new_purpose"),
        (add_recipient, "Sharing your information", "added", "new_recipient"),
        (add_transfer, "Sending information outside the UK", "added", "new_transfer"),
        (longer_retention, "How long we keep information", "changed", "longer_retention"),
        (add_category, "Information we hold", "added", "new_data_category"),
        (add_source, "Where information comes from", "added", "new_source"),
        (change_basis, "How we use information", "changed", "basis_changed"),
    ],
)
def test_it_marks_each_ntc_03_change_significant(edit, section, action, reason) -> None:  # type: ignore[no-untyped-def]
    result = diff_of(edit)

    significant = result.significant
    assert [(c.section, c.action, c.reasons) for c in significant] == [(section, action, (reason,))]


def test_it_says_what_changed_in_words() -> None:
    result = diff_of(longer_retention, change_basis)

    by_item = {c.item: c for c in result.changes}
    assert by_item["keep"].details == ("How long: 3 days → 30 days",)
    assert by_item["Selling"].details == ("Lawful basis: Contract → Consent",)
    assert result.summary() == "2 changes, 2 significant (longer retention, lawful basis changed)"


def test_it_lists_a_reworded_text_without_calling_it_significant() -> None:
    result = diff_of(reword)

    assert [(c.section, c.headline, c.details) for c in result.changes] == [
        (
            "About us",
            "Changed: Controller",
            ("Description: “Sells things.” → “Sells things and repairs them.”",),
        )
    ]
    assert result.significant == []
    assert result.summary() == "1 change, none significant"


def test_it_does_not_flag_shorter_retention() -> None:
    result = diff_of(shorter_retention)

    assert len(result.changes) == 1
    assert result.significant == []


def test_it_finds_no_change_between_the_same_register() -> None:
    assert diff_of().changes == []
    assert diff_of().summary() == "No changes to what the notice says"


def test_it_counts_a_removed_retention_rule_as_possibly_longer() -> None:
    def drop_rule(doc):  # type: ignore[no-untyped-def]
        doc["retention_rules"] = []

    result = diff_of(drop_rule)

    assert [(c.action, c.item, c.reasons) for c in result.significant] == [
        ("removed", "keep", ("longer_retention",))
    ]


def test_it_counts_a_purpose_reaching_another_group_as_new() -> None:
    def add_group(doc):  # type: ignore[no-untyped-def]
        doc["subject_groups"].append({"id": "staff", "name": "Staff", "description": "Employees."})
        doc["purposes"][0]["subject_groups"].append("staff")

    result = diff_of(add_group)

    selling = next(c for c in result.changes if c.item == "Selling")
    assert selling.reasons == ("new_purpose",)
    assert selling.details == ("Who this applies to: added Staff",)


def test_it_refuses_registers_of_two_organisations() -> None:
    with pytest.raises(DiffRefused) as caught:
        diff_of(other_organisation)

    assert caught.value.code == "notice_diff_refused"
    assert caught.value.exit_code == 2
    assert "two organisations ('acme' and 'globex')" in caught.value.message


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DATAWARD), *args], capture_output=True, text=True, timeout=60, check=False
    )


def _files(tmp_path: Path, *edits) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(variant_text(), encoding="utf-8")
    new.write_text(variant_text(*edits), encoding="utf-8")
    return old, new


def test_the_cli_exits_1_and_lists_significant_changes(tmp_path: Path) -> None:
    old, new = _files(tmp_path, add_recipient, reword)

    result = _run("notice", "diff", str(old), str(new))

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"Notice of acme: {old} → {new}",
        "2 changes, 1 significant (new recipient)",
        "",
        "About us",
        "  - Changed: Controller",
        "      Description: “Sells things.” → “Sells things and repairs them.”",
        "",
        "Sharing your information",
        "  ! Added: Mail house  [significant: new recipient]",
    ]


def test_the_cli_exits_0_when_nothing_significant_changed(tmp_path: Path) -> None:
    old, new = _files(tmp_path, reword)

    result = _run("notice", "diff", str(old), str(new), "--json")

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["significant"] is False
    assert body["changes"][0]["section"] == "About us"


def test_the_cli_refuses_two_organisations_with_exit_2(tmp_path: Path) -> None:
    old, new = _files(tmp_path, other_organisation)

    result = _run("notice", "diff", str(old), str(new))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error [notice_diff_refused]: the registers belong to two")
    assert "Traceback" not in result.stderr


def test_the_cli_asks_for_files_or_stored_versions() -> None:
    result = _run("notice", "diff", "--org", "acme")

    assert result.returncode == 2
    assert "error [validation_failed]: give two register files (OLD NEW)" in result.stderr


# Starting automated decision-making or profiling (NTC-03)

SCORING = {
    "id": "scoring",
    "name": "Credit scoring",
    "description": "Applications are scored automatically.",
    "legal_or_similar_effect": True,
    "subject_groups": ["customers"],
}


def start_scoring(doc):  # type: ignore[no-untyped-def]
    doc["automated_decisions"] = {"in_use": True, "items": [dict(SCORING)]}


def promise_to_tell_first(doc):  # type: ignore[no-untyped-def]
    doc["automated_decisions"]["notify_before_starting"] = True


def test_starting_automated_decisions_is_significant() -> None:
    # RULES: NTC-03 ("starting automated decision-making or profiling")
    result = diff_of(start_scoring)

    assert [(c.action, c.item, c.reasons) for c in result.significant] == [
        ("changed", "Automated decisions", ("automated_decisions",)),
        ("added", "Credit scoring", ("automated_decisions",)),
    ]
    assert result.summary() == (
        "2 changes, 2 significant (automated decision-making or profiling starts)"
    )
    assert all("told before" not in d for c in result.changes for d in c.details)


def test_the_change_says_so_when_the_register_promises_to_tell_people_first() -> None:
    # RULES: NTC-03 (brought to subjects' attention before it takes effect)
    result = diff_of(start_scoring, promise_to_tell_first)

    added = next(c for c in result.changes if c.item == "Credit scoring")
    assert added.details == (
        "The register says people are told before automated decision-making starts: "
        "tell them before this takes effect",
    )
    policy = next(c for c in result.changes if c.item == "Automated decisions")
    assert policy.details[-1].startswith("The register says people are told before")


def test_an_automated_decision_that_starts_profiling_is_significant() -> None:
    # RULES: NTC-03
    def profile(doc):  # type: ignore[no-untyped-def]
        doc["automated_decisions"]["items"][0]["profiling"] = True

    before = variant(start_scoring).register
    after = variant(start_scoring, profile).register
    result = diff_registers(before, after)

    assert [(c.item, c.reasons) for c in result.significant] == [
        ("Credit scoring", ("automated_decisions",))
    ]


def test_a_purpose_or_marketing_that_starts_profiling_is_significant() -> None:
    # RULES: NTC-03 (profiling, not only Art 22 decisions)
    def profile_sales(doc):  # type: ignore[no-untyped-def]
        doc["purposes"][0]["profiling"] = True

    def profile_for_marketing(doc):  # type: ignore[no-untyped-def]
        doc["marketing"]["profiling_for_marketing"] = True

    result = diff_of(profile_sales, profile_for_marketing)

    assert [(c.item, c.reasons) for c in result.significant] == [
        ("Selling", ("automated_decisions",)),
        ("Marketing", ("automated_decisions",)),
    ]


def test_stopping_automated_decisions_is_not_significant() -> None:
    # RULES: NTC-03 (only starting is listed)
    before = variant(start_scoring, promise_to_tell_first).register
    result = diff_registers(before, variant().register)

    assert [c.action for c in result.changes] == ["changed", "removed"]
    assert result.significant == []
