"""Files that go while their rows stay (RULES: RET-01, RET-03): JTR's new occupier evidence,
whose retention empties its path (``retention: set_null``) instead of deleting the row. The
file goes after the row commits, as a deleted row's does, and a batch resumed after a crash
counts the row it had already emptied and deletes its file. Today is 25 November 2026:
evidence 1 (assessed Monday 23rd) is due, evidence 2 (Tuesday 24th) not yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from retention_site import Site, build_site, finish, give_files, store
from sqlalchemy import create_engine, select, text

from dataward.retention import run as run_module
from dataward.retention.models import RetentionBatch, RetentionEvidence
from dataward.uow import UnitOfWork

TABLE = "new_occupier_evidence"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """The small agency with each evidence's scan in its files folder."""
    built = build_site(tmp_path, files=True)
    give_files(built, TABLE, suffix="pdf", content=b"scan", keys=(1, 2))
    return built


def _rows(site: Site) -> dict[int, tuple[Any, Any]]:
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text(f"SELECT id, file_path, size_bytes FROM {TABLE}"))
            return {int(k): (path, size) for k, path, size in found}
    finally:
        engine.dispose()


def _record(uow: UnitOfWork) -> RetentionEvidence:
    return uow.session.scalars(
        select(RetentionEvidence).where(
            RetentionEvidence.rule == TABLE, RetentionEvidence.table == TABLE
        )
    ).one()


# RULES: RET-01, RET-03 (the file goes, the row stays; counted as rows and files)
def test_it_deletes_the_file_and_keeps_the_row_with_its_path_emptied(
    uow: UnitOfWork, site: Site
) -> None:
    assert site.files is not None
    store(uow, site)
    finish(uow, site.env)
    assert _rows(site) == {1: (None, None), 2: (f"{TABLE}/2.pdf", 4)}
    assert not (site.files / TABLE / "1.pdf").exists()
    assert (site.files / TABLE / "2.pdf").exists()
    found = _record(uow)
    assert (found.status, found.rows, found.files, found.resumed) == ("done", 1, 1, False)


# RULES: RET-03 (resumable: killed after the source committed, before dataward did)
def test_a_run_killed_after_emptying_the_paths_resumes_and_deletes_the_files(
    uow: UnitOfWork, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert site.files is not None
    store(uow, site)
    real = run_module.after_source_commit
    crashed: list[int] = []

    def crash(opened: Any, pending: RetentionBatch, acted: Any) -> int:
        record = uow.session.get(RetentionEvidence, pending.evidence_id)
        assert record is not None
        if not crashed and record.table == TABLE:
            crashed.append(1)
            raise RuntimeError("killed")
        return real(opened, pending, acted)

    monkeypatch.setattr(run_module, "after_source_commit", crash)
    with pytest.raises(RuntimeError):
        finish(uow, site.env)
    uow.rollback()
    assert crashed
    # The source committed: the path is empty, the file still there.
    assert _rows(site)[1] == (None, None)
    assert (site.files / TABLE / "1.pdf").exists()

    finish(uow, site.env)
    assert not (site.files / TABLE / "1.pdf").exists()
    assert (site.files / TABLE / "2.pdf").exists()
    found = _record(uow)
    assert (found.status, found.rows, found.files, found.resumed) == ("done", 1, 1, True)
