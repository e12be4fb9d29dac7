"""/docs and /openapi.json: served from the package under the site's policy, and a document
that says what the API does (issue 14, items 8 and 10)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_support import add_person, add_user, api_token, console_app

from dataward.consent.cookies import _KEYS as COOKIE_CHOICE_KEYS
from dataward.crypto.keystore import Vault
from dataward.subjects.identities import IdentityKind
from dataward.uow import UnitOfWork
from dataward.web.auth import app_routes, rule_of
from dataward.web.security import CONTENT_SECURITY_POLICY

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    built = console_app(database_url, clock, vault)
    yield built
    built.state.engine.dispose()


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    reply = TestClient(app).get("/openapi.json")
    assert reply.status_code == 200
    found: dict[str, Any] = reply.json()
    return found


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_it_serves_docs_from_this_server_only(app: FastAPI) -> None:
    """issue 14, item 10: /docs loaded Swagger UI from a CDN; every asset is ours now."""
    client = TestClient(app)
    page = client.get("/docs")

    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assets = [tag.get("src") or tag.get("href") for tag in soup.find_all(["script", "link"])]
    assert len(assets) == 3
    for asset in assets:
        assert isinstance(asset, str)
        assert asset.startswith("/")
        assert not asset.startswith("//")
        assert client.get(asset).status_code == 200, asset
    assert "http" not in page.text.lower()
    # No inline script: the start-up code is a static file.
    assert all(tag.get("src") for tag in soup.find_all("script"))
    assert soup.find(id="swagger-ui")["data-openapi-url"] == "/openapi.json"  # type: ignore[index]


def test_it_keeps_the_site_policy_on_docs(app: FastAPI) -> None:
    """issue 14, item 10: /docs had no content security policy at all."""
    policy = TestClient(app).get("/docs").headers["content-security-policy"]

    assert policy.startswith("default-src 'none'; script-src 'self'; connect-src 'self';")
    assert policy.endswith(CONTENT_SECURITY_POLICY.removeprefix("default-src 'none';"))
    assert "unsafe" not in policy


def test_it_serves_neither_redoc_nor_an_oauth_redirect(app: FastAPI) -> None:
    """issue 14, item 10: ReDoc also came from a CDN; the API has no OAuth flow to finish."""
    client = TestClient(app)

    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404


def test_it_declares_the_bearer_scheme_on_every_api_operation(
    app: FastAPI, document: dict[str, Any]
) -> None:
    """issue 14, item 8: no security scheme, so /docs had no Authorize button."""
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    rules = {
        (method, info.path): rule_of(info.route)
        for info in app_routes(app)
        if isinstance(info.route, APIRoute) and info.route.include_in_schema
        for method in info.route.methods
    }
    seen = 0
    for method, path, operation in _operations(document):
        rule = rules[(method, path)]
        assert rule is not None
        if rule.kind == "api":
            assert rule.permission is not None
            assert operation["security"] == [{"bearerAuth": [rule.permission.value]}]
            assert rule.permission.value in operation["description"]
            for status in ("401", "403"):
                assert status in operation["responses"], (method, path, status)
            seen += 1
        else:
            assert "security" not in operation, (method, path)
    assert seen >= 8


def test_it_documents_every_error_as_problem_json(document: dict[str, Any]) -> None:
    """issue 14, item 8: errors were documented as application/json, and 400s not at all."""
    for method, path, operation in _operations(document):
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                (media,) = answer["content"].values()
                assert set(answer["content"]) == {"application/problem+json"}
                assert media["schema"] == PROBLEM_REF
                assert media.get("example", {"status": int(status)})["status"] == int(status)
        if "requestBody" in operation:
            for status in ("400", "413", "422"):
                assert status in operation["responses"], (method, path, status)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in operation["responses"], (method, path)
    schemas = document["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    assert "HTTPValidationError" not in schemas


def test_it_documents_the_bodies_routes_read_themselves(document: dict[str, Any]) -> None:
    """issue 14, item 8: the batch and the cookie log read their bodies; say what they take."""
    paths = document["paths"]
    batch = paths["/api/v1/decisions/batch"]["post"]["requestBody"]["content"]
    assert set(batch) == {"application/x-ndjson"}
    choice = paths["/api/v1/cookie-banner/{org}/consents"]["post"]["requestBody"]["content"]
    assert set(choice) == {"application/json"}
    schema = choice["application/json"]["schema"]
    assert set(schema["required"]) == set(schema["properties"]) == set(COOKIE_CHOICE_KEYS)
    assert schema["additionalProperties"] is False


def _min_length(document: dict[str, Any], schema: str, field: str) -> int | None:
    found: int | None = document["components"]["schemas"][schema]["properties"][field].get(
        "minLength"
    )
    return found


def _query_min_length(document: dict[str, Any], path: str, method: str, name: str) -> Any:
    operation = document["paths"][path][method]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == name]
    schema = parameter["schema"]
    options = schema.get("anyOf", [schema])
    return next(o.get("minLength") for o in options if o.get("type") == "string")


def test_it_refuses_empty_strings_in_the_schema_where_the_api_refuses_them(
    app: FastAPI, document: dict[str, Any]
) -> None:
    """issue 14, item 8: the schema allowed "" where every call with it is refused."""
    kinds = document["components"]["schemas"]["IdentityKind"]["enum"]
    assert kinds == [k.value for k in IdentityKind]
    for model in ("IdentityIn", "SubjectSearch"):
        kind = document["components"]["schemas"][model]["properties"]["kind"]
        assert kind["$ref"] == "#/components/schemas/IdentityKind"
    assert _min_length(document, "IdentityIn", "value") == 1
    assert _min_length(document, "SubjectSearch", "value") == 1
    assert _min_length(document, "SubjectIn", "organisation") == 1
    groups = document["components"]["schemas"]["SubjectIn"]["properties"]["groups"]
    assert groups["items"]["minLength"] == 1
    for name in ("organisation", "subject", "purpose"):
        assert _query_min_length(document, "/api/v1/decisions", "get", name) == 1
    for name in ("organisation", "purpose"):
        assert _query_min_length(document, "/api/v1/decisions/batch", "post", name) == 1
    # ...and the API refuses each of them, with a problem naming the field.
    ref = add_person(app)
    token = api_token(
        app, add_user(app, "empty.strings", "admin"), ["subjects:write", "decisions:read"]
    )
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    body = {
        "organisation": "acme_widgets",
        "groups": ["customers"],
        "identities": [{"kind": "email", "value": "someone@example.com"}],
    }
    refused = [
        client.post("/api/v1/subjects", json={**body, "organisation": ""}),
        client.post("/api/v1/subjects", json={**body, "groups": [""]}),
        client.post("/api/v1/subjects", json={**body, "identities": [{"kind": "", "value": "x"}]}),
        client.post(
            "/api/v1/subjects", json={**body, "identities": [{"kind": "email", "value": ""}]}
        ),
    ]
    query = {"organisation": "acme_widgets", "subject": ref, "purpose": "sales"}
    refused += [client.get("/api/v1/decisions", params={**query, k: ""}) for k in query]
    for reply in refused:
        assert reply.status_code == 422, reply.text
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["errors"], reply.text
    assert client.post("/api/v1/subjects", json=body).status_code == 201


def test_it_describes_its_own_document(document: dict[str, Any]) -> None:
    """The /docs page and its assets are not API operations."""
    assert not [p for p in document["paths"] if not re.match(r"^/api/v1/", p)]


def test_it_refuses_nul_in_the_text_it_reads(app: FastAPI, document: dict[str, Any]) -> None:
    """issue 14, "make it stay fixed": the fuzzing test found that a NUL in an organisation,
    a subject ref or a consent ref reached PostgreSQL, which cannot hold one: a 500. The
    schema now says NUL is refused, and the API answers 422 on both backends."""
    ref = add_person(app)
    token = api_token(app, add_user(app, "nul.probe", "admin"), ["subjects:read", "decisions:read"])
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    decide = f"/api/v1/decisions?organisation=acme_widgets&subject={ref}&purpose=sales"
    search = {"organisation": "acme_widgets", "kind": "email", "value": "jane.doe@example.com"}
    replies = [
        client.get(f"/api/v1/subjects/%00/{ref}"),
        client.get("/api/v1/subjects/acme_widgets/%00"),
        client.post("/api/v1/subjects/search", json={**search, "organisation": "\x00"}),
        client.post("/api/v1/decisions/batch?organisation=%00", content=b"{}\n"),
        client.get(decide.replace(ref, "%00")),
        client.get(decide + "&consent=%00"),
    ]
    for reply in replies:
        assert reply.status_code == 422, reply.text
        assert reply.headers["content-type"] == "application/problem+json"
    assert client.get(decide).status_code == 200
    search_schema = document["components"]["schemas"]["SubjectSearch"]["properties"]
    assert search_schema["organisation"]["pattern"] == r"^[^\x00]*$"
