"""Bearer-token authentication for client endpoints: a dependency named `caller`."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Components, SecurityScheme

from application.accounts.use_cases import AuthenticateToken
from domain.identity import Caller

BEARER_SCHEME = "BearerToken"
SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
SECURITY_COMPONENTS = Components(
    security_schemes={
        BEARER_SCHEME: SecurityScheme(type="http", scheme="bearer", description="API token")
    }
)


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def provide_caller(
    request: Request[Any, Any, Any], authenticate: NamedDependency[AuthenticateToken]
) -> Caller:
    return await authenticate(bearer_token(request))


CALLER_DEPENDENCY = Provide(provide_caller)
