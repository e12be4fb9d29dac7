"""The check that holds a runs file and its test module to each other catches every slip.

Each case starts from a small fact sheet, runs file and module that agree, changes one thing
and expects the one problem it makes, so the per-example checks in test_runs_*.py cannot
pass by checking nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from runs_support import JJH, JTR, R3, ROOT, WAITS, Example, read_runs_file, runs, runs_problems

SHEET = """\
purposes:
  - {id: p1, kind: rule, fact: "Consent is needed for the portal."}
  - {id: p2, kind: notice, fact: "We explain what we do."}
retention:
  - {id: t1, kind: rule, fact: "Video is deleted after 90 days."}
"""
GOOD = """\
# every kind: rule fact of the sheet: the test that runs it, or what it waits for
purposes.p1: {runs: tests/examples/test_runs_fake.py::test_it_needs_consent}
retention.t1: {waits: "breaches"}
"""
MODULE_PATH = "tests/examples/test_runs_fake.py"


def _module(**tests: Callable[..., Any]) -> ModuleType:
    module = ModuleType("test_runs_fake")
    module.__file__ = str(ROOT / MODULE_PATH)
    for name, test in tests.items():
        test.__module__ = module.__name__
        setattr(module, name, test)
    return module


def _consent_test() -> Callable[..., Any]:
    @runs("purposes.p1")
    def test_it_needs_consent() -> None:
        return None

    return test_it_needs_consent


def _problems(tmp_path: Path, runs_text: str, module: ModuleType | None = None) -> list[str]:
    (tmp_path / "facts-099-fake.yaml").write_text(SHEET, encoding="utf-8")
    (tmp_path / "runs-099-fake.yaml").write_text(runs_text, encoding="utf-8")
    example = Example("unused.yaml", "facts-099-fake.yaml", tmp_path)
    module = module or _module(test_it_needs_consent=_consent_test())
    return runs_problems(example, module)


def test_it_accepts_a_runs_file_that_agrees_with_its_module(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD) == []


def test_it_finds_the_runs_file_beside_the_fact_sheet() -> None:
    example = Example("jtr-collections.yaml", "facts-000-jtr.yaml")
    assert example.runs_file == ROOT / "examples" / "notices" / "runs-000-jtr.yaml"


def test_it_reports_a_rule_fact_in_neither_list(tmp_path: Path) -> None:
    text = GOOD.replace('retention.t1: {waits: "breaches"}\n', "")
    assert _problems(tmp_path, text) == [
        "runs-099-fake.yaml: rule fact retention.t1 is in neither runs: nor waits:"
    ]


@pytest.mark.parametrize("ref", ["purposes.p2", "purposes.p9", "nowhere.x1"])
def test_it_reports_an_entry_that_names_no_rule_fact(tmp_path: Path, ref: str) -> None:
    text = GOOD + f'{ref}: {{waits: "breaches"}}\n'
    assert _problems(tmp_path, text) == [
        f"runs-099-fake.yaml:4: {ref} is not a rule fact of facts-099-fake.yaml"
    ]


@pytest.mark.parametrize(
    "target",
    [
        "tests/examples/test_runs_fake.py::test_it_does_not_exist",
        "tests/examples/test_runs_other.py::test_it_needs_consent",
        "test_it_needs_consent",
    ],
)
def test_it_reports_a_runs_entry_that_names_no_test_of_the_module(
    tmp_path: Path, target: str
) -> None:
    text = GOOD.replace(f"{MODULE_PATH}::test_it_needs_consent", target)
    problems = _problems(tmp_path, text)
    assert problems[0] == (
        f"runs-099-fake.yaml:2: purposes.p1 runs {target}, which is no test of {MODULE_PATH}"
    )
    # The test that does run p1 is now listed nowhere as running it.
    assert problems[1:] == [
        f"{MODULE_PATH}::test_it_needs_consent runs purposes.p1, not listed as runs: there"
    ]


def test_a_runs_entry_may_name_a_test_in_another_module_of_the_example(tmp_path: Path) -> None:
    """A rule fact can run in any ``tests/examples/test_*.py`` module passed to the check,
    still strictly: the test must exist there and say it runs the fact."""

    @runs("retention.t1")
    def test_it_deletes_video() -> None:
        return None

    other = _module(test_it_deletes_video=test_it_deletes_video)
    other.__file__ = str(ROOT / "tests/examples/test_retention_fake.py")
    target = "tests/examples/test_retention_fake.py::test_it_deletes_video"
    text = GOOD.replace('{waits: "breaches"}', f"{{runs: {target}}}")
    (tmp_path / "facts-099-fake.yaml").write_text(SHEET, encoding="utf-8")
    (tmp_path / "runs-099-fake.yaml").write_text(text, encoding="utf-8")
    example = Example("unused.yaml", "facts-099-fake.yaml", tmp_path)
    main = _module(test_it_needs_consent=_consent_test())
    assert runs_problems(example, main, other) == []
    # Without that module the entry names no test the check knows, and says where it looked.
    assert runs_problems(example, main) == [
        f"runs-099-fake.yaml:3: retention.t1 runs {target}, which is no test of {MODULE_PATH}"
    ]
    # A second module's test that runs a fact the file does not list for it is caught too.
    (tmp_path / "runs-099-fake.yaml").write_text(GOOD, encoding="utf-8")
    assert runs_problems(example, main, other) == [
        "tests/examples/test_retention_fake.py::test_it_deletes_video runs retention.t1, "
        "not listed as runs: there"
    ]


def test_it_reports_a_runs_entry_whose_test_does_not_say_it_runs_the_fact(
    tmp_path: Path,
) -> None:
    def test_it_needs_consent() -> None:
        return None

    module = _module(test_it_needs_consent=test_it_needs_consent)
    assert _problems(tmp_path, GOOD, module) == [
        "runs-099-fake.yaml:2: purposes.p1 runs test_it_needs_consent, which does not say "
        "@runs('purposes.p1')"
    ]


def test_it_reports_a_test_that_runs_a_fact_the_file_says_waits(tmp_path: Path) -> None:
    @runs("retention.t1")
    def test_it_deletes_video() -> None:
        return None

    module = _module(
        test_it_needs_consent=_consent_test(), test_it_deletes_video=test_it_deletes_video
    )
    assert _problems(tmp_path, GOOD, module) == [
        f"{MODULE_PATH}::test_it_deletes_video runs retention.t1, not listed as runs: there"
    ]


def test_it_reports_a_capability_outside_the_agreed_names(tmp_path: Path) -> None:
    text = GOOD.replace("breaches", "someday")
    assert "someday" not in WAITS
    assert _problems(tmp_path, text) == [
        "runs-099-fake.yaml:3: retention.t1 waits for 'someday', not one of runs_support.WAITS"
    ]


@pytest.mark.parametrize(
    "entry",
    [
        'retention.t1: {waits: "breaches", runs: tests/examples/test_runs_fake.py::x}',
        "retention.t1: {}",
        "retention.t1: breaches",
        "retention.t1: {waits: [breaches]}",
        "retention.t1: {wait: breaches}",
        'retention.t1: {waits: " "}',
    ],
)
def test_it_reports_an_entry_without_exactly_one_runs_or_waits(tmp_path: Path, entry: str) -> None:
    text = GOOD.replace('retention.t1: {waits: "breaches"}', entry)
    problems = _problems(tmp_path, text)
    assert problems[0].startswith("runs-099-fake.yaml:3: retention.t1 ")
    assert "runs-099-fake.yaml: rule fact retention.t1 is in neither runs: nor waits:" in problems


def test_it_reports_a_fact_listed_twice_with_both_lines(tmp_path: Path) -> None:
    text = GOOD + 'retention.t1: {waits: "breaches"}\n'
    assert _problems(tmp_path, text) == [
        "runs-099-fake.yaml:4: retention.t1 is listed twice (first on line 3)"
    ]


def test_it_reads_entries_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "runs-099-fake.yaml"
    path.write_text(GOOD, encoding="utf-8")
    entries, problems = read_runs_file(path)
    assert problems == []
    assert [(e.ref, e.line, e.runs, e.waits) for e in entries] == [
        ("purposes.p1", 2, f"{MODULE_PATH}::test_it_needs_consent", None),
        ("retention.t1", 3, None, "breaches"),
    ]


@pytest.mark.parametrize("text", ["- purposes.p1\n", "purposes.p1: [runs\n"])
def test_it_reports_a_file_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "runs-099-fake.yaml"
    path.write_text(text, encoding="utf-8")
    entries, problems = read_runs_file(path)
    assert entries == []
    assert len(problems) == 1
    assert problems[0].startswith("runs-099-fake.yaml")


def test_docs_explain_every_capability_a_fact_can_wait_for() -> None:
    text = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    missing = sorted(c for c in WAITS if f"`{c}`" not in text)
    assert not missing, f"docs/examples.md lacks: {missing}"


def test_every_capability_is_one_some_example_waits_for() -> None:
    named = {
        entry.waits
        for example in (JTR, JJH, R3)
        for entry in read_runs_file(example.runs_file)[0]
        if entry.waits is not None
    }
    assert named == WAITS
