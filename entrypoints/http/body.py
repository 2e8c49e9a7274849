"""Reading request bodies with a hard cap, for the endpoints that read their body raw."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, InternalServerException


async def read_capped(request: Request[Any, Any, Any], limit: int) -> bytes | None:
    """The raw body, or None as soon as it is known to exceed `limit`.

    A Content-Length over the cap is refused before reading; a chunked body is read only
    until it passes the cap, so an unbounded body is never buffered.

    It reads the ASGI messages itself, as `request.stream()` does (the same errors: 400 for a
    Content-Length that is not a number, 500 when the client goes away mid-body), without
    building Litestar's header multidict or an async generator per request: this is on the
    ingestion hot path (docs/ingest-performance.md, "Where the server's CPU goes").
    """
    for name, value in request.scope["headers"]:
        if name.lower() == b"content-length":
            try:
                announced = int(value)
            except ValueError:
                raise ClientException(
                    f"Invalid content-length: {value.decode('latin-1')!r}"
                ) from None
            if announced > limit:
                return None
            break
    chunks: list[bytes] = []
    size = 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            raise InternalServerException("client disconnected prematurely")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        if not message.get("more_body", False):
            request.is_connected = False  # consumed, as request.stream() marks it
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
