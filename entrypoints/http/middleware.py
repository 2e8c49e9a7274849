"""Outermost ASGI layer: request id, one access log line per request, HTTP metrics.

It wraps the whole Litestar app, so it sees every response, including 404s for unknown routes.
Paths under a secret prefix (the TradingView hook: its token is in the URL; share links under
/m/) are logged as their route template, never as sent; no query string is ever logged (a
share link's signature is in it); the `route` label is always a template or "unmatched".
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from typing import Any

import structlog

from adapters.telemetry.metrics import Metrics

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = structlog.get_logger("signalhub.access")

Scope = dict[str, Any]


class RequestContextMiddleware:
    def __init__(self, app: Any, metrics: Metrics, secret_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self._secret_prefixes = secret_prefixes
        # Labelled children, looked up once per label set instead of .labels() per request.
        self._counted: dict[tuple[str, str, int], Any] = {}
        self._timed: dict[tuple[str, str], Any] = {}
        # A new request id is 32 hex digits: 16 random ones drawn once per process (each worker
        # builds its own middleware) and a counter; unique, without a urandom call per request.
        self._id_prefix = uuid.uuid4().hex[:16]
        self._id_counter = itertools.count(1)
        # The logger itself, not structlog's lazy proxy, which looks it up again on every call
        # (≈ 0.8 µs a request). Made here, after the entry point configured logging; the
        # same logger the proxy would have cached on first use.
        self._access_log = access_log.bind()

    def _new_request_id(self) -> str:
        return f"{self._id_prefix}{next(self._id_counter):016x}"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else None
        request_id = request_id or self._new_request_id()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # ASGI header names are lower-case bytes (Litestar lowers them): no .lower().
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "")
            self._count(method, route, status, elapsed)
            self._access_log.info(
                "request",
                method=method,
                path=self._loggable_path(scope.get("path", ""), route),
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                client=(scope.get("client") or ("", 0))[0],
            )
            structlog.contextvars.clear_contextvars()

    def _loggable_path(self, path: str, route: str) -> str:
        for prefix in self._secret_prefixes:
            if path.startswith(prefix):
                return route if route.startswith(prefix) else prefix + "{redacted}"
        return path

    def _count(self, method: str, route: str, status: int, elapsed: float) -> None:
        counted = self._counted.get((method, route, status))
        if counted is None:
            counted = self.metrics.http_requests.labels(
                method=method, route=route, status=str(status)
            )
            self._counted[(method, route, status)] = counted
        counted.inc()
        timed = self._timed.get((method, route))
        if timed is None:
            timed = self.metrics.http_request_seconds.labels(method=method, route=route)
            self._timed[(method, route)] = timed
        timed.observe(elapsed)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            try:
                return str(value.decode("ascii"))
            except UnicodeDecodeError:
                return None
    return None
