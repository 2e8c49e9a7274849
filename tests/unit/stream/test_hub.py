"""The stream hub with fake ports: replay, the seam, fan-out, filter, buffer, heartbeat, limits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from application.stream import (
    PING,
    EventStream,
    OpenStream,
    OpenStreamRequest,
    StreamHub,
    StreamPolicy,
)
from domain.errors import InvalidInput
from domain.identity import Caller
from domain.stream import TooManyStreams
from tests.fakes.stream import FakeEventFeed, FakeStreamMetrics, FakeStreamSlots, item

DEADLINE = 5.0


class World:
    def __init__(self, **policy: float) -> None:
        self.feed = FakeEventFeed()
        self.slots = FakeStreamSlots()
        self.metrics = FakeStreamMetrics()
        settings = {"buffer_events": 1000, "heartbeat_seconds": 60.0, "max_per_user": 10}
        settings.update(policy)
        self.hub = StreamHub(
            self.feed,
            self.metrics,
            StreamPolicy(
                buffer_events=int(settings["buffer_events"]),
                heartbeat_seconds=settings["heartbeat_seconds"],
                max_per_user=int(settings["max_per_user"]),
                shutdown_grace_seconds=0.05,
            ),
        )
        self.open_stream = OpenStream(self.hub, self.slots)
        self.user = uuid.uuid4()

    async def open(self, last: str | None = None, instrument: str | None = None) -> EventStream:
        return await self.open_stream(Caller(self.user), OpenStreamRequest(last, None, instrument))


class Reader:
    """A client that reads its stream all the time, as a real one does."""

    def __init__(self, stream: EventStream) -> None:
        self.stream = stream
        self.ids: list[int] = []
        self.pings = 0
        self.ended = asyncio.Event()
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for message in self.stream:
            if isinstance(message, list):
                self.ids += [d.id for d in message]
            else:
                self.pings += 1
            self._changed.set()
        self.ended.set()
        self._changed.set()

    async def until(self, n: int) -> list[int]:
        """The first n ids, waiting for them within a deadline."""

        async def wait() -> None:
            while len(self.ids) < n and not self.ended.is_set():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), DEADLINE)
        return self.ids[:n]

    async def live(self) -> None:
        async def wait() -> None:
            while not self.stream.live:
                await asyncio.sleep(0.001)

        await asyncio.wait_for(wait(), DEADLINE)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    await w.hub.start()
    yield w
    await w.hub.close()


async def test_replays_after_last_event_id_then_sends_live_ones_without_gap_or_duplicate(
    world: World,
) -> None:
    world.feed.publish(*(item(world.user, i) for i in range(1, 6)))
    reader = Reader(await world.open(last="2"))
    assert await reader.until(3) == [3, 4, 5]
    await reader.live()
    world.feed.publish(item(world.user, 6), item(world.user, 7))
    assert await reader.until(5) == [3, 4, 5, 6, 7]
    assert world.metrics.sent_total == 5


async def test_an_event_committed_during_the_catch_up_is_sent_once(world: World) -> None:
    world.feed.publish(item(world.user, 1))
    other = Reader(await world.open())  # a live stream keeps the room reading meanwhile
    assert await other.until(1) == [1]
    await other.live()

    async def commit_mid_read() -> None:
        world.feed.publish(item(world.user, 2), item(world.user, 3))
        await asyncio.sleep(0.01)  # the room reads them before this read returns

    world.feed.before_read = commit_mid_read
    reader = Reader(await world.open())
    assert await reader.until(3) == [1, 2, 3]
    await reader.live()
    world.feed.publish(item(world.user, 4))
    assert await reader.until(4) == [1, 2, 3, 4]
    assert await other.until(4) == [1, 2, 3, 4]
    assert len(reader.ids) == 4 and len(other.ids) == 4


async def test_every_stream_of_the_user_gets_every_event_and_other_users_none(
    world: World,
) -> None:
    readers = [Reader(await world.open()) for _ in range(3)]
    stranger = Reader(
        await world.open_stream(Caller(uuid.uuid4()), OpenStreamRequest(None, None, None))
    )
    for r in [*readers, stranger]:
        await r.live()
    world.feed.publish(item(world.user, 1))
    world.feed.publish(item(world.user, 2))
    assert [await r.until(2) for r in readers] == [[1, 2]] * 3
    assert stranger.ids == []


async def test_instrument_filter_and_resume_point_skip_other_instruments(world: World) -> None:
    world.feed.publish(item(world.user, 1, "XAUUSD"), item(world.user, 2, "EURUSD"))
    reader = Reader(await world.open(instrument="eurusd"))
    assert await reader.until(1) == [2]
    await reader.live()
    world.feed.publish(item(world.user, 3, "XAUUSD"), item(world.user, 4, "EURUSD"))
    assert await reader.until(2) == [2, 4]
    assert reader.stream.cursor == 4


async def test_a_stream_that_falls_behind_is_cut_and_loses_nothing_on_resume() -> None:
    w = World(buffer_events=3)
    await w.hub.start()
    stream = await w.open()
    messages = aiter(stream)
    waiting = asyncio.create_task(anext(messages))
    while not stream.live:
        await asyncio.sleep(0.001)
    w.feed.publish(item(w.user, 1))
    assert [d.id for d in await waiting] == [1]  # the client read event 1, then stops reading
    w.feed.publish(*(item(w.user, i) for i in range(2, 7)))  # one read: taken together
    await asyncio.sleep(0.05)
    assert not stream.aborted.is_set()
    w.feed.publish(item(w.user, 7))  # and still 5 behind when more come: cut
    await asyncio.wait_for(stream.aborted.wait(), DEADLINE)
    stream.close()  # what the HTTP layer does when it aborts the response
    assert w.slots.taken[w.user] == 0 and w.metrics.open == 0
    again = Reader(await w.open(last="1"))
    assert await again.until(6) == [2, 3, 4, 5, 6, 7]
    await w.hub.close()


async def test_heartbeat_when_nothing_happens() -> None:
    w = World(heartbeat_seconds=0.01)
    await w.hub.start()
    stream = await w.open()
    messages = aiter(stream)
    assert await asyncio.wait_for(anext(messages), DEADLINE) is PING
    assert await asyncio.wait_for(anext(messages), DEADLINE) is PING
    await w.hub.close()


async def test_more_streams_than_the_limit_are_refused_and_a_closed_one_frees_its_slot() -> None:
    w = World(max_per_user=2)
    first, _second = await w.open(), await w.open()
    with pytest.raises(TooManyStreams):
        await w.open()
    first.close()
    await w.open()
    assert w.metrics.open == 2


async def test_bad_resume_point_or_instrument_is_invalid_input(world: World) -> None:
    with pytest.raises(InvalidInput, match="Last-Event-ID"):
        await world.open(last="-1")
    with pytest.raises(InvalidInput, match="instrument"):
        await world.open(instrument="x")
    assert world.slots.taken.get(world.user, 0) == 0


async def test_stop_streams_ends_every_stream(world: World) -> None:
    reader = Reader(await world.open())
    await reader.live()
    await world.hub.stop_streams()
    await asyncio.wait_for(reader.ended.wait(), DEADLINE)
    assert reader.stream.closed and world.metrics.open == 0


async def test_a_failed_room_read_is_tried_again(world: World) -> None:
    reader = Reader(await world.open())
    await reader.live()

    async def fail() -> None:
        raise OSError("database away")

    world.feed.before_read = fail
    world.feed.publish(item(world.user, 1))  # the read it wakes fails
    assert await reader.until(1) == [1]  # the retry gets it without another wake-up


async def test_a_last_event_id_past_the_newest_means_from_the_newest(world: World) -> None:
    world.feed.publish(item(world.user, 1), item(world.user, 2))
    dreamer = Reader(await world.open(last="100"))
    await dreamer.live()
    honest = Reader(await world.open(last="1"))
    assert await honest.until(1) == [2]
    await honest.live()
    world.feed.publish(item(world.user, 3))
    assert await dreamer.until(1) == [3] and await honest.until(2) == [2, 3]
