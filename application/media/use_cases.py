"""Media use cases (SPEC §6, §8): render through the cache once per key, download, stats, purge."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from domain.errors import NotFound, Unprocessable
from domain.media.charts import ChartSpec
from domain.media.keys import MediaKey
from domain.media.ports import (
    CacheUsage,
    ChartRenderer,
    MediaMetrics,
    MediaStore,
    MediaStream,
    PurgeMode,
    PurgeReport,
    RenderLock,
)


@dataclass(frozen=True, slots=True)
class RenderedChart:
    """A chart to send: `data` when this process holds the PNG (it rendered it, or shared a
    render in this process), else `stream`: a cache hit, the stored file opened for sending
    (never read into memory here)."""

    key: MediaKey
    data: bytes | None
    cache_hit: bool
    stream: MediaStream | None = None

    async def read(self) -> bytes:
        """The PNG bytes either way (reads the stream to its end)."""
        if self.data is not None:
            return self.data
        assert self.stream is not None
        return b"".join([piece async for piece in self.stream.chunks])


class RenderChart:
    """Cache hit -> the stored file; else render once per key (in this process and across
    processes), refuse a file over `max_bytes`, store it, count it."""

    def __init__(
        self,
        renderer: ChartRenderer,
        store: MediaStore,
        lock: RenderLock,
        metrics: MediaMetrics,
        max_bytes: int,
    ) -> None:
        self._renderer, self._store, self._lock = renderer, store, lock
        self._metrics, self._max_bytes = metrics, max_bytes
        # key -> the one task rendering it in this process; identical requests await it.
        self._inflight: dict[MediaKey, asyncio.Task[RenderedChart]] = {}

    async def __call__(self, spec: ChartSpec) -> RenderedChart:
        key = MediaKey.derive(spec, self._renderer.version)
        opened = await self._store.open(key)
        if opened is not None:
            self._metrics.cache_hit(spec.chart_type)
            return RenderedChart(key, None, cache_hit=True, stream=opened)
        task = self._inflight.get(key)
        if task is None:
            # A task of its own, so a client that disconnects does not cancel the others' render.
            task = asyncio.create_task(self._render_once(key, spec))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
            return await asyncio.shield(task)
        result = await asyncio.shield(task)
        # Another request in this process rendered (or fetched) it; this one got a cached copy.
        self._metrics.cache_hit(spec.chart_type)
        return RenderedChart(key, result.data, cache_hit=True)

    def _forget(self, key: MediaKey, done: asyncio.Task[RenderedChart]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # retrieved here so an unawaited failure is not logged as lost

    async def _render_once(self, key: MediaKey, spec: ChartSpec) -> RenderedChart:
        async with self._lock.hold(key):
            # Another process may have rendered it while we waited for the lock. Read whole:
            # every request waiting on this task shares the result.
            cached = await self._store.get(key)
            if cached is not None:
                self._metrics.cache_hit(spec.chart_type)
                return RenderedChart(key, cached.data, cache_hit=True)
            started = time.perf_counter()
            data = await self._renderer.render(spec)
            elapsed = time.perf_counter() - started
            if len(data) > self._max_bytes:
                raise Unprocessable(
                    f"the rendered chart is {len(data)} bytes, over the limit of "
                    f"{self._max_bytes} bytes; ask for a smaller width/height"
                )
            await self._store.put(key, data)
            self._metrics.rendered(spec.chart_type, elapsed)
            return RenderedChart(key, data, cache_hit=False)


class GetMedia:
    """A cached chart opened for streaming (the caller reads or closes `chunks`)."""

    def __init__(self, store: MediaStore) -> None:
        self._store = store

    async def __call__(self, raw_key: str) -> MediaStream:
        key = MediaKey.parse(raw_key)  # NotFound for anything but 64 lowercase hex
        opened = await self._store.open(key)
        if opened is None:
            raise NotFound("no such media")
        return opened


class MediaStats:
    def __init__(self, store: MediaStore) -> None:
        self._store = store

    async def __call__(self) -> CacheUsage:
        return await self._store.usage()


class PurgeMedia:
    def __init__(self, store: MediaStore) -> None:
        self._store = store

    async def __call__(
        self, mode: PurgeMode = PurgeMode.EXPIRED, dry_run: bool = False
    ) -> PurgeReport:
        return await self._store.purge(mode, dry_run)
