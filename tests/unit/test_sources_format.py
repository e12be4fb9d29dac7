"""The sources file format: a good file parses; every bad shape is one problem at
FILE:LINE:COL naming the field; checks against the register name what does not fit.

Broken files are made from ``tests/fixtures/sources/jtr.yaml`` by replacing one piece of text,
so each test shows the mistake next to the line and column it expects.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dataward.errors import SourceProblem
from dataward.register.loader import load_register
from dataward.register.models import Register
from dataward.sources.errors import SourcesInvalid
from dataward.sources.loader import (
    LoadedSources,
    check_against_register,
    load_sources,
    parse_sources,
    require_fit,
)
from dataward.sources.models import Anonymise, Keep, SourcesFile

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "fixtures" / "sources" / "jtr.yaml"
GOOD_TEXT = GOOD.read_text(encoding="utf-8")
FILE = "sources.yaml"


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(ROOT / "examples" / "jtr-collections.yaml").register


def variant(old: str, new: str) -> str:
    assert GOOD_TEXT.count(old) == 1, f"{old!r} must occur once in jtr.yaml"
    return GOOD_TEXT.replace(old, new)


def problems_of(text: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(SourcesInvalid) as caught:
        parse_sources(text, FILE)
    assert caught.value.problems
    assert all(p.file == FILE for p in caught.value.problems)
    return [(p.line, p.column, p.path, p.message) for p in caught.value.problems]


def fit_problems(text: str, register: Register) -> list[tuple[int, int, str, str]]:
    fit = check_against_register(parse_sources(text, FILE), register)
    return [(p.line, p.column, p.path, p.message) for p in fit.problems]


def test_a_good_file_parses_with_every_kind_of_field() -> None:
    loaded = load_sources(GOOD)

    sources = loaded.sources
    assert sources.organisation == "jtr_collections"
    assert {n: c.kind for n, c in sources.connections.items()} == {
        "ops": "sql",
        "recordings": "files",
        "exports": "csv",
    }
    assert sources.connections["recordings"].mode == "read_only"  # the default
    (customers,) = sources.datasets["customers"]
    assert customers.identities == {"email": "email", "name": ["first_name", "last_name"]}
    assert customers.columns["email"].erasure == "set_null"
    assert customers.columns["notes"].erasure == Anonymise(anonymise="scrub_names")
    assert customers.columns["notes"].free_text is True
    assert customers.columns["balance"].erasure == Keep(keep="debt still owed")
    assert customers.columns["balance"].provenance == "derived"
    (cases,) = sources.datasets["cases"]
    assert cases.holds["live_case"].open_when is not None
    assert cases.holds["live_case"].open_when.in_ == ["live", "paused"]
    assert cases.holds["complaint_on_case"].open_when_null == "closed_on"
    (payments,) = sources.datasets["payments"]
    assert payments.subject is not None
    assert payments.subject.then is not None
    assert payments.subject.then.table == "debtors"
    assert loaded.line_of(("datasets", "cases", 0, "events")) == (33, 15)
    assert len(loaded.content_hash) == 64


def test_a_good_file_fits_its_register_and_lists_the_unbound_datasets(
    register: Register,
) -> None:
    fit = require_fit(load_sources(GOOD), register)

    assert fit.bound == ["customers", "cases", "payments", "call_recordings"]
    by_hand = {m.dataset: m.reason for m in fit.by_hand}
    assert by_hand["portal_accounts"] == "the portal supplier searches its own system on request"
    assert by_hand["visits"] == "no binding in the sources file"
    assert set(by_hand) | set(fit.bound) == {d.id for d in register.datasets}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "format_version: 1",
            "format_version: 2",
            (2, 1, "format_version", "Input should be 1, got 2"),
        ),
        (
            "    kind: csv",
            "    kind: excel",
            (
                13,
                5,
                "connections.exports.kind",
                "Input should be 'sql', 'files', 'csv' or 'json', got 'excel'",
            ),
        ),
        (
            "    url_from: JTR_OPS_URL",
            "    url_from: postgresql://u:pw@host/db",
            (7, 5, "connections.ops.url_from", "String should match pattern"),
        ),
        (
            "    mode: read_only",
            "    mode: write",
            (8, 5, "connections.ops.mode", "Input should be 'read_only' or 'read_write'"),
        ),
        (
            "      key: payment_id\n",
            "",
            (43, 7, "datasets.payments[0].key", "required key 'key' is missing"),
        ),
        (
            '      pattern: "payments/*.csv"\n',
            "",
            (43, 7, "datasets.payments[0]", "give exactly one of table (sql) or pattern"),
        ),
        (
            "      table: cases\n      key: id\n      identities",
            '      table: cases\n      pattern: "x.csv"\n      key: id\n      identities',
            (28, 7, "datasets.cases[0]", "give exactly one of table (sql) or pattern"),
        ),
        (
            "        then: {via: debtor_id, table: debtors, key: id}",
            "        then: {via: debtor_id, table: debtors}",
            (50, 15, "datasets.payments[0].subject.then.key", "required key 'key' is missing"),
        ),
        (
            "live_case: {open_when: {column: status, in: [live, paused]}}",
            "live_case: {open_when_null: x, open_when: {column: status, in: [live]}}",
            (35, 9, "datasets.cases[0].holds.live_case", "give exactly one of open_when_null"),
        ),
        (
            "{open_when: {column: status, in: [live, paused]}}",
            "{open_when: {column: status, in: []}}",
            (35, 49, "datasets.cases[0].holds.live_case.open_when.in", "at least 1 item"),
        ),
        (
            "complaint_on_case: {table: complaints, via: case_id, open_when_null: closed_on}",
            "complaint_on_case: {table: complaints, open_when_null: closed_on}",
            (36, 9, "datasets.cases[0].holds.complaint_on_case", "table and via go together"),
        ),
        (
            '      files: {pattern: "calls/{case_ref}-*.mp3"}',
            '      files: {pattern: "../calls/*.mp3"}',
            (41, 15, "datasets.call_recordings[0].files.pattern", "without '..'"),
        ),
        (
            '      files: {pattern: "calls/{case_ref}-*.mp3"}',
            "      files: {folder: calls}",
            (41, 7, "datasets.call_recordings[0].files", "give column (a path per row)"),
        ),
        (
            "provenance: provided, erasure: set_null",
            "provenance: told, erasure: set_null",
            (24, 45, "datasets.customers[0].columns.email.provenance", "got 'told'"),
        ),
        (
            "erasure: {anonymise: scrub_names}",
            "erasure: shred",
            (25, 34, "datasets.customers[0].columns.notes.erasure", "'delete_row' or 'set_null'"),
        ),
        (
            "{free_text: true, erasure",
            "{free_txt: true, erasure",
            (25, 17, "datasets.customers[0].columns.notes.free_txt", "unknown key 'free_txt'"),
        ),
        (
            "      table: debtors\n",
            "      table: debtors; drop table x\n",
            (18, 7, "datasets.customers[0].table", "String should match pattern"),
        ),
        (
            "  customers:\n    - connection: ops",
            "  customers: []\n  other:\n    - connection: ops",
            (16, 3, "datasets.customers", "at least 1 item"),
        ),
        (
            "    url_from: JTR_EXPORTS_DIR\n",
            "    url_from: JTR_EXPORTS_DIR\n    url_from: OTHER\n",
            (15, 5, "connections.exports.url_from", "duplicate key 'url_from'"),
        ),
    ],
)
def test_every_bad_shape_is_reported_at_its_line_with_its_field(
    old: str, new: str, expected: tuple[int, int, str, str]
) -> None:
    problems = problems_of(variant(old, new))

    line, column, path, message = expected
    assert [(p[0], p[1], p[2]) for p in problems] == [(line, column, path)], problems
    assert message in problems[0][3]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    - connection: exports",
            "    - connection: warehouse",
            (
                43,
                19,
                "datasets.payments[0].connection",
                "unknown connection 'warehouse' (connections: exports, ops, recordings)",
            ),
        ),
        (
            '      pattern: "payments/*.csv"',
            "      table: payments",
            (
                44,
                14,
                "datasets.payments[0].table",
                "a csv connection is read by file pattern, not by table",
            ),
        ),
        (
            "  portal_accounts: the portal",
            "  customers: the portal",
            (
                53,
                14,
                "searched_by_hand.customers",
                "this dataset is also bound under datasets: bound or by hand, not both",
            ),
        ),
    ],
)
def test_bindings_must_fit_the_files_own_connections(
    old: str, new: str, expected: tuple[int, int, str, str]
) -> None:
    assert problems_of(variant(old, new)) == [expected]


def test_a_file_pattern_on_a_sql_connection_is_refused_where_it_is() -> None:
    assert problems_of(variant("    - connection: recordings", "    - connection: ops")) == [
        (
            39,
            16,
            "datasets.call_recordings[0].pattern",
            "a sql connection is read by table, not by pattern",
        ),
        (
            41,
            14,
            "datasets.call_recordings[0].files",
            "name the files connection whose root holds these files (connection: ...)",
        ),
    ]


def test_files_on_a_sql_binding_name_a_files_connection() -> None:
    text = variant(
        "      identities: {case_ref: case_ref}\n",
        "      identities: {case_ref: case_ref}\n      files: {column: file_path}\n",
    )
    assert problems_of(text) == [
        (
            32,
            14,
            "datasets.cases[0].files",
            "name the files connection whose root holds these files (connection: ...)",
        )
    ]
    wrong = text.replace("{column: file_path}", "{connection: exports, column: file_path}")
    assert problems_of(wrong) == [
        (32, 27, "datasets.cases[0].files.connection", "'exports' is a csv connection, not files")
    ]
    right = text.replace("{column: file_path}", "{connection: recordings, column: file_path}")
    assert parse_sources(right, FILE).sources.datasets["cases"][0].files is not None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  call_recordings:",
            "  call_recordingz:",
            (37, 3, "datasets.call_recordingz", "the register has no dataset 'call_recordingz'"),
        ),
        (
            "        email: email\n",
            "        email: email\n        postcode: postcode\n",
            (22, 9, "datasets.customers[0].identities.postcode", "not a register identity kind"),
        ),
        (
            "      identities: {case_ref: case_ref}",
            "      identities: {case_ref: case_ref, email: email}",
            (
                31,
                40,
                "datasets.cases[0].identities.email",
                "the register does not declare identity 'email' on this dataset "
                "(it declares: case_ref, customer_ref)",
            ),
        ),
        (
            "events: {case_returned: returned_on}",
            "events: {case_closed: returned_on}",
            (33, 16, "datasets.cases[0].events.case_closed", "the register has no event"),
        ),
        (
            "        live_case: {open_when",
            "        dead_case: {open_when",
            (35, 9, "datasets.cases[0].holds.dead_case", "the register has no hold 'dead_case'"),
        ),
        (
            "{category: customer_contact,",
            "{category: shoe_size,",
            (
                24,
                27,
                "datasets.customers[0].columns.email.category",
                "the register has no data category 'shoe_size'",
            ),
        ),
        (
            "  portal_accounts: the portal",
            "  paper_files: the portal",
            (53, 3, "searched_by_hand.paper_files", "the register has no dataset 'paper_files'"),
        ),
        (
            "organisation: jtr_collections",
            "organisation: acme",
            (3, 15, "organisation", "the register is 'jtr_collections', not 'acme'"),
        ),
    ],
)
def test_what_the_register_does_not_know_is_reported_at_its_line(
    register: Register, old: str, new: str, expected: tuple[int, int, str, str]
) -> None:
    problems = fit_problems(variant(old, new), register)

    line, column, path, message = expected
    assert [(p[0], p[1], p[2]) for p in problems] == [(line, column, path)], problems
    assert message in problems[0][3]


def test_require_fit_raises_with_every_problem(register: Register) -> None:
    text = variant("events: {case_returned: returned_on}", "events: {x: returned_on}")
    text = text.replace("{category: customer_contact,", "{category: y,")
    with pytest.raises(SourcesInvalid) as caught:
        require_fit(parse_sources(text, FILE), register)
    assert [p.path for p in caught.value.problems] == [
        "datasets.customers[0].columns.email.category",
        "datasets.cases[0].events.x",
    ]
    assert caught.value.details[0].startswith("sources.yaml:24:27: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (1, 1, "", "the file is empty")),
        ("- a\n- b\n", (1, 1, "", "a sources file is a mapping of sections at the top level")),
        ("a: [\n", (2, 1, "", "YAML syntax")),
        ("a: &x {b: 1}\nc:\n  <<: *x\n", (3, 3, "c", "merge keys (<<) are not allowed in a")),
    ],
)
def test_files_that_are_not_yaml_mappings_say_where(
    text: str, expected: tuple[int, int, str, str]
) -> None:
    problems = problems_of(text)

    found = [p for p in problems if expected[3] in p[3]]
    assert [(p[0], p[1], p[2]) for p in found] == [expected[:3]], problems


def test_an_unreadable_file_is_one_problem_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_bytes(b"format_version: 1\norganisation: \xff\n")
    with pytest.raises(SourcesInvalid) as caught:
        load_sources(bad)
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:2:1: (document): not UTF-8 (byte 32)"
    ]
    with pytest.raises(SourcesInvalid) as missing:
        load_sources(tmp_path / "absent.yaml")
    assert "cannot read file" in str(missing.value.problems[0])


def test_the_json_schema_describes_the_format() -> None:
    schema = SourcesFile.model_json_schema()

    assert schema["required"] == ["format_version", "organisation"]
    assert set(schema["properties"]) == {
        "format_version",
        "organisation",
        "connections",
        "datasets",
        "searched_by_hand",
        "not_in_register",
    }
    binding = schema["$defs"]["Binding"]
    assert set(binding["required"]) == {"connection", "key"}
    assert binding["additionalProperties"] is False
    assert "in" in schema["$defs"]["Condition"]["properties"]
    json.dumps(schema)  # serialisable as the CLI prints it


def test_problems_never_quote_a_connection_url() -> None:
    # A URL pasted where a setting name belongs is refused without echoing its password.
    problems = problems_of(variant("url_from: JTR_OPS_URL", "url_from: postgresql://u:hunter2@h/d"))
    assert all("hunter2" not in p[3] for p in problems)


def _loaded() -> LoadedSources:
    return parse_sources(GOOD_TEXT, FILE)


def test_problem_points_at_the_key_of_a_mapping_entry() -> None:
    loaded = _loaded()
    problem = loaded.problem(("datasets", "cases", "__key__"), "m")
    assert problem == SourceProblem(FILE, 27, 3, "datasets.cases", "m")


def test_sources_check_prints_each_problem_on_one_line_and_exits_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dataward.cli.app import app

    register = str(ROOT / "examples" / "jtr-collections.yaml")
    runner = CliRunner()
    good = runner.invoke(app, ["sources", "check", str(GOOD), "--register", register])
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(variant("    kind: csv", "    kind: excel"), encoding="utf-8")
    bad = runner.invoke(app, ["sources", "check", str(bad_file), "--register", register])
    unfit_file = tmp_path / "unfit.yaml"
    unfit_file.write_text(variant("  call_recordings:", "  calls:"), encoding="utf-8")
    unfit = runner.invoke(app, ["sources", "check", str(unfit_file), "--register", register])
    schema = runner.invoke(app, ["sources", "schema"])

    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[-1] == (f"{GOOD}: valid; 4 datasets bound, 9 searched by hand")
    assert f"{GOOD}: portal_accounts: searched by hand (no binding): the portal supplier" in (
        good.output
    )
    assert bad.exit_code == 2
    assert bad.output.splitlines() == [
        f"{bad_file}:13:5: connections.exports.kind: Input should be 'sql', 'files', 'csv' "
        "or 'json', got 'excel'"
    ]
    assert unfit.exit_code == 2
    assert f"{unfit_file}:37:3: datasets.calls: the register has no dataset 'calls'" in (
        unfit.output
    )
    assert "Traceback" not in bad.output + unfit.output
    assert json.loads(schema.output)["title"] == "SourcesFile"


# A files binding's key (issue 19) -----------------------------------------------------------

PATTERN = '      pattern: "calls/*.mp3"\n      key: path\n'
PLACEHOLDER_PATTERN = '      pattern: "calls/{case_ref}-*.mp3"\n      key: path\n'
NAME_KEY = (
    "a files binding's key must be path, not 'name': a file's row holds path and size; only "
    "its path tells one file from another"
)


def test_a_files_binding_keyed_by_a_column_its_files_lack_is_refused_at_its_key() -> None:
    """SAR-07 / ERA-02: a file's row has its path, size and pattern placeholders, nothing
    else; any other key failed every request's erasure plan with a KeyError."""
    assert problems_of(variant("      key: path\n", "      key: name\n")) == [
        (40, 12, "datasets.call_recordings[0].key", NAME_KEY)
    ]


def test_a_files_binding_keyed_by_a_placeholder_is_refused_too() -> None:
    # The placeholder is the same for each of a person's files: two files, one key.
    text = variant(PATTERN, PLACEHOLDER_PATTERN.replace("key: path", "key: case_ref"))
    assert [p[2:] for p in problems_of(text)] == [
        (
            "datasets.call_recordings[0].key",
            "a files binding's key must be path, not 'case_ref': a file's row holds path, "
            "size and case_ref; only its path tells one file from another",
        )
    ]


def test_a_files_binding_keyed_by_path_parses_with_or_without_placeholders() -> None:
    with_placeholder = parse_sources(variant(PATTERN, PLACEHOLDER_PATTERN), FILE).sources
    assert with_placeholder.datasets["call_recordings"][0].key == "path"
    assert parse_sources(GOOD_TEXT, FILE).sources.datasets["call_recordings"][0].key == "path"


def test_a_files_pattern_with_an_unclosed_placeholder_is_refused_not_raised() -> None:
    text = variant('      pattern: "calls/*.mp3"\n', '      pattern: "calls/{case_ref-*.mp3"\n')
    unclosed = "a {placeholder} in the pattern is not closed"
    assert problems_of(text) == [(39, 16, "datasets.call_recordings[0].pattern", unclosed)]
    # The same in the files a row names (``files: {pattern}``), read row by row later.
    in_files = variant('{pattern: "calls/{case_ref}-*.mp3"}', '{pattern: "calls/{case_ref-*.mp3"}')
    assert problems_of(in_files) == [
        (41, 24, "datasets.call_recordings[0].files.pattern", unclosed)
    ]


def test_sources_check_refuses_a_files_key_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dataward.cli.app import app

    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(variant("      key: path\n", "      key: name\n"), encoding="utf-8")
    register = str(ROOT / "examples" / "jtr-collections.yaml")
    bad = CliRunner().invoke(app, ["sources", "check", str(bad_file), "--register", register])

    assert bad.exit_code == 2
    assert bad.output.splitlines() == [
        f"{bad_file}:40:12: datasets.call_recordings[0].key: {NAME_KEY}"
    ]


def test_the_full_example_in_the_docs_is_a_valid_sources_file(register: Register) -> None:
    """docs/sources.md's example loads and fits the JTR register (its files binding included)."""
    docs = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    found = re.search(r"## A full example\n\n```yaml\n(.*?)```", docs, re.S)
    assert found is not None
    fit = require_fit(parse_sources(found.group(1), "docs/sources.md"), register)
    assert "call_recordings" in fit.bound
