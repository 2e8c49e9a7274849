"""S3RenderLock: single flight across hosts with a create-only conditional PUT.

`PUT <prefix>.locks/<key>` with `If-None-Match: *` succeeds for exactly one caller; the others
get 412 and poll until the holder DELETEs it. A holder that died leaves a lock whose
`expires-at` (metadata, the holder's clock + the lease) has passed: a waiter deletes it and
tries again. Worst case (a render longer than the lease, or two waiters breaking the same
stale lock) the chart is rendered twice, which is harmless: the key is a content address.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable

import obstore
from obstore.exceptions import AlreadyExistsError, BaseError, PreconditionError

from adapters.media.s3_bucket import Bucket, unavailable
from domain.errors import Overloaded
from domain.media.keys import MediaKey


class S3RenderLock:
    def __init__(
        self,
        bucket: Bucket,
        prefix: str,
        *,
        lease_seconds: float = 60.0,
        timeout_seconds: float = 180.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bucket, self._prefix = bucket, prefix
        self._lease, self._timeout, self._clock = lease_seconds, timeout_seconds, clock

    def path_for(self, key: MediaKey) -> str:
        return f"{self._prefix}.locks/{key.value}"

    @contextlib.asynccontextmanager
    async def hold(self, key: MediaKey) -> AsyncIterator[None]:
        path = self.path_for(key)
        token = secrets.token_hex(16).encode()
        deadline = time.monotonic() + self._timeout
        delay = 0.01
        while not await self._try_create(path, token):
            if time.monotonic() > deadline:
                raise Overloaded("waited too long for the same chart to render", 5)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
            await self._break_if_stale(path)
        try:
            yield
        finally:
            await self._release(path, token)

    async def _try_create(self, path: str, token: bytes) -> bool:
        expires = self._clock() + self._lease
        try:
            await obstore.put_async(
                self._bucket.client,
                path,
                token,
                mode="create",
                attributes={"Content-Type": "text/plain", "expires-at": f"{expires:.3f}"},
            )
        except (AlreadyExistsError, PreconditionError):
            return False  # held by someone else (412), or a create racing ours (409)
        except (BaseError, OSError) as exc:
            raise unavailable(exc) from exc
        return True

    async def _break_if_stale(self, path: str) -> None:
        try:
            head = await obstore.get_async(self._bucket.client, path, options={"head": True})
            expires = float(head.attributes.get("expires-at", "inf"))
        except (FileNotFoundError, ValueError):
            return
        except (BaseError, OSError) as exc:
            raise unavailable(exc) from exc
        if expires < self._clock():
            with contextlib.suppress(BaseError, OSError):
                await obstore.delete_async(self._bucket.client, path)

    async def _release(self, path: str, token: bytes) -> None:
        """Delete the lock if it is still ours (a broken stale lock may have been retaken)."""
        with contextlib.suppress(BaseError, OSError):
            current = await obstore.get_async(self._bucket.client, path)
            if bytes(await current.bytes_async()) == token:
                await obstore.delete_async(self._bucket.client, path)
