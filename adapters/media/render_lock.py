"""FileRenderLock: per-key mutual exclusion across processes, on files under MEDIA_DIR/.locks."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

from domain.errors import Overloaded
from domain.media.keys import MediaKey


class FileRenderLock:
    """Per-key mutual exclusion across processes: flock on one of 4096 stripe files.

    Polls with LOCK_NB instead of blocking a thread, so waiters never exhaust the
    executor that file I/O needs (the holder may need it to finish).
    """

    def __init__(self, root: Path, timeout_seconds: float = 180.0) -> None:
        self._dir = Path(root).resolve() / ".locks"
        self._timeout = timeout_seconds

    @contextlib.asynccontextmanager
    async def hold(self, key: MediaKey) -> AsyncIterator[None]:
        self._dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._dir / f"render-{key.value[:3]}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + self._timeout
            delay = 0.005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Overloaded(
                            "waited too long for the same chart to render", 5
                        ) from None
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 0.05)
            yield
        finally:
            os.close(fd)
