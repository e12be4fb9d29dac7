"""The web edge on a real database (SQLite and PostgreSQL): pages, API, errors, loading."""

from __future__ import annotations

import io
import shutil
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from structlog.testing import capture_logs
from web_support import signed_in, web_settings

from dataward.clock import FixedClock
from dataward.config import get_settings
from dataward.db import Base
from dataward.errors import ConfigurationError
from dataward.models import import_all_models
from dataward.publication.models import RegisterVersion
from dataward.register.coverage import load_fact_sheet, measure_coverage
from dataward.register.lint import lint
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork
from dataward.web import serve
from dataward.web.app import create_app
from dataward.web.loading import load_examples

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "web"
REGISTERS = FIXTURES / "registers"
ACME = REGISTERS / "acme.yaml"
ORG = "acme_widgets"

BROKEN_REGISTER = """\
dataward: 1
organisation: Not An Id
controller:
  name: Broken Ltd
"""


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[FastAPI]:
    import_all_models()
    web = create_app(web_settings(database_url, FIXTURES), clock)
    web.state.analyser.fact_sheets[ORG] = "facts-acme.yaml"
    yield web
    with web.state.session_factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    web.state.engine.dispose()


def _load(web: FastAPI, folder: Path) -> list[Any]:
    with UnitOfWork(web.state.session_factory, web.state.clock) as uow:
        outcomes = load_examples(uow, folder)
        uow.commit()
    return outcomes


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """Signed in as a DPO: the register pages are console pages."""
    _load(app, REGISTERS)
    with signed_in(app, "dpo@acme.example", "dpo") as test_client:
        test_client.follow_redirects = True
        yield test_client


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _versions(web: FastAPI) -> int:
    with web.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(RegisterVersion)) or 0)


# Pages


def test_it_lists_loaded_organisations_on_the_home_page(client: TestClient) -> None:
    response = client.get("/console/registers")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    row = _soup(response.text).find("a", href=f"/orgs/{ORG}")
    assert row is not None
    assert row.get_text(strip=True) == "Acme Widgets"
    text = _soup(response.text).get_text(" ", strip=True)
    assert "version 1 loaded 25 November 2026, 09:30 GMT" in text


def test_it_shows_lint_counts_and_coverage_on_the_home_page(client: TestClient) -> None:
    register = load_register(ACME).register
    errors = sum(1 for f in lint(register) if f.severity == "error")
    facts = load_fact_sheet(FIXTURES / "notices" / "facts-acme.yaml")
    report = measure_coverage(register, facts)

    text = _soup(client.get("/console/registers").text).get_text(" ", strip=True)

    assert f"{errors} error" in text
    assert f"{report.covered} of {report.total} facts" in text
    assert report.covered < report.total  # the fixture leaves one fact out on purpose


def test_it_shows_the_organisation_overview(client: TestClient) -> None:
    response = client.get(f"/orgs/{ORG}")

    assert response.status_code == 200
    soup = _soup(response.text)
    assert soup.h1 is not None
    assert soup.h1.get_text(strip=True) == "Acme Widgets"
    assert soup.find("a", href=f"/orgs/{ORG}/ropa.xlsx") is not None
    assert soup.find("a", href=f"/orgs/{ORG}/notice") is not None


def test_it_renders_the_notice_inside_the_layout(client: TestClient) -> None:
    response = client.get(f"/orgs/{ORG}/notice")

    assert response.status_code == 200
    soup = _soup(response.text)
    assert "Acme Widgets Ltd" in soup.get_text()
    assert soup.find("h1", string="Acme Widgets privacy notice") is not None
    assert len(soup.find_all("main")) == 1
    assert soup.find("nav", class_="toc") is not None
    assert soup.find("link", href="/notice.css") is not None


def test_it_serves_the_notice_stylesheet_and_standalone_page(client: TestClient) -> None:
    css = client.get("/notice.css")
    page = client.get(f"/orgs/{ORG}/notice.html")

    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert page.status_code == 200
    assert "Acme Widgets privacy notice" in page.text
    # The standalone page keeps its CSS inline; the policy allows exactly that CSS.
    assert "style-src 'self' 'sha256-" in page.headers["content-security-policy"]


def test_it_shows_every_lint_finding_with_file_and_line(client: TestClient) -> None:
    loaded = load_register(ACME)
    findings = lint(loaded.register)
    assert findings, "the fixture register must have at least one lint finding"

    response = client.get(f"/orgs/{ORG}/lint")

    assert response.status_code == 200
    rows = _soup(response.text).select("table.findings tbody tr")
    assert len(rows) == len(findings)
    text = response.text
    for finding in findings:
        line, _ = loaded.line_of(finding.path)
        assert finding.rule_id in text
        assert f"acme.yaml:{line}" in text
        assert finding.rules_ref in text


def test_it_shows_coverage_per_section_with_problems(client: TestClient) -> None:
    response = client.get(f"/orgs/{ORG}/coverage")

    assert response.status_code == 200
    soup = _soup(response.text)
    sections = [th.get_text(strip=True) for th in soup.select("table.coverage tbody th")]
    assert sections == ["controller", "subject groups", "data", "purposes"]
    assert "data.d2: not expressed by any register element" in soup.get_text()


def test_it_explains_when_no_fact_sheet_is_known(app: FastAPI, client: TestClient) -> None:
    del app.state.analyser.fact_sheets[ORG]
    app.state.analyser.forget()

    response = client.get(f"/orgs/{ORG}/coverage")

    assert response.status_code == 200
    assert "No fact sheet of a reference notice is known" in response.text


def test_it_downloads_the_ropa_as_a_workbook(client: TestClient) -> None:
    response = client.get(f"/orgs/{ORG}/ropa.xlsx")

    assert response.status_code == 200
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="acme_widgets-ropa-v1.xlsx"' in response.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames


def test_it_sets_security_headers_on_pages(client: TestClient) -> None:
    response = client.get("/")

    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


# Errors


@pytest.mark.parametrize(
    "path", ["/orgs/nobody", "/orgs/nobody/notice", "/orgs/nobody/lint", "/orgs/Not%20An%20Id"]
)
def test_it_answers_an_unknown_organisation_with_a_404_page(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    soup = _soup(response.text)
    assert soup.h1 is not None
    assert soup.h1.get_text(strip=True) == "Register not found"
    assert soup.find("a", href="/") is not None


@pytest.mark.parametrize("tail", ["lint", "register"])
def test_it_answers_an_unknown_organisation_with_problem_json(
    client: TestClient, tail: str
) -> None:
    response = client.get(f"/api/v1/organisations/nobody/{tail}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "register_not_found"
    assert body["status"] == 404
    assert body["instance"] == f"/api/v1/organisations/nobody/{tail}"


def test_it_explains_an_unknown_page(client: TestClient) -> None:
    page = client.get("/no/such/page")
    api = client.get("/api/v1/no-such-thing")

    assert page.status_code == 404
    assert "There is no page at this address" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "not_found"


def test_it_hides_unexpected_errors_behind_a_generic_500(app: FastAPI) -> None:
    secret = "jane.doe@example.com"

    def explode() -> None:
        raise RuntimeError(f"lookup failed for {secret}")

    app.add_api_route("/boom", explode)
    app.add_api_route("/api/v1/boom", explode)
    client = TestClient(app, raise_server_exceptions=False)

    with capture_logs() as logs:
        page = client.get("/boom")
        api = client.get("/api/v1/boom")

    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "internal_error"
    for body in (page.text, api.text):
        assert secret not in body
        assert "Traceback" not in body
        assert "RuntimeError" not in body
    errors = [entry for entry in logs if entry["event"] == "web.unexpected_error"]
    assert len(errors) == 2
    assert errors[0]["error"] == "RuntimeError"
    assert secret not in repr(logs)
    assert errors[0]["reference"] in page.text


def test_it_lists_a_stored_version_that_no_longer_loads(app: FastAPI, clock: FixedClock) -> None:
    with app.state.session_factory() as session:
        session.add(
            RegisterVersion(
                organisation="stale_org",
                version=1,
                content_hash="0" * 64,
                source_name="stale.yaml",
                loaded_at=clock.now(),
                source_text=BROKEN_REGISTER,
            )
        )
        session.commit()
    client = signed_in(app, "dpo@acme.example", "dpo")

    home = client.get("/console/registers")
    api = client.get("/api/v1/organisations")

    assert home.status_code == 200
    assert "does not load" in home.text
    assert api.status_code == 200
    assert api.json()["organisations"] == []


# API


def test_it_lists_organisations_as_json(client: TestClient, clock: FixedClock) -> None:
    register = load_register(ACME).register
    findings = lint(register)

    response = client.get("/api/v1/organisations")

    assert response.status_code == 200
    [summary] = response.json()["organisations"]
    assert summary["organisation"] == ORG
    assert summary["name"] == "Acme Widgets"
    assert summary["version"] == 1
    assert datetime.fromisoformat(summary["loaded_at"]) == clock.now()
    assert sum(summary["lint"].values()) == len(findings)
    assert summary["coverage"]["total"] == 6
    assert summary["links"]["notice"] == f"/orgs/{ORG}/notice"


def test_it_gives_lint_findings_as_json(client: TestClient) -> None:
    loaded = load_register(ACME)
    findings = lint(loaded.register)

    body = client.get(f"/api/v1/organisations/{ORG}/lint").json()

    assert body["organisation"] == ORG
    assert len(body["findings"]) == len(findings)
    expected = {(f.rule_id, loaded.line_of(f.path)[0]) for f in findings}
    assert {(f["rule_id"], f["line"]) for f in body["findings"]} == expected
    assert all(f["file"] == "acme.yaml" for f in body["findings"])


def test_it_gives_the_register_as_json(client: TestClient) -> None:
    body = client.get(f"/api/v1/organisations/{ORG}/register").json()

    assert body["version"] == 1
    assert body["register"]["organisation"] == ORG
    assert body["register"]["controller"]["legal_name"] == "Acme Widgets Ltd"


def test_it_reports_health(client: TestClient) -> None:
    response = client.get("/api/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "organisations": 1}


def test_it_documents_the_api_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert "/api/v1/organisations" in paths
    assert "/api/v1/organisations/{org}/lint" in paths
    assert "/orgs/{org}" not in paths


# Loading registers


def test_it_skips_a_register_that_does_not_load_and_loads_the_others(
    app: FastAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-broken.yaml").write_text(BROKEN_REGISTER, encoding="utf-8")
    shutil.copy(ACME, tmp_path / "b-acme.yaml")

    outcomes = _load(app, tmp_path)
    serve.report_outcomes(outcomes, tmp_path)

    broken, acme = outcomes
    assert not broken.loaded
    assert broken.problems
    assert any(p.line == 2 and p.path == "organisation" for p in broken.problems)
    assert acme.loaded
    assert acme.organisation == ORG
    err = capsys.readouterr().err
    assert "Skipped" in err
    assert f"{tmp_path / 'a-broken.yaml'}:2:" in err
    assert "Loaded 1 of 2 registers" in err
    assert signed_in(app, "dpo@acme.example", "dpo").get(f"/orgs/{ORG}").status_code == 200


def test_it_keeps_one_version_when_the_same_register_loads_twice(app: FastAPI) -> None:
    first = _load(app, REGISTERS)
    second = _load(app, REGISTERS)

    assert [o.version for o in first] == [1]
    assert [o.version for o in second] == [1]
    assert _versions(app) == 1


def test_it_stores_a_new_version_when_the_register_changes(app: FastAPI, tmp_path: Path) -> None:
    target = tmp_path / "acme.yaml"
    shutil.copy(ACME, target)
    _load(app, tmp_path)
    target.write_text(ACME.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    [outcome] = _load(app, tmp_path)

    assert outcome.version == 2
    reader = signed_in(app, "dpo@acme.example", "dpo")
    assert reader.get("/api/v1/organisations").json()["organisations"][0]["version"] == 2


def test_it_skips_a_second_file_for_the_same_organisation(app: FastAPI, tmp_path: Path) -> None:
    shutil.copy(ACME, tmp_path / "a.yaml")
    shutil.copy(ACME, tmp_path / "b.yaml")

    first, second = _load(app, tmp_path)

    assert first.loaded
    assert not second.loaded
    assert "already loaded from a.yaml" in second.problems[0].message


# The server runner


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_it_migrates_loads_and_explains_where_to_go_before_serving(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    app: FastAPI,
) -> None:
    import uvicorn

    served: dict[str, Any] = {}

    def fake_run(asgi: FastAPI, **options: Any) -> None:
        served.update(options, app=asgi)

    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    monkeypatch.setenv("DATAWARD_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATAWARD_DEMO_SUBJECTS", "0")
    monkeypatch.setattr(uvicorn, "run", fake_run)
    # Logging set-up binds sys.stderr, which capsys swaps out; keep the test's own.
    monkeypatch.setattr(serve, "configure_logging", lambda level, fmt: served.update(logs=fmt))
    get_settings.cache_clear()
    port = _free_port()
    try:
        serve.run_server(examples=REGISTERS, host="127.0.0.1", port=port)
    finally:
        get_settings.cache_clear()

    out = capsys.readouterr()
    assert f"dataward is running: open http://127.0.0.1:{port}/" in out.out
    assert "A first administrator was created" in out.out
    assert "username: admin" in out.out
    assert "Stop with Ctrl+C" in out.out
    assert "Loaded 1 of 1 registers" in out.err
    assert served["host"] == "127.0.0.1"
    assert served["port"] == port
    assert served["access_log"] is False
    assert "logs" in served
    assert TestClient(served["app"]).get(f"/orgs/{ORG}/notice").status_code == 200
    served["app"].state.engine.dispose()


def test_it_refuses_to_start_on_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve._check_port_free("127.0.0.1", port)


def test_it_warns_when_listening_on_every_interface() -> None:
    text = serve.banner("0.0.0.0", 8000)

    assert "open http://127.0.0.1:8000/" in text
    assert "every network interface" in text
