"""`GET /api/v1/stream` (SPEC §10): Server-Sent Events with Litestar's own SSE response.

The stream itself (catch-up, live fan-out, buffer, heartbeat) is application/stream/hub.py;
this module turns it into `id:`/`event:`/`data:` messages and `: ping` comments, and aborts
the response when the hub cuts a stream off or the server stops and the client does not read.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable
from functools import partial
from typing import Annotated, Any

from anyio import CancelScope, create_task_group
from litestar import Controller, Request, get
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.datastructures.cookie import Cookie
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import HeaderParameter, Parameter, QueryParameter
from litestar.response.base import ASGIResponse
from litestar.response.sse import ServerSentEvent, ServerSentEventMessage
from litestar.response.streaming import ASGIStreamingResponse
from litestar.types import Receive, Send, TypeEncodersMap

from application.stream import Delivery, EventStream, OpenStream, OpenStreamRequest
from domain.identity import Caller
from domain.signals.rules import INSTRUMENT_PATTERN
from entrypoints.http.auth import SECURITY
from entrypoints.http.errors import error_responses
from entrypoints.http.wire.stream import encode_stream_data

_EVENT_ID = r"^[0-9]{1,19}$"


_PING = ServerSentEventMessage(comment="ping", data=None).encode()


def _frame(delivery: Delivery) -> bytes:
    data = encode_stream_data(delivery.item)
    return ServerSentEventMessage(id=delivery.id, event=delivery.type, data=data).encode()


async def _frames(stream: EventStream) -> AsyncIterator[bytes]:
    """Each message encoded once for every stream of its user (`Delivery.encoded`), and
    whatever waits for a stream written in one go."""
    async for batch in stream:
        if isinstance(batch, list):
            yield b"".join(d.encoded(_frame) for d in batch)
        else:
            yield _PING


class _AbortableStream(ASGIStreamingResponse):
    """Litestar's streaming response, plus: when `stream.aborted` is set the body stops at
    once, even in the middle of a write to a client that does not read (the connection is
    then closed unfinished: the client sees a cut and resumes with Last-Event-ID)."""

    __slots__ = ("_events",)

    def __init__(self, events: EventStream, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._events = events

    async def _abort_when_told(self, scope: CancelScope) -> None:
        await self._events.aborted.wait()
        scope.cancel()

    async def send_body(self, send: Send, receive: Receive) -> None:
        try:
            async with create_task_group() as group:
                group.start_soon(partial(self._stream, send))
                group.start_soon(self._abort_when_told, group.cancel_scope)
                await self._listen_for_disconnect(cancel_scope=group.cancel_scope, receive=receive)
        finally:
            self._events.close()  # also when the body never started


class EventStreamResponse(ServerSentEvent):
    """Litestar's SSE response (headers, media type); the body is our frames, already
    encoded by ServerSentEventMessage."""

    def __init__(self, events: EventStream) -> None:
        super().__init__(b"")
        self._events = events

    def to_asgi_response(  # same as Stream.to_asgi_response, with the abortable body
        self,
        app: Any,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        merged = {**headers, **self.headers} if headers is not None else self.headers
        return _AbortableStream(
            self._events,
            background=self.background or background,
            content_length=0,
            cookies=self.cookies if cookies is None else itertools.chain(self.cookies, cookies),
            encoded_headers=encoded_headers,
            encoding=self.encoding,
            headers=merged,
            is_head_response=is_head_response,
            iterator=_frames(self._events),
            media_type="text/event-stream",
            status_code=self.status_code or status_code,
        )


class StreamController(Controller):
    path = "/api/v1/stream"
    tags = ["stream"]

    @get(
        "/",
        summary="Live events of the caller's signals (Server-Sent Events)",
        description=(
            "Each message: `id:` the event id, `event:` signal.created | signal.transitioned, "
            '`data:` {"event": <trail item>, "signal": <the signal right after the event>}. '
            "`: ping` comments every STREAM_HEARTBEAT_SECONDS. Resume with Last-Event-ID."
        ),
        media_type="text/event-stream",
        security=SECURITY,
        responses=error_responses(400, 401, 429, 503),
    )
    async def stream(
        self,
        caller: NamedDependency[Caller],
        open_stream: NamedDependency[OpenStream],
        last_event_id_header: Annotated[
            str | None,
            HeaderParameter(
                name="Last-Event-ID",
                pattern=_EVENT_ID,
                description="Resume after this event id (what SSE clients send on reconnect)",
            ),
        ] = None,
        last_event_id: Annotated[
            str | None,
            QueryParameter(
                name="last_event_id",
                pattern=_EVENT_ID,
                description="Resume after this event id (the header wins)",
            ),
        ] = None,
        instrument: Annotated[
            str | None, Parameter(pattern=INSTRUMENT_PATTERN, description="Only this instrument")
        ] = None,
    ) -> ServerSentEvent:
        events = await open_stream(
            caller, OpenStreamRequest(last_event_id_header, last_event_id, instrument)
        )
        return EventStreamResponse(events)
