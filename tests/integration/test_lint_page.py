"""The lint page: filters in the address, pages of 50, findings per rule folded away.

Issue 15, item 4: the page was 10,000 px long with no filters. Both backends.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import console_app, signed_in

from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.register.lint import lint
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork
from dataward.web.loading import load_examples
from dataward.web.pages import LINT_PAGE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "johnnie-johnson-housing.yaml"
ORG = "johnnie_johnson_housing"
LINT = f"/orgs/{ORG}/lint"


@pytest.fixture
def client(
    database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork, tmp_path: Path
) -> Iterator[TestClient]:
    app: FastAPI = console_app(database_url, clock, vault)
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    with UnitOfWork(app.state.session_factory, clock) as unit:
        load_examples(unit, tmp_path)
        unit.commit()
    yield signed_in(app, "audrey", "auditor")
    app.state.engine.dispose()


def _rows(html: str) -> list[BeautifulSoup]:
    return list(BeautifulSoup(html, "html.parser").select("table.findings tbody tr"))


def _findings() -> list[object]:
    return list(lint(load_register(EXAMPLE).register))


def test_it_pages_the_findings(client: TestClient) -> None:
    """Issue 15, item 4: a long list comes in pages, each linking to the next."""
    total = len(_findings())
    pages = -(-total // LINT_PAGE)
    assert pages > 2, "the example must need more than two pages"

    first = client.get(LINT)
    second = client.get(LINT, params={"page": 2})
    last = client.get(LINT, params={"page": pages})

    assert first.status_code == second.status_code == 200
    assert len(_rows(first.text)) == len(_rows(second.text)) == LINT_PAGE
    assert len(_rows(last.text)) == total - (pages - 1) * LINT_PAGE
    assert f"Showing 1–{LINT_PAGE} of {total} findings; page 1 of {pages}." in first.text
    assert f'href="{LINT}?page=2">Next</a>' in first.text
    assert f'href="{LINT}?page=1">Previous</a>' in second.text
    assert f'href="{LINT}?page=3">Next</a>' in second.text
    assert "<details" in first.text  # findings per rule, folded


def test_it_filters_by_severity_rule_and_section(client: TestClient) -> None:
    """Issue 15, item 4: filters by severity, rule and section of the register."""
    findings = lint(load_register(EXAMPLE).register)
    warnings = sum(1 for f in findings if f.severity == "warning")
    rule, rule_count = Counter(f.rule_id for f in findings).most_common(1)[0]
    in_holds = sum(1 for f in findings if f.path and f.path[0] == "holds")

    by_severity = client.get(LINT, params={"severity": "warning"})
    by_rule = client.get(LINT, params={"rule": rule})
    by_section = client.get(LINT, params={"section": "holds"})
    nothing = client.get(LINT, params={"rule": "DW999"})

    assert len(_rows(by_severity.text)) == min(warnings, LINT_PAGE)
    assert all("finding--warning" in str(row) for row in _rows(by_severity.text))
    assert '<option value="warning" selected>' in by_severity.text
    assert len(_rows(by_rule.text)) == min(rule_count, LINT_PAGE)
    assert len(_rows(by_section.text)) == min(in_holds, LINT_PAGE)
    assert '<option value="holds" selected>' in by_section.text
    assert f"of {len(findings)} in all" in by_section.text
    assert "No finding matches these filters." in nothing.text


def test_it_explains_a_bad_severity_and_keeps_the_query(client: TestClient) -> None:
    """Issue 15, item 4: a bad filter is explained on the page, nothing else breaks."""
    response = client.get(LINT, params={"severity": "fatal", "section": "holds"})

    assert response.status_code == 422
    assert "Severity must be one of: error, warning, info." in response.text
    assert '<option value="holds" selected>' in response.text
    assert not _rows(response.text)


def test_a_page_beyond_the_end_shows_the_last(client: TestClient) -> None:
    """Issue 15, item 4: an old link to a page that no longer exists still shows findings."""
    response = client.get(LINT, params={"page": 99})

    assert response.status_code == 200
    assert _rows(response.text)
