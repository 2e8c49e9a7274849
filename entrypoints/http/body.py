"""Reading request bodies with a hard cap, for the endpoints that read their body raw."""

from __future__ import annotations

from typing import Any

from litestar import Request


async def read_capped(request: Request[Any, Any, Any], limit: int) -> bytes | None:
    """The raw body, or None as soon as it is known to exceed `limit`.

    A Content-Length over the cap is refused before reading; a chunked body is read only
    until it passes the cap, so an unbounded body is never buffered.
    """
    announced = request.headers.get("content-length")
    if announced is not None and announced.isdigit() and int(announced) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
