"""The feed's wake-ups and the stream slots on SQLite: one host (docs/stream.md).

Each process polls `MAX(seq)` of signal_event every `poll_seconds` (one indexed lookup) and
wakes every room when it moved. A user's open streams are counted across the processes of
the host with lock files next to the database: slot k of user U is an exclusive flock on
`<database>.streams/U.k`, released when the stream ends or its process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.persistence.engine import Database
from adapters.stream.reads import FeedReads
from domain.lifecycle.ports import SignalEventLog
from domain.stream.ports import Wake

_LAST_SEQ = 'SELECT MAX("seq") AS "last" FROM "signal_event"'


class _FileSlot:
    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops its flock
            self._fd = None


class SQLiteStreamBus(FeedReads):
    """The EventFeed (polling) and the StreamSlots (lock files) of a process."""

    def __init__(
        self, events: SignalEventLog, database: Database, path: Path, poll_seconds: float = 0.25
    ) -> None:
        super().__init__(events, database)
        self._slots_dir = path.with_name(path.name + ".streams")
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    async def watch(self, wake: Wake) -> None:
        self._task = asyncio.get_running_loop().create_task(self._poll(wake))

    async def _poll(self, wake: Wake) -> None:
        seen: Any = None
        while True:
            try:
                rows = await self._database.run(_LAST_SEQ)
                last = rows[0]["last"] if rows else None
                if last != seen:
                    seen = last
                    wake(None)
            except Exception:  # noqa: S110 - locked or away: the next tick tries again
                pass
            await asyncio.sleep(self._poll_seconds)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def acquire(self, user_id: UUID, limit: int) -> _FileSlot | None:
        self._slots_dir.mkdir(parents=True, exist_ok=True)
        for index in range(limit):
            fd = os.open(self._slots_dir / f"{user_id}.{index}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return _FileSlot(fd)
        return None
