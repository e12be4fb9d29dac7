"""Purpose ids the engines reserve are refused when the register loads, not at consent time."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.consent.policy import DIRECT_MARKETING
from dataward.errors import RegisterInvalid
from dataward.register.loader import load_register
from dataward.register.references import RESERVED_PURPOSE_IDS

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "minimal.yaml"


def with_purpose_id(tmp_path: Path, purpose_id: str) -> tuple[Path, int]:
    """The minimal register with its purpose renamed; returns the file and the id's line."""
    text = MINIMAL.read_text(encoding="utf-8")
    assert text.count("  - id: sales\n") == 1
    file = tmp_path / "register.yaml"
    file.write_text(text.replace("  - id: sales\n", f"  - id: {purpose_id}\n"), "utf-8")
    line = text.splitlines().index("  - id: sales") + 1
    return file, line


def test_it_refuses_a_purpose_with_the_reserved_id_direct_marketing(tmp_path: Path) -> None:
    # RULES: OBJ-02 (the objection to direct marketing is absolute: the id names it)
    file, line = with_purpose_id(tmp_path, "direct_marketing")

    with pytest.raises(RegisterInvalid) as raised:
        load_register(file)

    [problem] = raised.value.problems
    assert (problem.file, problem.line, problem.path) == (str(file), line, "purposes[0].id")
    assert problem.message.startswith("purpose id 'direct_marketing' is reserved: ")
    assert "OBJ-02" in problem.message


def test_it_accepts_a_purpose_named_after_what_it_does(tmp_path: Path) -> None:
    file, _ = with_purpose_id(tmp_path, "direct_marketing_by_post")

    assert load_register(file).register.purposes[0].id == "direct_marketing_by_post"


def test_register_check_exits_2_with_the_file_and_line(tmp_path: Path) -> None:
    file, line = with_purpose_id(tmp_path, "direct_marketing")

    result = CliRunner().invoke(app, ["register", "check", str(file)])

    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"{file}:{line}:")
    assert "purposes[0].id: purpose id 'direct_marketing' is reserved" in result.output


def test_every_purpose_id_the_consent_engine_gives_a_meaning_is_reserved() -> None:
    assert DIRECT_MARKETING in RESERVED_PURPOSE_IDS
