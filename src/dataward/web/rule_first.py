"""Routes with a body parameter: their Access rule runs before FastAPI reads the body.

FastAPI reads and parses a body parameter before it runs any dependency, the route's rule
included, so an anonymous caller could make the server buffer and parse any body it sends
(issue 14, item 3). A ``RuleFirstRoute`` runs the rule first, then reads the body under the
cap the rule opened (``web.bodies``); FastAPI then finds it read. ``check_body_routes``
refuses to start an app with a body route of another class.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from dataward.errors import ConfigurationError
from dataward.web.auth import app_routes, rule_of


class RuleFirstRoute(APIRoute):
    """A route whose Access rule runs before FastAPI reads its body parameter."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        rule = rule_of(self)

        async def rule_first(request: Request) -> Response:
            if rule is not None:
                await rule(request)
                await request.body()  # under the gate's cap: BodyTooLarge, not FastAPI's 400
            return await handler(request)

        return rule_first


def check_body_routes(app: Any) -> None:
    """Fail closed: a route with a body parameter must be a ``RuleFirstRoute``."""
    early = [
        info.path
        for info in app_routes(app)
        if isinstance(info.route, APIRoute)
        and info.route.body_field is not None
        and not isinstance(info.route, RuleFirstRoute)
    ]
    if early:
        raise ConfigurationError(
            "routes that would read their body before their access rule: "
            + ", ".join(sorted(early)),
            details=["give their router route_class=RuleFirstRoute (dataward.web.rule_first)"],
        )
