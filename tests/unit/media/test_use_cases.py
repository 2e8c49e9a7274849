"""RenderChart, GetMedia, MediaStats, PurgeMedia against fakes."""

from __future__ import annotations

import asyncio

import pytest

from application.media.use_cases import GetMedia, MediaStats, PurgeMedia, RenderChart
from domain.errors import NotFound, Overloaded, Unprocessable
from domain.media.charts import HistogramSpec
from domain.media.keys import MediaKey
from domain.media.ports import PurgeMode
from tests.fakes.clock import FakeClock
from tests.fakes.media import (
    AsyncioRenderLock,
    FakeMediaMetrics,
    FakeRenderer,
    InMemoryMediaStore,
)

SPEC = HistogramSpec.create([1.0, 2.0, 3.0], title="pnl")


class World:
    def __init__(self, max_bytes: int = 10_000, size: int = 100) -> None:
        self.clock = FakeClock()
        self.store = InMemoryMediaStore(ttl_seconds=60, budget_bytes=1_000_000, clock=self.clock)
        self.renderer = FakeRenderer(size=size)
        self.lock = AsyncioRenderLock()
        self.metrics = FakeMediaMetrics()
        self.max_bytes = max_bytes
        self.render = self.new_process()

    def new_process(self) -> RenderChart:
        """Another server process: own in-flight map, same store and cross-process lock."""
        return RenderChart(self.renderer, self.store, self.lock, self.metrics, self.max_bytes)


async def test_miss_then_hit() -> None:
    w = World()
    first = await w.render(SPEC)
    second = await w.render(SPEC)
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert first.key == second.key == MediaKey.derive(SPEC, FakeRenderer.version)
    # The hit is the stored file opened for sending, not a copy read into memory.
    assert second.data is None and second.stream is not None
    assert first.data == await second.read()
    assert len(w.renderer.calls) == 1
    assert w.metrics.renders == {"histogram": 1}
    assert w.metrics.hits == {"histogram": 1}


async def test_identical_requests_render_once() -> None:
    w = World()
    w.renderer.gate = asyncio.Event()
    other = w.new_process()
    tasks = [asyncio.create_task((w.render if i % 2 else other)(SPEC)) for i in range(20)]
    await asyncio.sleep(0.01)
    w.renderer.gate.set()
    results = await asyncio.gather(*tasks)
    assert len(w.renderer.calls) == 1
    assert w.metrics.renders == {"histogram": 1}
    assert sum(not r.cache_hit for r in results) == 1
    assert len({await r.read() for r in results}) == 1


async def test_a_cancelled_first_caller_does_not_cancel_the_render() -> None:
    w = World()
    w.renderer.gate = asyncio.Event()
    first = asyncio.create_task(w.render(SPEC))
    await asyncio.sleep(0)
    second = asyncio.create_task(w.render(SPEC))
    await asyncio.sleep(0.01)
    first.cancel()
    w.renderer.gate.set()
    result = await second
    assert (await result.read()).startswith(b"\x89PNG")
    assert len(w.renderer.calls) == 1
    assert await w.store.get(result.key) is not None


async def test_a_render_over_the_limit_is_refused_and_not_stored() -> None:
    w = World(max_bytes=1024, size=2000)
    with pytest.raises(Unprocessable):
        await w.render(SPEC)
    assert (await w.store.usage()).files == 0
    assert w.metrics.renders == {}


async def test_waiters_share_the_failure() -> None:
    w = World(max_bytes=1024, size=2000)
    w.renderer.gate = asyncio.Event()
    tasks = [asyncio.create_task(w.render(SPEC)) for _ in range(5)]
    await asyncio.sleep(0.01)
    w.renderer.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, Unprocessable) for r in results)
    assert len(w.renderer.calls) == 1


async def test_overload_propagates_and_the_next_call_renders() -> None:
    w = World()
    w.renderer.fail_with = Overloaded("busy", 3)
    with pytest.raises(Overloaded) as excinfo:
        await w.render(SPEC)
    assert excinfo.value.retry_after_seconds == 3
    w.renderer.fail_with = None
    assert not (await w.render(SPEC)).cache_hit


async def test_expired_chart_is_rendered_again() -> None:
    w = World()
    await w.render(SPEC)
    w.clock.advance(61)
    again = await w.render(SPEC)
    assert not again.cache_hit
    assert len(w.renderer.calls) == 2


async def test_get_media() -> None:
    w = World()
    rendered = await w.render(SPEC)
    got = await GetMedia(w.store)(rendered.key.value)
    png = await rendered.read()
    assert (got.key, got.size) == (rendered.key, len(png))
    assert b"".join([piece async for piece in got.chunks]) == png
    for raw in ("nope", "..%2F..%2Fetc%2Fpasswd", "a" * 64, rendered.key.value.upper()):
        with pytest.raises(NotFound):
            await GetMedia(w.store)(raw)
    w.clock.advance(61)
    with pytest.raises(NotFound):
        await GetMedia(w.store)(rendered.key.value)


async def test_stats_and_purge() -> None:
    w = World()
    await w.render(SPEC)
    w.clock.advance(61)
    await w.render(HistogramSpec.create([5.0]))
    stats = await MediaStats(w.store)()
    assert (stats.files, stats.bytes, stats.expired_files) == (2, 200, 1)
    dry = await PurgeMedia(w.store)(PurgeMode.EXPIRED, dry_run=True)
    assert (dry.deleted_files, dry.freed_bytes, dry.dry_run) == (1, 100, True)
    assert (await MediaStats(w.store)()).files == 2
    done = await PurgeMedia(w.store)(PurgeMode.EXPIRED, dry_run=False)
    assert (done.deleted_files, done.freed_bytes) == (1, 100)
    everything = await PurgeMedia(w.store)(PurgeMode.ALL, dry_run=False)
    assert everything.deleted_files == 1
    assert (await MediaStats(w.store)()).files == 0


async def test_every_request_but_the_rendering_one_counts_as_a_hit() -> None:
    w = World()
    w.renderer.gate = asyncio.Event()
    other = w.new_process()
    first = [asyncio.create_task(w.render(SPEC)) for _ in range(3)]
    await asyncio.sleep(0.01)
    # The other process's leader waits for the lock, then finds the file: its followers too.
    second = [asyncio.create_task(other(SPEC)) for _ in range(4)]
    await asyncio.sleep(0.01)
    w.renderer.gate.set()
    await asyncio.gather(*first, *second)
    assert w.metrics.renders == {"histogram": 1}
    assert w.metrics.hits == {"histogram": 6}
