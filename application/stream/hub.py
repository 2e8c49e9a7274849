"""Fan-out of a process's streams (SPEC §10, docs/stream.md).

One hub per process. Each user with open streams has a room; a wake-up from the feed makes
the room read the user's events after the last id it read (`head`), once for all its
streams, and hand them to every stream that is live. A stream starts by catching up from
the events table itself (from its Last-Event-ID) and goes live only when the room has read
nothing past it: from then on every event after its cursor reaches it through the room, in
id order, and an id at or below its cursor is dropped (the seam: no duplicate, no gap).
A live stream buffers at most `buffer_events` events; one more and it is cut off (its client
resumes with Last-Event-ID). The feed is only awaited by room readers and catching-up
streams, never by the code that hands events out, so a stuck client slows nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from domain.stream.ports import EventFeed, FeedItem, StreamSlot

PAGE = 200
RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    buffer_events: int
    heartbeat_seconds: float
    max_per_user: int
    shutdown_grace_seconds: float = 2.0


class StreamMetrics(Protocol):
    def opened(self) -> None: ...

    def closed(self) -> None: ...

    def sent(self, count: int) -> None: ...


class Delivery:
    """One message: the event and its signal. The same Delivery goes to every stream of
    the room, so its wire form is encoded once (`encoded`), not once per stream."""

    __slots__ = ("_data", "id", "item", "type")

    def __init__(self, item: FeedItem) -> None:
        self.item = item
        self.id = item.event.id
        self.type = item.event.type.value
        self._data: bytes | None = None

    def encoded(self, encode: Callable[[Delivery], bytes]) -> bytes:
        if self._data is None:
            self._data = encode(self)
        return self._data


class Ping:
    """A heartbeat comment."""


PING = Ping()


@dataclass(frozen=True, slots=True)
class _Out:
    instrument: str
    delivery: Delivery


class EventStream:
    """One open stream; iterate it for Delivery and PING until it ends."""

    def __init__(
        self,
        hub: StreamHub,
        user_id: UUID,
        after_id: int,
        instrument: str | None,
        slot: StreamSlot,
    ) -> None:
        self._hub = hub
        self.user_id = user_id
        self.cursor = after_id  # every event up to here was sent or filtered out
        self._instrument = instrument
        self._slot = slot
        self.live = False
        self._queue: deque[_Out] = deque()
        self._wake = asyncio.Event()
        self._ending = False
        self.closed = False
        # Set when the stream must end now, even in the middle of a write (cut off, or the
        # server stops and the client does not read): the HTTP layer aborts the response.
        self.aborted = asyncio.Event()

    # -- called by the hub (never awaits) --
    def offer(self, outs: Sequence[tuple[int, _Out]]) -> None:
        """New events from the room. A stream still `buffer_events` behind when more come
        is cut off; the events of one read are taken together, so a burst never cuts a
        client that keeps up (a stream holds at most buffer_events + one read)."""
        if len(self._queue) >= self._hub.policy.buffer_events:
            self._hub.cut(self)
            return
        for event_id, out in outs:
            if event_id <= self.cursor:
                continue  # sent already, by the catch-up
            self.cursor = event_id
            if self._instrument is None or out.instrument == self._instrument:
                self._queue.append(out)
        self._wake.set()

    def end(self, *, abort: bool) -> None:
        self._ending = True
        self._queue.clear()
        self._wake.set()
        if abort:
            self.aborted.set()

    # -- the client's side --
    async def __aiter__(self) -> AsyncIterator[list[Delivery] | Ping]:
        """Batches of messages (everything waiting, written at once) and heartbeats."""
        try:
            async for batch in self._catch_up():
                yield batch
            while not self._ending:
                if self._queue:
                    batch = [out.delivery for out in self._queue]
                    self._queue.clear()
                    yield batch
                    self._hub.metrics.sent(len(batch))
                    continue
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self._hub.policy.heartbeat_seconds)
                except TimeoutError:
                    yield PING
        finally:
            self.close()

    async def _catch_up(self) -> AsyncIterator[list[Delivery]]:
        hub = self._hub
        # A Last-Event-ID past the newest event (a database restored from an older copy, a
        # made-up id) means "from the newest": the cursor never passes a real id, so the
        # room, which may start reading at this cursor, skips nothing for other streams.
        self.cursor = min(self.cursor, await hub.feed.last_id(self.user_id))
        while not self._ending:
            items = await hub.feed.after(self.user_id, self.cursor, PAGE)
            batch = [
                hub.delivery(i)
                for i in items
                if self._instrument is None or i.signal.instrument == self._instrument
            ]
            if items:
                self.cursor = items[-1].event.id
            if batch:
                yield batch
                hub.metrics.sent(len(batch))
            if self._ending:
                return
            if len(items) == PAGE:
                continue
            if hub.try_go_live(self):
                return

    def close(self) -> None:
        """Leave the hub and give the slot back; idempotent, never blocks."""
        if self.closed:
            return
        self.closed = True
        self._ending = True
        self._queue.clear()
        self._hub.leave(self)
        self._slot.release()
        self._hub.metrics.closed()


@dataclass
class _Room:
    streams: set[EventStream] = field(default_factory=set)
    head: int | None = None  # the last id this room read; None until a stream went live
    reading: bool = False
    again: bool = False


class StreamHub:
    def __init__(self, feed: EventFeed, metrics: StreamMetrics, policy: StreamPolicy) -> None:
        self.feed = feed
        self.metrics = metrics
        self.policy = policy
        self._rooms: dict[UUID, _Room] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> None:
        await self.feed.watch(self.wake)

    def delivery(self, item: FeedItem) -> Delivery:
        return Delivery(item)

    def join(
        self, user_id: UUID, after_id: int, instrument: str | None, slot: StreamSlot
    ) -> EventStream:
        stream = EventStream(self, user_id, after_id, instrument, slot)
        self._rooms.setdefault(user_id, _Room()).streams.add(stream)
        self.metrics.opened()
        if self._stopping:
            stream.end(abort=False)
        return stream

    def leave(self, stream: EventStream) -> None:
        room = self._rooms.get(stream.user_id)
        if room is None:
            return
        room.streams.discard(stream)
        if not room.streams and not room.reading:
            del self._rooms[stream.user_id]

    def try_go_live(self, stream: EventStream) -> bool:
        """Live once the room has read nothing past the stream's cursor (no await here: the
        check and the switch are one step of the event loop)."""
        room = self._rooms[stream.user_id]
        if room.head is not None and room.head > stream.cursor:
            return False
        if room.head is None:
            room.head = stream.cursor
        stream.live = True
        # Events committed while the stream caught up may have woken nobody.
        self._schedule(stream.user_id, room)
        return True

    def cut(self, stream: EventStream) -> None:
        stream.end(abort=True)
        self.leave(stream)

    def wake(self, user_id: UUID | None) -> None:
        if user_id is None:
            for uid, room in list(self._rooms.items()):
                self._schedule(uid, room)
            return
        found = self._rooms.get(user_id)
        if found is not None:
            self._schedule(user_id, found)

    def _schedule(self, user_id: UUID, room: _Room) -> None:
        if room.head is None:
            return  # nobody live: the first stream to go live reads
        if room.reading:
            room.again = True
            return
        room.reading = True
        task = asyncio.get_running_loop().create_task(self._read(user_id, room))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, user_id: UUID, room: _Room) -> None:
        try:
            while True:
                room.again = False
                assert room.head is not None
                items = await self.feed.after(user_id, room.head, PAGE)
                if items:
                    outs = [
                        (i.event.id, _Out(i.signal.instrument, self.delivery(i))) for i in items
                    ]
                    room.head = items[-1].event.id
                    for stream in list(room.streams):
                        if stream.live:
                            stream.offer(outs)
                if len(items) < PAGE and not room.again:
                    return
        except Exception:  # the database is away or busy: read again in a moment
            room.again = False
            asyncio.get_running_loop().call_later(RETRY_SECONDS, self.wake, user_id)
        finally:
            room.reading = False
            if not room.streams and self._rooms.get(user_id) is room:
                del self._rooms[user_id]

    def open_streams(self) -> int:
        return sum(len(r.streams) for r in self._rooms.values())

    async def stop_streams(self) -> None:
        """The server stops: every stream ends now; one whose client does not read (its
        last write still pending) is aborted after a grace."""
        self._stopping = True
        streams = [s for r in self._rooms.values() for s in r.streams]
        for stream in streams:
            stream.end(abort=False)
        if streams:
            await asyncio.sleep(self.policy.shutdown_grace_seconds)
            for stream in streams:
                if not stream.closed:
                    stream.aborted.set()

    async def close(self) -> None:
        """After the last request: stop the room readers and the feed."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.feed.close()
