"""An OPTIONS answer whose `Allow` lists every method of its path.

Litestar 2 builds a path's default OPTIONS handler when the path's first handler is
registered and keeps it when more handlers join the path, so on a path with GET and POST its
`Allow` names only the first (litestar-org/litestar#4169, fixed only in v3). A controller with
several methods on one path declares `allow_options("/")` there instead: the methods come from
the app's route table at request time, so they cannot drift from the handlers.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute


def allow_options(path: str) -> HTTPRouteHandler:
    """A controller's OPTIONS handler for `path` (bound like a method: `controller` is unused)."""

    @route(path, http_method=HttpMethod.OPTIONS, include_in_schema=False, status_code=204)
    async def options(controller: object, request: Request[Any, Any, Any]) -> Response[None]:
        template = request.scope.get("path_template")
        methods = {
            method
            for r in request.app.routes
            if isinstance(r, HTTPRoute) and r.path_format == template
            for method in r.methods
        }
        return Response(None, status_code=204, headers={"Allow": ", ".join(sorted(methods))})

    return options
