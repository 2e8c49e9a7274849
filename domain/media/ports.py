"""Ports of the media use cases; adapters implement them, fakes mirror them in tests."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from domain.media.charts import ChartSpec, ChartType
from domain.media.keys import MediaKey


class ChartRenderer(Protocol):
    """Draws a spec to PNG bytes (exact size, no metadata chunks).

    Raises Overloaded when more renders wait than the renderer's queue holds.
    """

    @property
    def version(self) -> str: ...

    async def render(self, spec: ChartSpec) -> bytes: ...


@dataclass(frozen=True, slots=True)
class StoredMedia:
    key: MediaKey
    data: bytes
    created_at: float  # unix seconds


@dataclass(frozen=True, slots=True)
class MediaStream:
    """A stored chart opened for download: `chunks` yields its bytes in order, a piece at a
    time (never the whole file in memory); `aclose()` it when not read to the end."""

    key: MediaKey
    size: int
    created_at: float  # unix seconds
    chunks: AsyncGenerator[bytes, None]
    # The stored file on this host, when the store keeps one: a server that can send a file
    # by path itself (ASGI `http.response.pathsend`) is given this instead of the chunks.
    path: str | None = None


@dataclass(frozen=True, slots=True)
class CacheUsage:
    files: int
    bytes: int
    expired_files: int


class PurgeMode(enum.Enum):
    EXPIRED = "expired"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class PurgeReport:
    deleted_files: int
    freed_bytes: int
    dry_run: bool


class MediaStore(Protocol):
    """A TTL cache of rendered charts kept under a total byte budget (LRU eviction)."""

    async def get(self, key: MediaKey) -> StoredMedia | None:
        """The whole file, or None when absent or expired; counts as a use for LRU."""
        ...

    async def open(self, key: MediaKey) -> MediaStream | None:
        """Like `get`, streamed: a download that started completes even if the chart is
        purged meanwhile, or fails loudly (never a short file passed off as whole)."""
        ...

    async def put(self, key: MediaKey, data: bytes) -> None:
        """Store atomically (readers see the old file, no file, or the new one, never half)."""
        ...

    async def usage(self) -> CacheUsage: ...

    async def purge(self, mode: PurgeMode, dry_run: bool) -> PurgeReport: ...

    async def close(self) -> None:
        """Release clients and background work (inside the event loop that used them)."""
        ...


class RenderLock(Protocol):
    """Mutual exclusion per key across every process that shares the cache."""

    def hold(self, key: MediaKey) -> AbstractAsyncContextManager[None]: ...


class MediaMetrics(Protocol):
    def rendered(self, chart_type: ChartType, seconds: float) -> None: ...

    def cache_hit(self, chart_type: ChartType) -> None: ...
