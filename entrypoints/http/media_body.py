"""A stored chart as a response body, sent without the app reading it whole.

- The server offers ASGI `http.response.pathsend` (e.g. Granian) and the store keeps the file
  on this host: the server sends the file itself (sendfile); the app reads nothing.
- Otherwise (uvicorn has neither pathsend nor zerocopysend): the pieces of the open file, as
  body events, straight from the store's descriptor (a chart is usually one piece). No task
  group and disconnect listener as in Litestar's `Stream`: the body is bounded and small, and
  a client that went away only makes `send` a no-op.

Either way the stream is closed when the response is done, whatever happens.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Response
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from domain.media.ports import MediaStream

PATHSEND = "http.response.pathsend"


class MediaFile(Response[bytes]):
    """`image/png` from a `MediaStream`, with `Content-Length` = its size."""

    def __init__(self, opened: MediaStream, *, headers: dict[str, str]) -> None:
        super().__init__(content=b"", status_code=200, media_type="image/png", headers=headers)
        self.opened = opened

    def to_asgi_response(
        self, app: Any, request: Request[Any, Any, Any], **kwargs: Any
    ) -> ASGIResponse:
        headers = {**kwargs.get("headers", {}), **self.headers}
        return _ASGIMediaFile(
            self.opened,
            headers=headers,
            is_head_response=bool(kwargs.get("is_head_response", False)),
        )


class _ASGIMediaFile(ASGIResponse):
    def __init__(
        self, opened: MediaStream, *, headers: dict[str, str], is_head_response: bool
    ) -> None:
        super().__init__(
            headers=headers,
            media_type="image/png",
            status_code=200,
            content_length=opened.size,
            is_head_response=is_head_response,
        )
        self._opened = opened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        opened = self._opened
        try:
            await self.start_response(send=send)
            if self.is_head_response:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            elif opened.path is not None and PATHSEND in (scope.get("extensions") or {}):
                event: Any = {"type": PATHSEND, "path": opened.path}  # not in Litestar's types
                await send(event)
            else:
                sent, done = 0, False
                async for piece in opened.chunks:
                    sent += len(piece)
                    done = sent >= opened.size  # the last piece ends the body: one send less
                    await send({"type": "http.response.body", "body": piece, "more_body": not done})
                if not done:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await opened.chunks.aclose()
        await self.after_response()
