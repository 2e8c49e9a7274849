"""A stored chart as an ASGI body: pathsend when the server offers it, else the file's pieces;
the stream is closed either way."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from domain.media.keys import MediaKey
from domain.media.ports import MediaStream
from entrypoints.http.media import stream_response

KEY = MediaKey("ab" * 32)
PNG = b"\x89PNG" + bytes(range(200)) * 3


class Pieces:
    def __init__(self, data: bytes, size: int = 256) -> None:
        self.data, self.size, self.closed = data, size, False

    async def gen(self) -> AsyncGenerator[bytes, None]:
        try:
            for i in range(0, len(self.data), self.size):
                yield self.data[i : i + self.size]
        finally:
            self.closed = True


async def send_it(opened: MediaStream, extensions: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    response = stream_response(opened, True, 60).to_asgi_response(app=None, request=None)  # type: ignore[arg-type]
    scope: Any = {"type": "http", "extensions": extensions}
    await response(scope, receive, send)
    return sent


def headers_of(start: dict[str, Any]) -> dict[bytes, list[bytes]]:
    out: dict[bytes, list[bytes]] = {}
    for name, value in start["headers"]:
        out.setdefault(name.lower(), []).append(value)
    return out


async def test_pieces_when_the_server_cannot_send_files() -> None:
    pieces = Pieces(PNG)
    opened = MediaStream(KEY, len(PNG), 0.0, pieces.gen(), path="/cache/ab/ab/x.png")
    sent = await send_it(opened, {})
    start, *body = sent
    headers = headers_of(start)
    assert start["status"] == 200
    assert headers[b"content-length"] == [str(len(PNG)).encode()]
    assert headers[b"content-type"] == [b"image/png"]
    assert headers[b"etag"] == [f'"{KEY.value}"'.encode()]
    assert headers[b"x-cache"] == [b"HIT"]
    assert b"".join(m["body"] for m in body) == PNG
    assert [m["more_body"] for m in body] == [True] * (len(body) - 1) + [False]
    assert pieces.closed


async def test_pathsend_when_the_server_offers_it() -> None:
    pieces = Pieces(PNG)
    opened = MediaStream(KEY, len(PNG), 0.0, pieces.gen(), path="/cache/ab/ab/x.png")
    sent = await send_it(opened, {"http.response.pathsend": {}})
    start, body = sent
    assert headers_of(start)[b"content-length"] == [str(len(PNG)).encode()]
    assert body == {"type": "http.response.pathsend", "path": "/cache/ab/ab/x.png"}
    await opened.chunks.aclose()  # already closed by the response: a no-op


async def test_no_pathsend_for_a_store_without_local_files() -> None:
    pieces = Pieces(PNG)
    opened = MediaStream(KEY, len(PNG), 0.0, pieces.gen())  # e.g. S3: no path
    sent = await send_it(opened, {"http.response.pathsend": {}})
    assert all(m["type"] != "http.response.pathsend" for m in sent)
    assert b"".join(m.get("body", b"") for m in sent[1:]) == PNG
    assert pieces.closed
