"""Stored sources versions on the real database (SQLite and PostgreSQL): numbering, dedupe,
audit, the version evidence cites, and `dataward sources load`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from dataward.audit.models import AuditEvent
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.errors import RegisterNotFound, ValidationFailed
from dataward.publication.audit_actions import SOURCES_LOADED
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.sources.errors import SourcesNotFound
from dataward.sources.loader import LoadedSources, parse_sources
from dataward.sources.versions import (
    SourcesVersion,
    current_sources,
    list_sources_versions,
    sources_version,
)
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "fixtures" / "sources" / "jtr.yaml"
GOOD_TEXT = GOOD.read_text(encoding="utf-8")
ORG = "jtr_collections"
STARTED = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def loaded(text: str = GOOD_TEXT) -> LoadedSources:
    return parse_sources(text, "sources/jtr.yaml")


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def audit_rows(uow: UnitOfWork) -> list[AuditEvent]:
    return list(
        uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == SOURCES_LOADED).order_by(AuditEvent.id)
        )
    )


def test_it_stores_a_new_version_only_when_the_text_changes(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    assert clock.now() == STARTED
    first = store_sources(uow, loaded(), organisation=ORG, actor="dpo@jtr.example")
    uow.commit()
    again = store_sources(uow, loaded(), organisation=ORG, actor="dpo@jtr.example")
    uow.commit()
    clock.advance(timedelta(days=2))
    changed_text = GOOD_TEXT.replace("JTR_OPS_URL", "JTR_OPS_READONLY_URL")
    second = store_sources(uow, loaded(changed_text), organisation=ORG)
    uow.commit()
    uow.session.expire_all()

    assert (first.new, again.new, second.new) == (True, False, True)
    assert again.version.id == first.version.id
    versions = list_sources_versions(uow, ORG)
    assert [v.version for v in versions] == [2, 1]
    newest, oldest = versions
    assert oldest.source_text == GOOD_TEXT
    assert oldest.content_hash == hashlib.sha256(GOOD_TEXT.encode("utf-8")).hexdigest()
    assert as_utc(oldest.loaded_at) == STARTED
    assert as_utc(newest.loaded_at) == STARTED + timedelta(days=2)
    assert oldest.loaded_by == "dpo@jtr.example"
    assert newest.source_name == "sources/jtr.yaml"
    assert current_sources(uow, ORG).version == 2
    # Evidence cites a version: the old one is still there, parsed as it was.
    cited = sources_version(uow, ORG, 1).parsed().sources
    assert cited.connections["ops"].url_from == "JTR_OPS_URL"
    rows = audit_rows(uow)
    assert [(r.entity_type, r.entity_id, r.actor) for r in rows] == [
        ("sources", f"{ORG}:1", "dpo@jtr.example"),
        ("sources", f"{ORG}:2", "system"),
    ]
    assert rows[1].details == {"organisation": ORG, "version": 2}


def test_versions_are_per_organisation_and_missing_ones_are_not_found(uow: UnitOfWork) -> None:
    store_sources(uow, loaded(), organisation=ORG)
    store_sources(uow, loaded(), organisation="other_org")
    uow.commit()

    assert current_sources(uow, "other_org").version == 1
    assert current_sources(uow, ORG).version == 1
    with pytest.raises(SourcesNotFound):
        current_sources(uow, "nobody")
    with pytest.raises(SourcesNotFound):
        sources_version(uow, ORG, 2)


def test_a_rolled_back_store_leaves_nothing(uow: UnitOfWork) -> None:
    store_sources(uow, loaded(), organisation=ORG)
    uow.rollback()

    assert uow.session.scalar(select(func.count()).select_from(SourcesVersion)) == 0
    assert audit_rows(uow) == []


def invoke(args: list[str]) -> Result:
    logging = structlog.get_config()
    try:
        return CliRunner().invoke(app, args)
    finally:
        # The command points the logs at the runner's stderr, which is closed afterwards.
        structlog.configure(**logging)


def test_sources_load_checks_against_the_stored_register_and_stores_once(
    uow: UnitOfWork, tmp_path: Path, database_url: str
) -> None:
    args = ["sources", "load", str(GOOD), "--organisation", ORG, "--url", database_url]

    before_register = invoke(args)
    assert isinstance(before_register.exception, RegisterNotFound)  # main() prints it, exit 2
    assert before_register.exception.exit_code == 2

    store_register(uow, load_register(ROOT / "examples" / "jtr-collections.yaml"))
    uow.commit()
    stored = invoke(args)
    again = invoke(args)
    wrong_org = invoke([*args[:3], "--organisation", "acme", "--url", database_url])
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD_TEXT.replace("case_returned:", "case_closed:"), encoding="utf-8")
    invalid = invoke(["sources", "load", str(bad), "--org", ORG, "--url", database_url])

    assert stored.exit_code == 0, stored.output
    assert f"{ORG}: stored sources version 1" in stored.output
    assert "portal_accounts: searched by hand" in stored.output
    assert again.exit_code == 0
    assert "unchanged; sources version 1" in again.output
    assert isinstance(wrong_org.exception, ValidationFailed)
    assert "is the sources file of 'jtr_collections', not 'acme'" in wrong_org.exception.message
    assert invalid.exit_code == 2
    assert f"{bad}:33:16: datasets.cases[0].events.case_closed: the register has no event" in (
        invalid.output
    )
    uow.session.expire_all()
    assert [v.version for v in list_sources_versions(uow, ORG)] == [1]


def test_sources_load_refuses_a_files_binding_keyed_by_a_column_files_lack(
    uow: UnitOfWork, tmp_path: Path, database_url: str
) -> None:
    """Issue 19: found at load, at its line, before anything is stored or audited."""
    store_register(uow, load_register(ROOT / "examples" / "jtr-collections.yaml"))
    uow.commit()
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD_TEXT.replace("      key: path\n", "      key: name\n"), encoding="utf-8")

    refused = invoke(["sources", "load", str(bad), "--org", ORG, "--url", database_url])

    assert refused.exit_code == 2
    assert refused.output.splitlines() == [
        f"{bad}:40:12: datasets.call_recordings[0].key: a files binding's key must be path, "
        "not 'name': a file's row holds path and size; only its path tells one file from "
        "another",
        f"{bad}: invalid; nothing was stored",
    ]
    uow.session.expire_all()
    assert list_sources_versions(uow, ORG) == []
    assert audit_rows(uow) == []


def test_a_stored_version_is_parsed_once_and_a_new_text_is_parsed_anew(uow: UnitOfWork) -> None:
    store_sources(uow, loaded(), organisation=ORG)
    uow.commit()
    first = sources_version(uow, ORG, 1).parsed()
    uow.session.expire_all()

    # A stored text never changes: the second reader shares the first one's (frozen) parse.
    assert sources_version(uow, ORG, 1).parsed() is first
    changed_text = GOOD_TEXT.replace("JTR_OPS_URL", "JTR_OPS_READONLY_URL")
    store_sources(uow, loaded(changed_text), organisation=ORG)
    uow.commit()
    second = sources_version(uow, ORG, 2).parsed()
    assert second is not first
    assert second.sources.connections["ops"].url_from == "JTR_OPS_READONLY_URL"
    assert first.sources.connections["ops"].url_from == "JTR_OPS_URL"
