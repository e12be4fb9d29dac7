"""The API's OpenAPI document and its /docs page, served from the package (issue 14, items 8
and 10).

The document FastAPI derives from the routes is completed from each route's ``Access``
rule, so it cannot drift from what the API does: a bearer scheme on every API operation
(Swagger UI's Authorize button), and the problem+json answers the edge gives before a route
runs (401/403/429 for a token, 400/413/422 for a body, 422 for parameters, 404 for a path).

Swagger UI's script and styles come from the ``fastapi-offline`` package and its start-up
code from our own static file, so /docs works offline, tells no third party who reads it,
and runs under the site's content security policy plus ``script-src 'self'`` and
``connect-src 'self'`` (for the document and "Try it out") — no inline script.
"""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

from dataward.errors import ConfigurationError
from dataward.web.auth import PUBLIC, app_routes, rule_of
from dataward.web.schemas import Problem, problem_response
from dataward.web.security import CONTENT_SECURITY_POLICY

BEARER = "bearerAuth"
ASSETS_URL = "/docs/assets"
# The package keeps Swagger UI's distribution (Apache-2.0) beside its own module.
SWAGGER_DIR = Path(str(files("fastapi_offline") / "static"))
DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
)
_BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "An API token from the console (Console → API tokens), sent as "
        "`Authorization: Bearer dw_...`. Each operation names the scope it needs; a token "
        "without it gets 403 `scope_missing`. A signed-in console session may also read "
        "(GET) from a browser; changes always need a token."
    ),
}
# FastAPI's own 422 shape, which our error handlers never send (they answer problem+json).
_FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_api_docs(app: FastAPI) -> None:
    """The completed OpenAPI document at /openapi.json and Swagger UI at /docs.

    The app must be built with ``docs_url=None, redoc_url=None`` (ReDoc is not served: one
    reader of the document is enough, and it would need a script of its own).
    """
    if app.docs_url or app.redoc_url:
        # FastAPI's own pages load Swagger UI and ReDoc from a CDN, outside the policy.
        raise ConfigurationError("build the app with docs_url=None and redoc_url=None")
    derive = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(derive(), app)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
    app.mount(ASSETS_URL, StaticFiles(directory=SWAGGER_DIR), name="swagger_assets")
    app.add_api_route(
        "/docs",
        docs_page,
        methods=["GET"],
        name="api_docs",
        response_class=HTMLResponse,
        include_in_schema=False,
        dependencies=[PUBLIC],
    )


def docs_page(request: Request) -> HTMLResponse:
    """Swagger UI on the API's document; every asset from this server."""
    root = request.scope.get("root_path", "")
    openapi_url = f"{root}{request.app.openapi_url}"
    page = _DOCS_HTML.format(
        title=escape(f"{request.app.title} API"),
        assets=escape(f"{root}{ASSETS_URL}"),
        static=escape(f"{root}/static"),
        openapi_url=escape(openapi_url),
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_POLICY})


_DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{static}/swagger-init.js"></script>
</body>
</html>
"""


def complete_document(derived: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """``derived`` with the bearer scheme and the edge's problem answers on each operation."""
    document = copy.deepcopy(derived)
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = _BEARER_SCHEME
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for info in app_routes(app):
        route = info.route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = paths.get(info.path, {}).get(method.lower())
            if operation is not None:
                _complete_operation(operation, route)
    # Drop FastAPI's validation shapes once no answer refers to them.
    text = json.dumps(paths)
    for name in _FASTAPI_ERROR_SCHEMAS:
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)
    return document


def _complete_operation(operation: dict[str, Any], route: APIRoute) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    rule = rule_of(route)
    if rule is not None and rule.kind == "api" and rule.permission is not None:
        operation["security"] = [{BEARER: [rule.permission.value]}]
        scope_note = f"Needs a token with the `{rule.permission.value}` scope."
        description = operation.get("description", "")
        if scope_note not in description:
            operation["description"] = f"{description}\n\n{scope_note}".strip()
        statuses |= {401, 403, 429}
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if parameters:
        statuses.add(422)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    for status in sorted(statuses):
        given = responses.get(str(status), {})
        answer = problem_response(status)
        # A route's own wording stays; FastAPI's generic "Validation Error" does not.
        if given.get("description") and given["description"] != "Validation Error":
            answer["description"] = given["description"]
        responses[str(status)] = answer
    operation["responses"] = dict(sorted(responses.items()))
