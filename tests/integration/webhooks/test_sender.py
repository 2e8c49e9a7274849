"""The httpx sender against a real local HTTP server (adapters/webhooks/sender.py): the SSRF
guard where the connection is made (a name that resolves to loopback is refused, nothing
reaches the server), no redirect followed, at most a few KiB of an answer read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.webhooks.sender import HttpxSender
from tests.fakes.webhooks import FakeResolver


class Server:
    """A raw HTTP/1.1 server on 127.0.0.1 answering every request with `answer`."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n")
             if line.lower().startswith(b"content-length")),
            0,
        )  # fmt: skip
        self.requests.append(head + await reader.readexactly(length))
        try:
            writer.write(self.answer)
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    made = Server(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
    await made.start()
    yield made
    await made.stop()


async def test_a_name_resolving_to_loopback_is_refused_at_connection(server: Server) -> None:
    sender = HttpxSender(False, FakeResolver({"rebind.example": ["127.0.0.1"]}))
    try:
        result = await sender.send(f"http://rebind.example:{server.port}/h", {}, b"{}")
    finally:
        await sender.close()
    assert result.response_status is None
    assert result.error is not None and "loopback" in result.error
    assert server.requests == []  # nothing reached it


async def test_allowed_private_targets_get_the_body_and_headers(server: Server) -> None:
    sender = HttpxSender(True, FakeResolver({"receiver.test": ["127.0.0.1"]}))
    try:
        result = await sender.send(
            f"http://receiver.test:{server.port}/h", {"webhook-id": "msg_1"}, b'{"a":1}'
        )
    finally:
        await sender.close()
    assert (result.response_status, result.error) == (200, None)
    (request,) = server.requests
    assert request.startswith(b"POST /h HTTP/1.1\r\n")
    assert b"webhook-id: msg_1" in request
    assert f"host: receiver.test:{server.port}".encode() in request.lower()
    assert request.endswith(b'{"a":1}')


async def test_a_redirect_is_not_followed_and_a_huge_answer_is_not_read() -> None:
    redirect = Server(b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:1/x\r\n\r\n")
    huge = Server(b"HTTP/1.1 500 Oops\r\ncontent-length: 50000000\r\n\r\n" + b"x" * 1_000_000)
    for made in (redirect, huge):
        await made.start()
    sender = HttpxSender(True, FakeResolver({"r.test": ["127.0.0.1"]}))
    try:
        moved = await sender.send(f"http://r.test:{redirect.port}/", {}, b"{}")
        big = await sender.send(f"http://r.test:{huge.port}/", {}, b"{}")
    finally:
        await sender.close()
        for made in (redirect, huge):
            await made.stop()
    assert (moved.response_status, moved.error) == (302, "HTTP 302")
    assert (big.response_status, big.error) == (500, "HTTP 500")
