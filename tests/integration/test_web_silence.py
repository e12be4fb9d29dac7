"""A register of only the keys it cannot do without, served (issue 13, both backends).

Every page that reads the register shows its silence as silence: no nation, no DPO answer,
no notice version, no cookie answer; nothing fails for a value the register leaves out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import signed_in, web_settings

from dataward.clock import FixedClock
from dataward.db import Base
from dataward.models import import_all_models
from dataward.uow import UnitOfWork
from dataward.web.app import create_app
from dataward.web.loading import load_examples

TINY = """\
dataward: 1
organisation: tiny_org
controller:
  name: Tiny Org
  legal_name: Tiny Org Ltd
"""


@pytest.fixture
def client(database_url: str, clock: FixedClock, tmp_path: Path) -> Iterator[TestClient]:
    import_all_models()
    folder = tmp_path / "registers"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(TINY, encoding="utf-8")
    web: FastAPI = create_app(web_settings(database_url, tmp_path), clock)
    with UnitOfWork(web.state.session_factory, web.state.clock) as uow:
        [outcome] = load_examples(uow, folder)
        uow.commit()
    assert outcome.version == 1
    with signed_in(web, "dpo@tiny.example", "dpo") as test_client:
        test_client.follow_redirects = True
        yield test_client
    with web.state.session_factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    web.state.engine.dispose()


def test_it_shows_the_overview_of_a_silent_register_as_silent(client: TestClient) -> None:
    page = client.get("/orgs/tiny_org")
    assert page.status_code == 200
    assert "no nation stated: deadlines are refused (nation_missing)" in page.text
    assert "none appointed" not in page.text
    assert "the register names no version" in page.text
    assert "England" not in page.text


def test_it_serves_the_notice_of_a_silent_register_with_no_claim(client: TestClient) -> None:
    for path in ("/orgs/tiny_org/notice", "/orgs/tiny_org/notice.html"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Not stated in this notice." in page.text
        for claim in ("one month", "Located in", "We have not appointed", "We do not share"):
            assert claim not in page.text, (path, claim)


def test_it_exports_and_lints_a_silent_register(client: TestClient) -> None:
    assert client.get("/orgs/tiny_org/ropa.xlsx").status_code == 200
    findings = client.get("/api/v1/organisations/tiny_org/lint").json()["findings"]
    assert "DW040" in {f["rule_id"] for f in findings}


def test_it_says_the_register_does_not_say_whether_cookies_are_used(client: TestClient) -> None:
    # RULES: MKT-05 (silence is not "no cookies")
    page = client.get("/orgs/tiny_org/cookies")
    assert page.status_code == 200
    assert "does not say whether its sites use cookies" in page.text
    assert "says its sites use no cookies" not in page.text
