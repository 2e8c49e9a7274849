"""The one mapping from errors to HTTP answers: JSON bodies with status_code and detail."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from domain.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Overloaded,
    PreconditionFailed,
    TooLarge,
    TooMany,
    TransitionNotAllowed,
    Unauthenticated,
    Unprocessable,
)

_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    AlreadyExists: 409,
    Conflict: 409,
    TransitionNotAllowed: 409,
    PreconditionFailed: 412,
    TooLarge: 413,
    Unprocessable: 422,
    TooMany: 429,
    Overloaded: 503,
}

log = structlog.get_logger("signalhub.http")


def error_response(
    status_code: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": status_code, "detail": detail, **extra}
    return Response(body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def domain_error_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, DomainError)
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, InvalidInput):
        extra["field"] = exc.field
    if isinstance(exc, AlreadyExists):
        extra["existing_id"] = exc.existing_id
    if isinstance(exc, TransitionNotAllowed):
        extra["status"] = exc.current_status
    if isinstance(exc, PreconditionFailed):
        extra["revision"] = exc.current_revision
        headers["ETag"] = f'"{exc.current_revision}"'
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status, exc.detail, headers or None, **extra)


def http_exception_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    extra: dict[str, Any] = {}
    detail = exc.detail
    if isinstance(exc, ValidationException):
        status = 400
        # Litestar puts the failing parameter/field in extra: name it in the detail.
        if isinstance(exc.extra, list) and exc.extra:
            first = exc.extra[0]
            if isinstance(first, dict):
                field = first.get("key") or first.get("field") or ""
                message = first.get("message") or detail
                if field:
                    extra["field"] = str(field)
                    detail = f"{field}: {message}"
                else:
                    detail = str(message)
    else:
        status = exc.status_code
    return error_response(status, detail, dict(exc.headers or {}) or None, **extra)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The route template, never the raw path: a path may hold a credential (SPEC §11).
    route = request.scope.get("path_template") or "unmatched"
    log.error("unhandled_error", route=route, exc_info=exc)
    return error_response(500, "internal server error")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_exception_handler,
    Exception: unexpected_error_handler,
}


class ErrorBody(msgspec.Struct):
    """The shape of every error answer."""

    status_code: int
    detail: str
    field: str | None = None
    existing_id: str | None = None
    status: str | None = None  # 409 of a transition: the signal's current status
    revision: int | None = None  # 412: the signal's current revision


_DESCRIPTIONS = {
    400: "Invalid input; `field` names the problem",
    401: "Missing, unknown or revoked credentials",
    403: "Belongs to another user",
    404: "Not found",
    409: "Duplicate; `existing_id` names the stored one",
    412: "If-Match names another revision; `revision` (and ETag) give the current one",
    413: "Request body too large",
    422: "Cannot be done (e.g. the render is larger than MEDIA_MAX_BYTES)",
    429: "Too many at once (e.g. more than STREAM_MAX_PER_USER open streams)",
    503: "Unavailable or overloaded (see Retry-After)",
}


def error_responses(
    *codes: int, described: dict[int, str] | None = None
) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of the error answers a route can give (`described`: a route's own
    description of a code)."""
    return {
        code: ResponseSpec(
            data_container=ErrorBody,
            description=(described or {}).get(code) or _DESCRIPTIONS.get(code, "Error"),
            generate_examples=False,
        )
        for code in codes
    }
