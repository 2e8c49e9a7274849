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
import re
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import obstore
import structlog
from obstore.exceptions import BaseError

from adapters.media.s3_bucket import Bucket, open_bucket
from adapters.media.s3_bucket import unavailable as _unavailable
from domain.media.keys import MediaKey
from domain.media.ports import CacheUsage, MediaStream, PurgeMode, PurgeReport, StoredMedia

if TYPE_CHECKING:
    from obstore import Attributes, GetResult

LOW_WATERMARK = 0.9
DELETE_BATCH = 1000  # the most keys one S3 DeleteObjects request takes
HEAD_CONCURRENCY = 16
STREAM_CHUNK_BYTES = 64 * 1024
CONTENT_TYPE = "image/png"
_log = structlog.get_logger("signalhub.media.s3")


@dataclass(frozen=True, slots=True)
class _Entry:
    path: str
    size: int
    created: float
    used: float


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
        self._prefix = prefix
        self._ttl = float(ttl_seconds)
        self._budget = budget_bytes
        self._clock = clock
        self._sweep_delay = sweep_delay_seconds
        self._touch_every = touch_every_seconds
        self._object = re.compile(
            re.escape(prefix) + r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.png"
        )
        self._sweep: asyncio.Task[None] | None = None
        self._touches: set[asyncio.Task[None]] = set()

    @property
    def prefix(self) -> str:
        return self._prefix

    def path_for(self, key: MediaKey) -> str:
        k = key.value  # 64 hex chars, checked by MediaKey: the name cannot leave the prefix
        return f"{self._prefix}{k[:2]}/{k[2:4]}/{k}.png"

    # --- reads -------------------------------------------------------------------------

    async def get(self, key: MediaKey) -> StoredMedia | None:
        path = self.path_for(key)
        try:
            result = await obstore.get_async(self._bucket.client, path)
        except FileNotFoundError:
            return None
        except (BaseError, OSError) as exc:
            raise _unavailable(exc) from exc
        meta, attributes = result.meta, result.attributes
        now = self._clock()
        created = _stamp(attributes, "created-at", meta["last_modified"])
        if now - created > self._ttl:
            return None
        try:
            data = bytes(await result.bytes_async())
        except (BaseError, OSError):
            return None  # deleted (purged, evicted) while we read it: absent, never half
        if len(data) != meta["size"]:
            return None
        if now - _stamp(attributes, "used-at", created) >= self._touch_every:
            await self._touch(path, data, created, meta["e_tag"], now)
        return StoredMedia(key=key, data=data, created_at=created)

    async def open(self, key: MediaKey) -> MediaStream | None:
        """Streamed from one GET: S3 serves a GET that started from the object it found, so a
        purge meanwhile does not change what this download gets; a body cut short raises."""
        path = self.path_for(key)
        try:
            result = await obstore.get_async(self._bucket.client, path)
        except FileNotFoundError:
            return None
        except (BaseError, OSError) as exc:
            raise _unavailable(exc) from exc
        meta, attributes = result.meta, result.attributes
        now = self._clock()
        created = _stamp(attributes, "created-at", meta["last_modified"])
        if now - created > self._ttl:
            return None
        if now - _stamp(attributes, "used-at", created) >= self._touch_every:
            # The bytes are streamed, not held: the use is recorded by a background re-PUT.
            task = asyncio.create_task(self._touch_from_bucket(path, created, meta["e_tag"], now))
            self._touches.add(task)
            task.add_done_callback(self._touches.discard)
        return MediaStream(key, meta["size"], created, _body(result, meta["size"]))

    async def _touch_from_bucket(
        self, path: str, created: float, e_tag: str | None, now: float
    ) -> None:
        with contextlib.suppress(BaseError, OSError):
            fetched = await obstore.get_async(self._bucket.client, path)
            data = bytes(await fetched.bytes_async())
            if fetched.meta["e_tag"] == e_tag:
                await self._touch(path, data, created, e_tag, now)

    async def _touch(
        self, path: str, data: bytes, created: float, e_tag: str | None, now: float
    ) -> None:
        """Record a use for LRU; only if the object is still the one just read."""
        if e_tag is None:
            return
        with contextlib.suppress(BaseError, OSError):
            await obstore.put_async(
                self._bucket.client,
                path,
                data,
                attributes=_attributes(created, now),
                mode={"e_tag": e_tag},
            )

    async def usage(self) -> CacheUsage:
        entries = await self._stamped(await self._list())
        now = self._clock()
        return CacheUsage(
            files=len(entries),
            bytes=sum(e.size for e in entries),
            expired_files=sum(1 for e in entries if self._expired(e, now)),
        )

    async def ready(self) -> bool:
        """The bucket answers a LIST with our credentials (for /readyz)."""
        try:
            await asyncio.wait_for(
                obstore.list_with_delimiter_async(self._bucket.client, self._prefix), timeout=5
            )
        except (BaseError, OSError, TimeoutError):
            return False
        return True

    # --- writes ------------------------------------------------------------------------

    async def put(self, key: MediaKey, data: bytes) -> None:
        path = self.path_for(key)
        now = self._clock()
        try:
            await obstore.put_async(
                self._bucket.client, path, data, attributes=_attributes(now, now), mode="overwrite"
            )
        except (BaseError, OSError) as exc:
            raise _unavailable(exc) from exc
        if self._sweep_delay <= 0:
            await self._enforce_budget(keep=path)
        elif self._sweep is None or self._sweep.done():
            self._sweep = asyncio.create_task(self._sweep_later())

    async def purge(self, mode: PurgeMode, dry_run: bool) -> PurgeReport:
        listed = await self._list()
        if mode is PurgeMode.ALL:
            victims = listed
        else:
            now = self._clock()
            victims = [e for e in await self._stamped(listed) if self._expired(e, now)]
        if not dry_run:
            await self._delete(e.path for e in victims)
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
        listed = await self._list()
        total = sum(e.size for e in listed)
        if total <= self._budget:
            return
        entries = await self._stamped(listed)
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
        await self._delete(victims)

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.created > self._ttl

    # --- bucket helpers ----------------------------------------------------------------

    async def _list(self) -> list[_Entry]:
        """Every chart under the prefix (size only; stamps are 0 until `_stamped`)."""
        entries: list[_Entry] = []
        try:
            async for page in obstore.list(
                self._bucket.client, prefix=self._prefix, chunk_size=1000
            ):
                for meta in page:
                    m = self._object.fullmatch(meta["path"])
                    if m and m.group(3).startswith(m.group(1) + m.group(2)):
                        entries.append(_Entry(meta["path"], meta["size"], 0.0, 0.0))
        except (BaseError, OSError) as exc:
            raise _unavailable(exc) from exc
        return entries

    async def _stamped(self, entries: Sequence[_Entry]) -> list[_Entry]:
        """The same entries with their stamps (one HEAD each); vanished ones dropped."""
        gate = asyncio.Semaphore(HEAD_CONCURRENCY)

        async def head(entry: _Entry) -> _Entry | None:
            async with gate:
                try:
                    result = await obstore.get_async(
                        self._bucket.client, entry.path, options={"head": True}
                    )
                except FileNotFoundError:
                    return None
            meta, attributes = result.meta, result.attributes
            created = _stamp(attributes, "created-at", meta["last_modified"])
            used = _stamp(attributes, "used-at", created)
            return _Entry(entry.path, meta["size"], created, used)

        try:
            found = await asyncio.gather(*(head(e) for e in entries))
        except (BaseError, OSError) as exc:
            raise _unavailable(exc) from exc
        return [e for e in found if e is not None]

    async def _delete(self, paths: Iterable[str]) -> None:
        batch = list(paths)
        try:
            for start in range(0, len(batch), DELETE_BATCH):
                await obstore.delete_async(self._bucket.client, batch[start : start + DELETE_BATCH])
        except (BaseError, OSError) as exc:
            raise _unavailable(exc) from exc


async def _body(result: GetResult, size: int) -> AsyncGenerator[bytes, None]:
    """The object's bytes in order; exactly `size` of them or an error."""
    sent = 0
    async for chunk in result.stream(min_chunk_size=STREAM_CHUNK_BYTES):
        piece = bytes(chunk)
        sent += len(piece)
        yield piece
    if sent != size:
        raise OSError(f"media object ended after {sent} of {size} bytes")


def _attributes(created: float, used: float) -> Attributes:
    return {"Content-Type": CONTENT_TYPE, "created-at": f"{created:.3f}", "used-at": f"{used:.3f}"}


def _stamp(attributes: Attributes, name: str, fallback: datetime | float) -> float:
    """A unix-seconds stamp from user metadata; the fallback for objects written by others."""
    raw = attributes.get(name)
    if raw is not None:
        with contextlib.suppress(ValueError):
            return float(raw)
    return fallback.timestamp() if isinstance(fallback, datetime) else fallback


__all__ = ["Bucket", "S3MediaStore", "open_bucket"]
