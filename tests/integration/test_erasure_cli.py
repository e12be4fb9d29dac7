"""``dataward erasure`` (issue 19, ERA-01..03): ground, plan, approve, run and show from a
terminal, the same rules as the services; bad input one line, exit 2, nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from complaint_cli_support import dataward, make_site
from erasure_support import erasure_request, make_user, stored_for_erasure
from package_build_support import ORG, Operational, build_operational
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.erasure.models import ErasurePlan
from dataward.runtime import open_runtime


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Operational]:
    for _ in make_site(tmp_path, monkeypatch):
        agency = build_operational(tmp_path / "agency")
        for name, value in agency.env.items():
            monkeypatch.setenv(name, value)
        yield agency


def _request(*, ground: str | None = None) -> tuple[str, str]:
    with open_runtime() as runtime, runtime.uow() as uow:
        stored_for_erasure(uow)
        row = erasure_request(uow, ground=ground)
        dpo = make_user(uow, "dpo@jtr.example", "dpo")
        return row.ref, dpo


def _counts() -> tuple[int, int]:
    with open_runtime() as runtime, runtime.reader() as uow:
        return (
            uow.session.scalar(select(func.count(ErasurePlan.id))) or 0,
            uow.session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_era_ground_plan_approve_run_and_show(site: Operational) -> None:
    ref, dpo = _request()

    code, out, err = dataward("erasure", "ground", ORG, ref, "consent_withdrawn")
    assert (code, out.strip()) == (
        0,
        f"{ref}: ground consent_withdrawn (consent withdrawn and no other lawful basis)",
    ), err
    code, planned, err = dataward("erasure", "plan", ORG, ref)
    assert code == 0, err
    first = planned.splitlines()[0]
    assert "planned: ground consent_withdrawn; sources v1, register v1" in first
    assert first.endswith("7 rows and 2 files go, 1 rows kept")
    assert (
        "  payments[0] on agency: 0 rows, 0 files: kept; 1 kept (kept: the sources file keeps "
        "every column it names (amount))"
    ) in planned
    assert "  visits[0] on agency: 2 rows, 0 files: rows deleted" in planned
    assert (
        "  customers[0] on agency: 1 rows, 0 files: columns changed: customer_ref keep, "
        "name anonymise:redact, email set null, phone set null"
    ) in planned
    code, out, err = dataward("erasure", "approve", ORG, ref, "--actor", dpo)
    assert code == 0, err
    assert "approved" in out
    code, out, err = dataward("erasure", "run", ORG, ref, "--worker", "cli-test")
    assert code == 0, err
    assert out.strip().endswith(" is done")
    code, shown, err = dataward("erasure", "show", ORG, ref)
    assert code == 0, err
    assert shown.splitlines()[0].split(" ")[1] == "done:"
    assert "Evidence:" in shown
    assert (
        "  visits[0] on agency: 2 rows, 0 files: rows deleted; "
        "2026-11-25T09:30:00+00:00 by cli-test" in shown
    )
    assert "mary" not in shown.lower()


def test_era_bad_input_is_one_line_exit_2_and_changes_nothing(site: Operational) -> None:
    ref, _dpo = _request()
    before = _counts()

    code, _out, err = dataward("erasure", "plan", ORG, ref)
    assert code == 2
    assert "[erasure_no_ground]" in err
    code, _out, err = dataward("erasure", "ground", ORG, ref, "because")
    assert code == 2
    assert "[erasure_invalid]" in err
    assert _counts() == before
    dataward("erasure", "ground", ORG, ref, "no_longer_necessary")
    dataward("erasure", "plan", ORG, ref)
    planned = _counts()
    code, _out, err = dataward("erasure", "approve", ORG, ref, "--actor", "cli")
    assert code == 2
    assert "[request_approval_required]" in err
    code, _out, err = dataward("erasure", "show", ORG, "q_nope")
    assert code == 2
    assert "[request_not_found]" in err
    assert _counts() == planned
