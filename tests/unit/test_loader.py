"""The strict register loader: every problem at once, each at FILE:LINE:COL with its path.

Broken registers are made from ``minimal.yaml`` by replacing one piece of text, so each test
shows the mistake next to the line and column it expects (see the fixture's line numbers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dataward.config import get_settings
from dataward.errors import RegisterInvalid, SourceProblem
from dataward.register.loader import load_register, parse_register

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loader"
MINIMAL = FIXTURES / "minimal.yaml"
MINIMAL_TEXT = MINIMAL.read_text(encoding="utf-8")
FILE = "register.yaml"


def variant(old: str, new: str) -> str:
    """``minimal.yaml`` with ``old`` (which must occur exactly once) replaced by ``new``."""
    assert MINIMAL_TEXT.count(old) == 1, f"{old!r} must occur once in minimal.yaml"
    return MINIMAL_TEXT.replace(old, new)


def problems_of(text: str, file: str = FILE) -> list[SourceProblem]:
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, file)
    assert caught.value.problems, "RegisterInvalid without problems"
    return caught.value.problems


def where(problem: SourceProblem) -> tuple[str, int, int, str]:
    return (problem.file, problem.line, problem.column, problem.path)


def billion_laughs() -> str:
    """Nine levels of nine aliases: 9**9 strings once expanded, a few hundred bytes as text."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set ``DATAWARD_*`` variables for one test; settings are read again before and after."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_it_loads_the_minimal_register_with_the_hash_of_its_text() -> None:
    loaded = load_register(MINIMAL)

    assert loaded.register.organisation == "acme"
    assert loaded.register.purposes[0].id == "sales"
    assert loaded.source_text == MINIMAL_TEXT
    assert loaded.content_hash == hashlib.sha256(MINIMAL_TEXT.encode("utf-8")).hexdigest()
    assert loaded.file == str(MINIMAL)


def test_it_remembers_where_each_element_is() -> None:
    loaded = load_register(MINIMAL)

    assert loaded.line_of(("purposes", 0)) == (23, 5)
    assert loaded.line_of(("purposes", 0, "bases", 0, "basis")) == (27, 21)
    # A path the file does not spell out falls back to its nearest written ancestor.
    assert loaded.line_of(("purposes", 0, "not_special")) == (23, 5)


def test_it_points_at_a_yaml_syntax_error() -> None:
    [problem] = problems_of(variant("  legal_name: Acme Ltd", "  legal_name: [Acme Ltd"))

    # libyaml notices the unclosed flow sequence at the next line's colon.
    assert where(problem) == (FILE, 6, 16, "")
    assert problem.message == "YAML syntax: did not find expected ',' or ']'"
    assert str(problem) == (
        f"{FILE}:6:16: (document): YAML syntax: did not find expected ',' or ']'"
    )


def test_it_points_at_a_tab_used_for_indentation() -> None:
    [problem] = problems_of(variant("  nation: ENG", "\tnation: ENG"))

    assert where(problem) == (FILE, 8, 1, "")
    assert problem.message.startswith("YAML syntax: found character that cannot start any token")


def test_it_reports_a_value_of_the_wrong_type() -> None:
    [problem] = problems_of(variant("review_every_months: 12", "review_every_months: twelve"))

    assert where(problem) == (FILE, 16, 3, "notice.review_every_months")
    assert "valid integer" in problem.message


def test_it_points_at_the_line_of_an_unknown_key() -> None:
    [problem] = problems_of(variant("  nation: ENG\n", "  nation: ENG\n  colour: blue\n"))

    assert where(problem) == (FILE, 9, 3, "controller.colour")
    assert problem.message == "unknown key 'colour'"


def test_it_reports_a_bad_enum_value_with_the_choices_and_what_was_given() -> None:
    [problem] = problems_of(variant("basis: contract", "basis: contrakt"))

    assert where(problem) == (FILE, 27, 14, "purposes[0].bases[0].basis")
    assert "'legitimate_interests'" in problem.message
    assert problem.message.endswith("got 'contrakt'")


def test_it_reports_a_missing_required_key_at_its_parent() -> None:
    [problem] = problems_of(variant("  legal_name: Acme Ltd\n", ""))

    # Pointed at where the controller's mapping starts: the key is not in the file.
    assert where(problem) == (FILE, 4, 3, "controller.legal_name")
    assert problem.message == "required key 'legal_name' is missing"


def test_it_reports_a_dangling_reference_at_the_reference() -> None:
    [problem] = problems_of(
        variant("    subject_groups: [customers]\n", "    subject_groups: [customers, nobody]\n")
    )

    assert where(problem) == (FILE, 25, 33, "purposes[0].subject_groups[1]")
    assert problem.message == "unknown subject group 'nobody'"


def test_it_reports_a_duplicate_id_at_the_second_element() -> None:
    group = "  - {id: customers, name: Customers, description: People who buy.}\n"
    [problem] = problems_of(
        variant(group, group + "  - {id: customers, name: Again, description: Twice.}\n")
    )

    assert where(problem) == (FILE, 20, 10, "subject_groups[1].id")
    assert problem.message == "duplicate id 'customers' in subject_groups"


def test_it_refuses_a_duplicate_yaml_key() -> None:
    [problem] = problems_of(variant("  nation: ENG\n", "  nation: ENG\n  nation: SCT\n"))

    assert where(problem) == (FILE, 9, 3, "controller.nation")
    assert problem.message == "duplicate key 'nation'"


def test_it_reports_every_problem_of_a_file_sorted_by_line() -> None:
    path = FIXTURES / "several_problems.yaml"
    with pytest.raises(RegisterInvalid) as caught:
        load_register(path)

    file = str(path)
    assert [where(p) for p in caught.value.problems] == [
        (file, 27, 14, "purposes[0].bases[0].basis"),
        (file, 28, 5, "purposes[0].unknown_key"),
        (file, 47, 5, "retention_rules[0].offset"),
        (file, 49, 5, "retention_rules[0].trigger2"),
    ]
    messages = [p.message for p in caught.value.problems]
    assert messages[0].endswith("got 'contrakt'")
    assert messages[1] == "unknown key 'unknown_key'"
    assert messages[2].startswith("give exactly one of days, working_days")
    assert messages[3] == "unknown key 'trigger2'"
    assert caught.value.message == "register has 4 problems"
    assert caught.value.details == [str(p) for p in caught.value.problems]


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(RegisterInvalid) as caught:
        load_register(missing)

    [problem] = caught.value.problems
    assert where(problem) == (str(missing), 1, 1, "")
    assert problem.message == "cannot read file: No such file or directory"


def test_it_reports_a_directory_given_as_a_register(tmp_path: Path) -> None:
    with pytest.raises(RegisterInvalid) as caught:
        load_register(tmp_path)

    [problem] = caught.value.problems
    assert where(problem) == (str(tmp_path), 1, 1, "")
    assert problem.message == "cannot read file: Is a directory"


def test_it_reports_the_line_of_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"dataward: 1\norganisation: acme\ncontroller:\n  name: Caf\xe9\n")
    with pytest.raises(RegisterInvalid) as caught:
        load_register(path)

    [problem] = caught.value.problems
    assert where(problem) == (str(path), 4, 1, "")
    assert problem.message == "not UTF-8 (byte 54)"


def test_it_refuses_a_file_over_the_size_cap(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("DATAWARD_REGISTER_MAX_BYTES", "100")
    size = MINIMAL.stat().st_size

    with pytest.raises(RegisterInvalid) as caught:
        load_register(MINIMAL)

    [problem] = caught.value.problems
    assert where(problem) == (str(MINIMAL), 1, 1, "")
    assert problem.message == f"file is {size} bytes, over the 100-byte limit"


def test_it_refuses_text_over_the_size_cap(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("DATAWARD_REGISTER_MAX_BYTES", "100")

    [problem] = problems_of(MINIMAL_TEXT)

    assert where(problem) == (FILE, 1, 1, "")
    assert problem.message == "register is over the 100-byte limit"


def test_it_stops_an_alias_bomb_at_the_node_cap() -> None:
    text = billion_laughs()
    assert len(text) < 1000

    [problem] = problems_of(text)

    cap = get_settings().register_max_nodes
    assert where(problem) == (FILE, 1, 64, "")
    assert problem.message == f"more than {cap} YAML nodes (alias expansion?)"


def test_it_counts_nodes_against_a_lower_cap(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("DATAWARD_REGISTER_MAX_NODES", "50")

    [problem] = problems_of(MINIMAL_TEXT)

    # The 51st node built, depth first, is the purpose's first basis, `{basis: contract}`.
    assert where(problem) == (FILE, 27, 13, "")
    assert problem.message == "more than 50 YAML nodes (alias expansion?)"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_it_reports_an_empty_file(text: str) -> None:
    [problem] = problems_of(text)

    assert where(problem) == (FILE, 1, 1, "")
    assert problem.message == "the file is empty"


@pytest.mark.parametrize("text", ["- dataward: 1\n- organisation: acme\n", "just words\n", "---\n"])
def test_it_refuses_a_top_level_that_is_not_a_mapping(text: str) -> None:
    [problem] = problems_of(text)

    assert where(problem) == (FILE, 1, 1, "")
    assert problem.message == "a register is a mapping of sections at the top level"


def test_it_refuses_merge_keys() -> None:
    text = variant(
        "dpo: {appointed: true, contacts: [{kind: email, value: dpo@acme.example}]}",
        "dpo: {<<: {appointed: true}, contacts: [{kind: email, value: dpo@acme.example}]}",
    )

    problems = problems_of(text)

    # The merge is refused; ``appointed`` never arrives, which is silence, not an error.
    assert [(where(p), p.message) for p in problems] == [
        ((FILE, 12, 7, "dpo"), "merge keys (<<) are not allowed in a register"),
    ]


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object:os.system acme",
        "!!python/name:os.system ''",
        "!custom acme",
    ],
)
def test_it_refuses_tags_that_construct_objects(tag: str) -> None:
    problems = problems_of(variant("organisation: acme", f"organisation: {tag}"))

    refused = [p for p in problems if p.message.startswith("cannot read value: unsupported tag")]
    [problem] = refused
    assert where(problem) == (FILE, 2, 15, "organisation")
    assert tag.split()[0].removeprefix("!!").removeprefix("!") in problem.message


def test_it_reports_an_impossible_date_at_its_value() -> None:
    problems = problems_of(variant("date: 2024-02-20", "date: 2024-02-31"))

    unreadable = [p for p in problems if p.message.startswith("cannot read value")]
    [problem] = unreadable
    assert where(problem) == (FILE, 15, 30, "notice.versions[0].date")
    assert problem.message == "cannot read value: day is out of range for month"


BAD_INPUTS = {
    "syntax": variant("  legal_name: Acme Ltd", "  legal_name: [Acme Ltd"),
    "type": variant("review_every_months: 12", "review_every_months: twelve"),
    "enum": variant("basis: contract", "basis: contrakt"),
    "tag": variant("organisation: acme", "organisation: !!python/object:os.system acme"),
    "date": variant("date: 2024-02-20", "date: 2024-02-31"),
    "bomb": billion_laughs(),
    "list": "- a\n",
    "empty": "",
    "merge": variant("dpo: {appointed", "dpo: {<<: {x: 1}, appointed"),
}


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_it_never_puts_traceback_text_in_a_message(text: str) -> None:
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)

    lines = [caught.value.message, *caught.value.details]
    for line in lines:
        assert "Traceback" not in line
        assert 'File "' not in line
        assert ".py" not in line
        assert "\n" not in line
    for problem in caught.value.problems:
        assert str(problem).startswith(f"{FILE}:{problem.line}:{problem.column}: ")


def test_it_stops_a_recursive_alias_at_the_depth_cap() -> None:
    [problem] = problems_of("a: &a [*a]\n")
    assert where(problem) == (FILE, 1, 4, "")
    assert problem.message == "nested more than 100 levels (recursive alias?)"


def test_it_stops_lists_nested_too_deep() -> None:
    [problem] = problems_of("a: " + "[" * 600 + "]" * 600 + "\n")
    assert (problem.line, problem.column) == (1, 104)
    assert "nested more than 100 levels" in problem.message


def test_it_refuses_a_tag_on_a_list_or_mapping() -> None:
    text = variant("categories: [contact]", "categories: !!python/object/apply:os.system [contact]")
    problems = problems_of(text)
    # One problem for one mistake: pydantic's complaint about the unread value is dropped.
    [problem] = problems
    assert where(problem) == (FILE, 26, 17, "purposes[0].categories")
    assert "unsupported tag" in problem.message


def test_it_reads_no_more_than_the_size_cap_from_a_device() -> None:
    with pytest.raises(RegisterInvalid) as caught:
        load_register(Path("/dev/zero"))
    [problem] = caught.value.problems
    assert "byte limit" in problem.message
