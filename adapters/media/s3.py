"""S3MediaStore: the media cache in an S3-compatible bucket, shared by every host (SPEC §13).

Layout under MEDIA_S3_PREFIX (default `media/`):
    ab/cd/<key>.png   one chart, sharded by the first 4 hex chars of its key (as on disk);
                      user metadata `created-at` / `used-at`: unix seconds, writer's clock
    .locks/<key>      a render lock (S3RenderLock, adapters/media/s3_lock.py)

- A PUT is atomic on S3: readers see the old object, none, or the new one, never half.
- TTL by age: `created-at` is when the chart was rendered; older than the TTL -> expired.
- LRU without a ledger: a hit rewrites `used-at` when it is older than `touch_every_seconds`
  (a conditional PUT on the ETag just read, so a purged object is never brought back).
- Budget without a ledger: after a PUT a sweep is due `sweep_delay_seconds` later (one per
  process at a time): it LISTs the prefix, sums the sizes and, only when over the budget,
  reads the stamps (HEAD) and deletes expired objects first, then the least recently used,
  down to 90% of the budget. Hosts sweeping together pick the same victims (same order).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

from adapters.media.s3_bucket import Bucket, open_bucket
from adapters.media.s3_objects import ChartObject, ChartObjects, Fetched, body
from domain.media.keys import MediaKey
from domain.media.ports import CacheUsage, MediaStream, PurgeMode, PurgeReport, StoredMedia

LOW_WATERMARK = 0.9
_log = structlog.get_logger("signalhub.media.s3")


class S3MediaStore:
    def __init__(
        self,
        bucket: Bucket,
        prefix: str,
        ttl_seconds: int,
        budget_bytes: int,
        clock: Callable[[], float] = time.time,
        *,
        sweep_delay_seconds: float = 5.0,
        touch_every_seconds: float = 60.0,
    ) -> None:
        self._bucket = bucket
        self._objects = ChartObjects(bucket, prefix)
        self._ttl = float(ttl_seconds)
        self._budget = budget_bytes
        self._clock = clock
        self._sweep_delay = sweep_delay_seconds
        self._touch_every = touch_every_seconds
        self._sweep: asyncio.Task[None] | None = None
        self._touches: set[asyncio.Task[None]] = set()

    @property
    def prefix(self) -> str:
        return self._objects.prefix

    def path_for(self, key: MediaKey) -> str:
        return self._objects.path_for(key)

    # --- reads -------------------------------------------------------------------------

    async def _fresh(self, key: MediaKey) -> tuple[Fetched, float] | None:
        """A GET of the key's object, when it exists and is within the TTL; and now."""
        fetched = await self._objects.fetch(self.path_for(key))
        now = self._clock()
        if fetched is None or self._expired(fetched.chart, now):
            return None
        return fetched, now

    def _due_touch(self, chart: ChartObject, now: float) -> bool:
        return now - chart.used >= self._touch_every

    async def get(self, key: MediaKey) -> StoredMedia | None:
        found = await self._fresh(key)
        if found is None:
            return None
        fetched, now = found
        chart = fetched.chart
        data = await self._objects.read(fetched)
        if data is None:
            return None
        if self._due_touch(chart, now):
            await self._objects.restamp(chart.path, data, chart.created, now, fetched.e_tag)
        return StoredMedia(key=key, data=data, created_at=chart.created)

    async def open(self, key: MediaKey) -> MediaStream | None:
        """Streamed from one GET: S3 serves a GET that started from the object it found, so a
        purge meanwhile does not change what this download gets; a body cut short raises."""
        found = await self._fresh(key)
        if found is None:
            return None
        fetched, now = found
        chart = fetched.chart
        if self._due_touch(chart, now):
            # The bytes are streamed, not held: the use is recorded by a background re-PUT.
            task = asyncio.create_task(self._touch_later(chart, fetched.e_tag, now))
            self._touches.add(task)
            task.add_done_callback(self._touches.discard)
        return MediaStream(key, chart.size, chart.created, body(fetched.result, chart.size))

    async def _touch_later(self, chart: ChartObject, e_tag: str | None, now: float) -> None:
        data = await self._objects.read_unchanged(chart.path, e_tag)
        if data is not None:
            await self._objects.restamp(chart.path, data, chart.created, now, e_tag)

    async def usage(self) -> CacheUsage:
        entries = await self._objects.stamped(await self._objects.everything())
        now = self._clock()
        return CacheUsage(
            files=len(entries),
            bytes=sum(e.size for e in entries),
            expired_files=sum(1 for e in entries if self._expired(e, now)),
        )

    async def ready(self) -> bool:
        """The bucket answers a LIST with our credentials (for /readyz)."""
        return await self._objects.reachable()

    # --- writes ------------------------------------------------------------------------

    async def put(self, key: MediaKey, data: bytes) -> None:
        path = self.path_for(key)
        await self._objects.put(path, data, self._clock())
        if self._sweep_delay <= 0:
            await self._enforce_budget(keep=path)
        elif self._sweep is None or self._sweep.done():
            self._sweep = asyncio.create_task(self._sweep_later())

    async def purge(self, mode: PurgeMode, dry_run: bool) -> PurgeReport:
        listed = await self._objects.everything()
        if mode is PurgeMode.ALL:
            victims = listed
        else:
            now = self._clock()
            victims = [e for e in await self._objects.stamped(listed) if self._expired(e, now)]
        if not dry_run:
            await self._objects.delete(e.path for e in victims)
        return PurgeReport(
            deleted_files=len(victims), freed_bytes=sum(e.size for e in victims), dry_run=dry_run
        )

    async def close(self) -> None:
        """Drop a pending sweep (the next PUT on any host schedules another) and pending
        touches, then the client."""
        for task in [self._sweep, *self._touches]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._bucket.close()
        # Let obstore's runtime threads close the pooled connections before the process may
        # exit: exiting while they still work aborts it (SIGABRT) about one run in four.
        await asyncio.sleep(0.1)

    async def wait_for_sweep(self) -> None:
        """Await the pending budget sweep, if any (for tests and a clean shutdown)."""
        if self._sweep is not None:
            with contextlib.suppress(Exception):
                await self._sweep

    # --- budget ------------------------------------------------------------------------

    async def _sweep_later(self) -> None:
        await asyncio.sleep(self._sweep_delay)
        try:
            await self._enforce_budget()
        except Exception as exc:  # the next PUT schedules another; never kill the process
            _log.warning("media_budget_sweep_failed", error=type(exc).__name__)

    async def _enforce_budget(self, keep: str | None = None) -> None:
        listed = await self._objects.everything()
        if sum(e.size for e in listed) <= self._budget:
            return
        entries = await self._objects.stamped(listed)
        total = sum(e.size for e in entries)
        now = self._clock()
        target = int(self._budget * LOW_WATERMARK)
        # Expired first, then least recently used; every host sorts the same way.
        entries.sort(key=lambda e: (not self._expired(e, now), e.used, e.created, e.path))
        victims: list[str] = []
        for entry in entries:
            if total <= target:
                break
            if entry.path == keep:
                continue
            victims.append(entry.path)
            total -= entry.size
        await self._objects.delete(victims)

    def _expired(self, entry: ChartObject, now: float) -> bool:
        return now - entry.created > self._ttl


__all__ = ["Bucket", "S3MediaStore", "open_bucket"]
