"""In-memory fakes of the media ports, held to the same contract tests as the real adapters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field

from domain.media.charts import ChartSpec, ChartType
from domain.media.keys import MediaKey
from domain.media.ports import CacheUsage, MediaStream, PurgeMode, PurgeReport, StoredMedia

LOW_WATERMARK = 0.9  # same rule as FilesystemMediaCache


@dataclass
class _Item:
    data: bytes
    created: float
    used: float


class InMemoryMediaStore:
    def __init__(self, ttl_seconds: int, budget_bytes: int, clock: Callable[[], float]) -> None:
        self._ttl, self._budget, self._clock = ttl_seconds, budget_bytes, clock
        self.items: dict[MediaKey, _Item] = {}
        self.closed = False

    async def get(self, key: MediaKey) -> StoredMedia | None:
        item = self.items.get(key)
        now = self._clock()
        if item is None or now - item.created > self._ttl:
            return None
        item.used = now
        return StoredMedia(key, item.data, item.created)

    async def open(self, key: MediaKey) -> MediaStream | None:
        stored = await self.get(key)
        if stored is None:
            return None
        return MediaStream(key, len(stored.data), stored.created_at, _pieces(stored.data))

    async def put(self, key: MediaKey, data: bytes) -> None:
        now = self._clock()
        self.items[key] = _Item(data, now, now)
        total = sum(len(i.data) for i in self.items.values())
        if total > self._budget:
            order = sorted(
                self.items.items(),
                key=lambda kv: (now - kv[1].created <= self._ttl, kv[1].used, kv[1].created),
            )
            for other, item in order:
                if total <= self._budget * LOW_WATERMARK:
                    break
                if other != key:
                    del self.items[other]
                    total -= len(item.data)

    async def usage(self) -> CacheUsage:
        now = self._clock()
        return CacheUsage(
            files=len(self.items),
            bytes=sum(len(i.data) for i in self.items.values()),
            expired_files=sum(1 for i in self.items.values() if now - i.created > self._ttl),
        )

    async def purge(self, mode: PurgeMode, dry_run: bool) -> PurgeReport:
        now = self._clock()
        doomed = [
            k for k, i in self.items.items() if mode is PurgeMode.ALL or now - i.created > self._ttl
        ]
        freed = sum(len(self.items[k].data) for k in doomed)
        if not dry_run:
            for k in doomed:
                del self.items[k]
        return PurgeReport(deleted_files=len(doomed), freed_bytes=freed, dry_run=dry_run)

    async def close(self) -> None:
        self.closed = True


async def _pieces(data: bytes, size: int = 4096) -> AsyncGenerator[bytes, None]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class AsyncioRenderLock:
    """Per-key lock shared by everything holding this object (stands in for flock)."""

    def __init__(self) -> None:
        self._locks: dict[MediaKey, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: MediaKey) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield


class FakeRenderer:
    """Returns `size` bytes per render; `gate` (if set) holds every render until it opens."""

    version = "fake-1"

    def __init__(self, size: int = 100) -> None:
        self.size = size
        self.calls: list[ChartSpec] = []
        self.gate: asyncio.Event | None = None
        self.fail_with: Exception | None = None

    async def render(self, spec: ChartSpec) -> bytes:
        self.calls.append(spec)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return b"\x89PNG" + b"x" * (self.size - 4)


@dataclass
class FakeMediaMetrics:
    renders: dict[str, int] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    def rendered(self, chart_type: ChartType, seconds: float) -> None:
        self.renders[chart_type] = self.renders.get(chart_type, 0) + 1
        self.seconds.append(seconds)

    def cache_hit(self, chart_type: ChartType) -> None:
        self.hits[chart_type] = self.hits.get(chart_type, 0) + 1
