"""``dataward hold`` (issue 17): legal holds from a terminal, the same rules as the API.

Rules: RET-02 (a hold keeps what it covers until it closes, and is reviewed), ERA-02.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from complaint_cli_support import ORG, dataward, make_site
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.holds.models import LegalHold
from dataward.runtime import open_runtime

PLACE = (
    "hold", "place", "--org", ORG, "--scope", "case", "--case", "CLAIM-2026-041",
    "--reason", "litigation", "--dataset", "crm", "--owner", "dpo@acme.example",
    "--review-on", "2027-02-01",
)  # fmt: skip


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from make_site(tmp_path, monkeypatch)


def _place(*args: str) -> str:
    code, out, err = dataward(*(args or PLACE))
    assert code == 0, err
    ref = out.split(":", 1)[0]
    assert ref.startswith("h_")
    return ref


def _counts() -> tuple[int, int]:
    with open_runtime() as runtime, runtime.reader() as uow:
        return (
            uow.session.scalar(select(func.count(LegalHold.id))) or 0,
            uow.session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_ret02_place_list_review_and_close(site: Path) -> None:
    """RET-02: placed today, listed while open, reviewed, closed after confirming."""
    code, out, _ = dataward(*PLACE)
    assert code == 0
    ref = out.split(":", 1)[0]
    assert out.strip() == f"{ref}: placed on crm, review by 2027-02-01"
    code, listed, _ = dataward("hold", "list", "--org", ORG, "--open")
    assert code == 0
    assert ref in listed
    assert "CLAIM-2026-041" in listed
    code, out, _ = dataward("hold", "review", ORG, ref, "--review-on", "2027-05-01")
    assert (code, out.strip()) == (0, f"{ref}: next review 2027-05-01")
    # Without --yes it asks; the answer "n" closes nothing.
    from complaint_cli_support import runner

    from dataward.cli.app import app

    declined = runner.invoke(app, ["hold", "close", ORG, ref], input="n\n")
    assert declined.exit_code == 1
    code, listed, _ = dataward("hold", "list", "--org", ORG, "--open")
    assert ref in listed
    code, out, _ = dataward("hold", "close", ORG, ref, "--yes")
    assert (code, out.strip()) == (0, f"{ref}: closed")
    code, listed, _ = dataward("hold", "list", "--org", ORG, "--open")
    assert ref not in listed
    code, listed, _ = dataward("hold", "list", "--org", ORG, "--closed")
    assert ref in listed
    assert "2026-11-25" in listed  # closed today


def test_ret02_bad_input_is_one_line_exit_2_and_changes_nothing(site: Path) -> None:
    ref = _place()
    dataward("hold", "close", ORG, ref, "--yes")
    before = _counts()
    base = list(PLACE)

    def changed(option: str, value: str) -> list[str]:
        at = base.index(option)
        return [*base[:at], option, value, *base[at + 2 :]]

    refused = [
        (changed("--review-on", "1 Feb 2027"), "hold_invalid", "--review-on"),
        (changed("--review-on", "2026-11-25"), "hold_invalid", "after today"),
        (changed("--scope", "everything"), "hold_invalid", "scope"),
        (changed("--dataset", "payroll"), "hold_invalid", "dataset"),
        (changed("--reason", "whim"), "hold_invalid", "reason"),
        ([*base, "--complaint", "c_0000000000000000"], "hold_invalid", "no complaint"),
        (["hold", "review", ORG, ref, "--review-on", "2027-05-01"], "hold_closed", "closed"),
        (["hold", "close", ORG, ref, "--yes"], "hold_closed", "closed"),
        (["hold", "close", ORG, "h_0000000000000000", "--yes"], "hold_not_found", "no hold"),
        (["hold", "list", "--subject", "s_x"], "hold_invalid", "organisation"),
    ]
    for args, code_name, words in refused:
        code, out, err = dataward(*args)
        assert code == 2, (args, out, err)
        assert err.startswith(f"error [{code_name}]"), err
        assert words in err
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in out + err
    assert _counts() == before


def test_era02_a_hold_placed_for_a_complaint(site: Path) -> None:
    """ERA-02: a complaint's hold names it; the hold is found by its case."""
    code, out, _ = dataward(
        "complaint", "open", "--org", ORG, "--channel", "email", "--received-on", "2026-11-20",
        "--words", "You kept my data too long.",
    )  # fmt: skip
    assert code == 0
    complaint = out.split(":", 1)[0]
    ref = _place(*PLACE, "--complaint", complaint)
    with open_runtime() as runtime, runtime.reader() as uow:
        row = uow.session.scalars(select(LegalHold).where(LegalHold.ref == ref)).one()
        assert row.complaint_id is not None
        actions = list(
            uow.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == ref))
        )
    assert actions == ["hold.placed"]
    code, listed, _ = dataward("hold", "list", "--case", "CLAIM-2026-041")
    assert ref in listed


def test_help_gives_examples() -> None:
    for command in ("place", "review", "close", "list"):
        code, out, _ = dataward("hold", command, "--help")
        assert code == 0
        assert "Example: dataward hold " in out
