"""The feed's wake-ups and the stream slots on PostgreSQL (docs/stream.md).

One connection per process, outside the pool, LISTENs on the `signal_event` channel
(migrations/m0005: every inserted event notifies its user's id at commit) and holds the
session advisory locks that count a user's open streams across processes: slot k of user U
is the lock (hash(U) << 32) | k; a process that dies loses its connection and with it its
slots. A NOTIFY is only a wake-up: the hub then reads the events table. If the connection
drops, it is opened again, its slots taken again and every room re-read; and every
`safety_seconds` every room is re-read anyway, so a lost notification delays an event by at
most that, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import structlog

from adapters.persistence.engine import Database
from adapters.stream.reads import FeedReads
from domain.errors import Overloaded
from domain.lifecycle.ports import SignalEventLog
from domain.stream.ports import Wake

CHANNEL = "signal_event"
# The first free slot. CASE fixes the order of evaluation: PostgreSQL may reorder the parts
# of an AND, and trying a lock this session already holds would take it a second time.
_TRY_SLOT = (
    "SELECT s FROM generate_series(0, $2::int - 1) AS s "
    "WHERE CASE WHEN s = ANY($3::int[]) THEN false "
    "ELSE pg_try_advisory_lock(($1::bigint << 32) | s) END LIMIT 1"
)
_RELOCK = "SELECT pg_try_advisory_lock(($1::bigint << 32) | $2::int)"
_UNLOCK = "SELECT pg_advisory_unlock(($1::bigint << 32) | $2::int)"

log = structlog.get_logger("signalhub.stream")


def _user_key(user_id: UUID) -> int:
    """A signed 32-bit key per user (two users may share one: they then share their slots)."""
    return int.from_bytes(
        hashlib.blake2b(user_id.bytes, digest_size=4).digest(), "big", signed=True
    )


class _Slot:
    def __init__(self, owner: PostgresStreamBus, user_id: UUID, index: int) -> None:
        self._owner, self.user_id, self.index = owner, user_id, index
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._owner.give_back(self)


class PostgresStreamBus(FeedReads):
    """The EventFeed and the StreamSlots of a process, on one LISTENing connection."""

    def __init__(
        self, events: SignalEventLog, database: Database, dsn: str, safety_seconds: float = 30.0
    ) -> None:
        super().__init__(events, database)
        self._dsn = dsn
        self._safety_seconds = safety_seconds
        self._conn: Any = None
        self._lock = asyncio.Lock()  # one query at a time on the connection
        self._wake: Wake | None = None
        self._held: dict[UUID, set[int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    async def watch(self, wake: Wake) -> None:
        self._wake = wake
        await self._connect()
        self._spawn(self._safety_loop())

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self._dsn)
        await conn.add_listener(CHANNEL, self._notified)
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if self._wake is not None:
            try:
                user_id = UUID(payload)
            except ValueError:
                return
            self._wake(user_id)

    def _lost(self, _conn: Any) -> None:
        if not self._closing:
            log.warning("stream_listener_lost")
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.2
        while not self._closing:
            try:
                async with self._lock:
                    await self._connect()
                    for user_id, slots in self._held.items():
                        for index in slots:  # best effort: another process may have it now
                            await self._conn.fetchval(_RELOCK, _user_key(user_id), index)
                break
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if self._wake is not None:
            self._wake(None)  # notifications may have been missed meanwhile

    async def _safety_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._safety_seconds)
            if self._wake is not None:
                self._wake(None)

    async def acquire(self, user_id: UUID, limit: int) -> _Slot | None:
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                raise Overloaded("the stream listener is reconnecting to the database", 1)
            held = self._held.setdefault(user_id, set())
            index = await self._conn.fetchval(_TRY_SLOT, _user_key(user_id), limit, list(held))
            if index is None:
                if not held:
                    del self._held[user_id]
                return None
            held.add(index)
            return _Slot(self, user_id, index)

    def give_back(self, slot: _Slot) -> None:
        self._spawn(self._unlock(slot))

    async def _unlock(self, slot: _Slot) -> None:
        async with self._lock:
            held = self._held.get(slot.user_id)
            if held is not None:
                held.discard(slot.index)
                if not held:
                    del self._held[slot.user_id]
            if self._conn is not None and not self._conn.is_closed():
                with contextlib.suppress(OSError, asyncpg.PostgresError):
                    await self._conn.fetchval(_UNLOCK, _user_key(slot.user_id), slot.index)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close(timeout=2)
