"""The seams around the workers: the core and ``jobs/`` name no domain, and the wiring at the
edge (``dataward.workers``) hands every worker each domain's jobs.

Imports are read from the source, including those inside functions and under
``TYPE_CHECKING``: a cycle dodged with a late import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dataward.jobs.worker import DomainJobs
from dataward.notify.service import CAMPAIGN_JOB
from dataward.outbox.config import MailSettings
from dataward.outbox.service import SEND_JOB
from dataward.workers import domain_jobs

SRC = Path(__file__).resolve().parents[2] / "src" / "dataward"
CORE = {"config", "db", "uow", "errors", "clock", "logging", "migrate", "scratch"}


def _dataward_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "dataward" or name.startswith("dataward.")}


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_imports_only_the_core(module: str) -> None:
    imported = _dataward_imports(SRC / f"{module}.py")
    assert {name.split(".")[1] for name in imported} <= CORE, imported


@pytest.mark.parametrize("path", sorted((SRC / "jobs").glob("*.py")), ids=lambda p: p.name)
def test_jobs_import_no_domain_but_the_audit_chain(path: Path) -> None:
    # Every state change writes the audit chain, a failed job's retry or park included.
    allowed = {f"dataward.{module}" for module in CORE} | {"dataward.audit.service"}
    imported = {name for name in _dataward_imports(path) if not name.startswith("dataward.jobs")}
    assert imported <= allowed, imported


def test_every_domains_jobs_reach_the_worker_once(tmp_path: Path) -> None:
    mail = MailSettings(_env_file=None, mail_sender="eml", eml_dir=tmp_path)  # type: ignore[call-arg]
    domains = domain_jobs(mail)
    assert all(isinstance(domain, DomainJobs) for domain in domains)
    kinds = [kind for domain in domains for kind in domain.handlers]
    # Two domains handling one kind would silently lose one handler.
    assert sorted(kinds) == sorted({SEND_JOB, CAMPAIGN_JOB})
    assert sum(len(domain.sweeps) for domain in domains) == 1
