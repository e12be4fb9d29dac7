"""``dataward access`` (issue 18): queue a package, follow it, download it for a requester
answered by post, expire packages; bad input is one line, exit 2, nothing changed.

The site is the CLI tests' own SQLite (``complaint_cli_support``), clock 2026-11-25 09:30 UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from access_delivery_support import SOURCES_TEXT, ready_package, verified_request
from complaint_cli_support import ORG, dataward, make_site
from sqlalchemy import func, select

from dataward.access.models import AccessPackage
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.publication.sources import store_sources
from dataward.runtime import open_runtime
from dataward.sources.loader import parse_sources


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from make_site(tmp_path, monkeypatch)


def _counts() -> tuple[int, int]:
    with open_runtime() as runtime, runtime.reader() as uow:
        return (
            uow.session.scalar(select(func.count()).select_from(AccessPackage)) or 0,
            uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _verified(*, sources: bool = True) -> str:
    with open_runtime() as runtime, runtime.uow() as uow:
        if sources:
            parsed = parse_sources(SOURCES_TEXT, "sources.yaml")
            store_sources(uow, parsed, organisation=ORG, actor="test")
        row, _ = verified_request(uow)
        uow.commit()
        return row.ref


def test_build_queues_the_package_and_status_follows_it(site: Path) -> None:
    ref = _verified()
    code, out, err = dataward("access", "build", ORG, ref)
    assert code == 0, err
    assert out.startswith(f"{ref}: access package ")
    assert out.strip().endswith("queued (sources v1); `dataward worker` builds it")
    code, out, _ = dataward("access", "status", ORG, ref)
    assert code == 0
    assert "queued; 0 rows, 0 files (sources v1)" in out
    assert "downloaded 0 times by the requester" in out
    before = _counts()
    code, _, err = dataward("access", "build", ORG, ref)
    assert code == 2
    assert "package_exists" in err
    assert _counts() == before


def test_bad_input_is_one_line_exit_2_and_changes_nothing(site: Path) -> None:
    ref = _verified(sources=False)
    before = _counts()
    for args, error in (
        (("access", "build", ORG, ref), "sources_not_found"),
        (("access", "build", ORG, "q_none"), "request_not_found"),
        (("access", "status", ORG, ref), "package_not_found"),
        (("access", "download", ORG, ref, "--to", str(site / "x.zip")), "package_not_found"),
    ):
        code, out, err = dataward(*args)
        assert code == 2, args
        assert error in err, (args, err)
        assert len(err.strip().splitlines()) == 1
        assert out == ""
    assert _counts() == before
    assert not (site / "x.zip").exists()


def test_download_writes_the_zip_for_a_requester_answered_by_post(site: Path) -> None:
    with open_runtime() as runtime, runtime.uow() as uow:
        ready = ready_package(uow, by_post=True)
    target = site / "out" / "data.zip"
    target.parent.mkdir()
    code, out, err = dataward("access", "download", ORG, ready.row.ref, "--to", str(target))
    assert code == 0, err
    assert out.strip() == f"{ready.row.ref}: {len(ready.zip_bytes)} bytes written to {target}"
    assert target.read_bytes() == ready.zip_bytes
    assert not target.with_name("data.zip.partial").exists()
    # Never over a file that exists.
    code, _, err = dataward("access", "download", ORG, ready.row.ref, "--to", str(target))
    assert code == 2
    assert "exists already" in err
    with open_runtime() as runtime, runtime.reader() as uow:
        by = list(
            uow.session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "access.package_downloaded")
            )
        )
    assert [d["by"] for d in by] == ["staff"]


def test_expire_deletes_packages_past_their_date(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_runtime() as runtime, runtime.uow() as uow:
        ready = ready_package(uow)
    code, out, _ = dataward("access", "expire")
    assert (code, out.strip()) == (0, "0 expired packages deleted")
    later = FixedClock(datetime(2026, 12, 25, 9, 30, tzinfo=UTC))
    monkeypatch.setattr("dataward.runtime.SystemClock", lambda: later)
    code, out, _ = dataward("access", "expire")
    assert (code, out.strip()) == (0, "1 expired package deleted")
    code, out, _ = dataward("access", "status", ORG, ready.row.ref)
    assert f"package {ready.package.id} deleted;" in out
    assert "deleted 25 December 2026, 09:30 GMT" in out


def test_build_sends_a_portability_package_to_another_controller(site: Path) -> None:
    """POR-01, Art 20(2): --send-to and --send-to-email record where it goes (sealed)."""
    with open_runtime() as runtime, runtime.uow() as uow:
        parsed = parse_sources(SOURCES_TEXT, "sources.yaml")
        store_sources(uow, parsed, organisation=ORG, actor="test")
        row, _ = verified_request(uow, rights=("portability",))
        uow.commit()
        ref = row.ref
    before = _counts()
    for args, error in (
        (("--send-to", "Example Energy Ltd"), "give both --send-to and --send-to-email"),
        (("--send-to", "Example Energy Ltd", "--send-to-email", "energy"), "not an email"),
    ):
        code, out, err = dataward("access", "build", ORG, ref, "--kind", "portability", *args)
        assert code == 2, args
        assert "portability_destination_invalid" in err
        assert error in err
        assert len(err.strip().splitlines()) == 1
        assert out == ""
    assert _counts() == before
    code, out, err = dataward(
        "access",
        "build",
        ORG,
        ref,
        "--kind",
        "portability",
        "--send-to",
        "Example Energy Ltd",
        "--send-to-email",
        "data.moves@example-energy.co.uk",
    )
    assert code == 0, err
    assert out.strip().endswith("then emails its link to the organisation given")
    assert "example-energy" not in out
    with open_runtime() as runtime, runtime.reader() as uow:
        from dataward.access.controller_transfer import destination_of
        from dataward.requests.service import get_request

        found = destination_of(uow, get_request(uow, ORG, ref))
        assert found is not None
        assert (found.name, found.email) == (
            "Example Energy Ltd",
            "data.moves@example-energy.co.uk",
        )
