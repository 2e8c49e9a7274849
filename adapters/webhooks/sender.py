"""Sending one delivery attempt with httpx (SPEC §15): pooled connections, 10 s for the whole
attempt, no redirects, at most RESPONSE_READ_BYTES of the answer read.

The SSRF guard sits where the connection is made: every new connection resolves the host,
refuses it when an address is loopback, private, link-local, multicast or otherwise not
global (unless WEBHOOKS_ALLOW_PRIVATE=true), and connects to an address it checked. A host
that changes its DNS answer between the check and the connection (DNS rebinding) cannot
slip through: there is no second lookup. TLS still verifies the certificate for the URL's host.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import httpx

from adapters.webhooks.resolver import SystemResolver
from domain.errors import InvalidInput
from domain.webhooks.model import (
    DELIVERY_TIMEOUT_SECONDS,
    ERROR_MAX_LENGTH,
    RESPONSE_READ_BYTES,
    SendResult,
)
from domain.webhooks.ports import HostResolver
from domain.webhooks.rules import check_addresses

USER_AGENT = "signalhub-webhooks/1"
# httpx logs every request with its URL at INFO; a subscription URL may carry credentials.
logging.getLogger("httpx").setLevel(logging.WARNING)


class GuardedNetwork(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the SSRF guard accepts."""

    def __init__(self, resolver: HostResolver, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = list(await self._resolver.resolve(host, port))
        if not self._allow_private:
            try:
                check_addresses(host, addresses)
            except InvalidInput as refused:
                raise httpcore.ConnectError(f"refused: {refused.detail}") from None
        if not addresses:
            raise httpcore.ConnectError(f"the host {host!r} does not resolve")
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not webhook targets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool whose connections go through GuardedNetwork (httpx
    takes no network backend of its own, so the pool it built is replaced)."""

    def __init__(self, network: GuardedNetwork, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=network,
        )


class HttpxSender:
    def __init__(
        self,
        allow_private: bool,
        resolver: HostResolver | None = None,
        timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS,
        max_connections: int = 100,
    ) -> None:
        self._timeout = timeout_seconds
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=20)
        network = GuardedNetwork(resolver or SystemResolver(), allow_private)
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(network, limits),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the guard sees the real target
            headers={"user-agent": USER_AGENT},
        )

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                request = self._client.build_request("POST", url, content=body, headers=headers)
                response = await self._client.send(request, stream=True)
                try:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read >= RESPONSE_READ_BYTES:
                            break  # the rest is never read: closing drops the connection
                finally:
                    await response.aclose()
        except TimeoutError:
            return SendResult(
                None, f"timed out after {self._timeout:g} s", time.perf_counter() - started
            )
        except httpx.HTTPError as exc:
            failure = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]
            return SendResult(None, failure, time.perf_counter() - started)
        status = response.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
        return SendResult(status, error, time.perf_counter() - started)

    async def close(self) -> None:
        await self._client.aclose()
