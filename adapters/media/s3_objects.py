"""The charts under one prefix of a bucket, as objects: where a key lives, its stamps
(user metadata `created-at` / `used-at`, unix seconds), listing, conditional rewrites and
batched deletes. The cache policy (TTL, LRU, budget) is S3MediaStore's (s3.py)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import obstore
from obstore.exceptions import BaseError

from adapters.media.s3_bucket import Bucket, unavailable
from domain.media.keys import MediaKey

if TYPE_CHECKING:
    from obstore import Attributes, GetResult

DELETE_BATCH = 1000  # the most keys one S3 DeleteObjects request takes
HEAD_CONCURRENCY = 16
STREAM_CHUNK_BYTES = 64 * 1024
CONTENT_TYPE = "image/png"


@dataclass(frozen=True, slots=True)
class ChartObject:
    path: str
    size: int
    created: float
    used: float


@dataclass(frozen=True, slots=True)
class Fetched:
    """A GET whose body is not read yet, with the object's stamps."""

    result: GetResult
    chart: ChartObject
    e_tag: str | None


class ChartObjects:
    def __init__(self, bucket: Bucket, prefix: str) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._object = re.compile(
            re.escape(prefix) + r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.png"
        )

    @property
    def prefix(self) -> str:
        return self._prefix

    def path_for(self, key: MediaKey) -> str:
        k = key.value  # 64 hex chars, checked by MediaKey: the name cannot leave the prefix
        return f"{self._prefix}{k[:2]}/{k[2:4]}/{k}.png"

    async def fetch(self, path: str) -> Fetched | None:
        """Start a GET (None when absent); the bucket failing raises Overloaded."""
        try:
            result = await obstore.get_async(self._bucket.client, path)
        except FileNotFoundError:
            return None
        except (BaseError, OSError) as exc:
            raise unavailable(exc) from exc
        return Fetched(result, _chart(path, result), result.meta["e_tag"])

    async def read(self, fetched: Fetched) -> bytes | None:
        """The whole body of a started GET; None if the object went away meanwhile (purged,
        evicted): absent, never half."""
        try:
            data = bytes(await fetched.result.bytes_async())
        except (BaseError, OSError):
            return None
        return data if len(data) == fetched.chart.size else None

    async def read_unchanged(self, path: str, e_tag: str | None) -> bytes | None:
        """The object's bytes if it is still the version `e_tag` names; else None."""
        with contextlib.suppress(BaseError, OSError):
            fetched = await obstore.get_async(self._bucket.client, path)
            if fetched.meta["e_tag"] == e_tag:
                return bytes(await fetched.bytes_async())
        return None

    async def put(self, path: str, data: bytes, created: float) -> None:
        try:
            await obstore.put_async(
                self._bucket.client,
                path,
                data,
                attributes=_attributes(created, created),
                mode="overwrite",
            )
        except (BaseError, OSError) as exc:
            raise unavailable(exc) from exc

    async def restamp(
        self, path: str, data: bytes, created: float, used: float, e_tag: str | None
    ) -> None:
        """Rewrite `used-at`, only if the object is still the one just read (a purged
        object is never brought back); best effort."""
        if e_tag is None:
            return
        with contextlib.suppress(BaseError, OSError):
            await obstore.put_async(
                self._bucket.client,
                path,
                data,
                attributes=_attributes(created, used),
                mode={"e_tag": e_tag},
            )

    async def reachable(self) -> bool:
        """The bucket answers a LIST with our credentials (for /readyz)."""
        try:
            await asyncio.wait_for(
                obstore.list_with_delimiter_async(self._bucket.client, self._prefix), timeout=5
            )
        except (BaseError, OSError, TimeoutError):
            return False
        return True

    async def everything(self) -> list[ChartObject]:
        """Every chart under the prefix (size only; stamps are 0 until `stamped`)."""
        entries: list[ChartObject] = []
        try:
            async for page in obstore.list(
                self._bucket.client, prefix=self._prefix, chunk_size=1000
            ):
                for meta in page:
                    m = self._object.fullmatch(meta["path"])
                    if m and m.group(3).startswith(m.group(1) + m.group(2)):
                        entries.append(ChartObject(meta["path"], meta["size"], 0.0, 0.0))
        except (BaseError, OSError) as exc:
            raise unavailable(exc) from exc
        return entries

    async def stamped(self, entries: Sequence[ChartObject]) -> list[ChartObject]:
        """The same entries with their stamps (one HEAD each); vanished ones dropped."""
        gate = asyncio.Semaphore(HEAD_CONCURRENCY)

        async def head(entry: ChartObject) -> ChartObject | None:
            async with gate:
                try:
                    result = await obstore.get_async(
                        self._bucket.client, entry.path, options={"head": True}
                    )
                except FileNotFoundError:
                    return None
            return _chart(entry.path, result)

        try:
            found = await asyncio.gather(*(head(e) for e in entries))
        except (BaseError, OSError) as exc:
            raise unavailable(exc) from exc
        return [e for e in found if e is not None]

    async def delete(self, paths: Iterable[str]) -> None:
        batch = list(paths)
        try:
            for start in range(0, len(batch), DELETE_BATCH):
                await obstore.delete_async(self._bucket.client, batch[start : start + DELETE_BATCH])
        except (BaseError, OSError) as exc:
            raise unavailable(exc) from exc


async def body(result: GetResult, size: int) -> AsyncGenerator[bytes, None]:
    """The object's bytes in order; exactly `size` of them or an error."""
    sent = 0
    async for chunk in result.stream(min_chunk_size=STREAM_CHUNK_BYTES):
        piece = bytes(chunk)
        sent += len(piece)
        yield piece
    if sent != size:
        raise OSError(f"media object ended after {sent} of {size} bytes")


def _chart(path: str, result: GetResult) -> ChartObject:
    meta, attributes = result.meta, result.attributes
    created = _stamp(attributes, "created-at", meta["last_modified"])
    return ChartObject(path, meta["size"], created, _stamp(attributes, "used-at", created))


def _attributes(created: float, used: float) -> Attributes:
    return {"Content-Type": CONTENT_TYPE, "created-at": f"{created:.3f}", "used-at": f"{used:.3f}"}


def _stamp(attributes: Attributes, name: str, fallback: datetime | float) -> float:
    """A unix-seconds stamp from user metadata; the fallback for objects written by others."""
    raw = attributes.get(name)
    if raw is not None:
        with contextlib.suppress(ValueError):
            return float(raw)
    return fallback.timestamp() if isinstance(fallback, datetime) else fallback
