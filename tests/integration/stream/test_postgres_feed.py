"""The stream on a real PostgreSQL: LISTEN/NOTIFY wakes the hub, the events table decides.

The out-of-order test holds one transaction with event id N uncommitted while a later one
(a transition, which takes id N+1 and more) tries to commit first, and shows that the stream
sends nothing meanwhile and then N, N+1, … in order: the later writer has to wait for the
user's counter row (docs/lifecycle.md), and so does the stream's own read.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import pytest

from adapters.persistence.engine import Database
from adapters.persistence.migrator import migrate_forwards
from adapters.persistence.signal_lifecycle import PiccoloSignalLifecycle
from adapters.persistence.signal_repository import PiccoloSignalRepository
from adapters.stream.postgres import PostgresStreamBus
from application.stream import OpenStream, OpenStreamRequest, StreamHub, StreamPolicy
from domain.identity import Caller
from domain.signals.model import Side, Signal, SignalStatus
from tests.fakes.stream import FakeStreamMetrics
from tests.support.databases import create_pg_database, database_settings, drop_pg_database

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
DEADLINE = 10.0


@pytest.fixture
async def pg() -> AsyncIterator[tuple[Database, str]]:
    url = await create_pg_database()
    database = Database.at(database_settings(url))
    await database.start()
    try:
        await migrate_forwards(database)
        database.bind_tables()
        yield database, url
    finally:
        await database.stop()
        await drop_pg_database(url)


async def _user(db: Database) -> UUID:
    user = uuid.uuid4()
    await db.run("INSERT INTO app_user (id, name, created_at) VALUES ({}, 'u', {})", user, T0)
    return user


async def _ingest(db: Database, user: UUID, n: int) -> Signal:
    signal = Signal(
        id=uuid.uuid4(), user_id=user, producer_id="relay", instrument="XAUUSD",
        side=Side.BUY, price=1.0, time=T0, version=str(n), external_id=None,
        status=SignalStatus.NEW, payload={}, created_at=T0, updated_at=T0,
    )  # fmt: skip
    return await PiccoloSignalRepository(db).add(signal, 0)


async def _until(condition: object, what: str) -> None:
    async def wait() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(wait(), DEADLINE)
    except TimeoutError:
        raise AssertionError(f"not within {DEADLINE}s: {what}") from None


async def test_a_commit_wakes_the_listener_and_the_table_has_the_event(
    pg: tuple[Database, str],
) -> None:
    db, url = pg
    bus = PostgresStreamBus(PiccoloSignalLifecycle(db), db, url)
    woken: list[UUID | None] = []
    await bus.watch(woken.append)
    try:
        user = await _user(db)
        signal = await _ingest(db, user, 1)
        await _until(lambda: user in woken, "a NOTIFY for the user")
        (item,) = await bus.after(user, 0, 10)
        assert item.event.id == 1 and item.signal.id == signal.id
        # A rolled-back event notifies nobody and is never read.
        conn = await asyncpg.connect(url)
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, "
                    "from_status, to_status, note) VALUES ($1, NULL, $2, 'signal.created', "
                    "$3, 'x', NULL, 'new', NULL)",
                    user, signal.id, T0,
                )  # fmt: skip
                raise _Rollback
        except _Rollback:
            pass
        finally:
            await conn.close()
        assert await bus.after(user, 1, 10) == []
    finally:
        await bus.close()


class _Rollback(Exception):
    pass


async def test_the_stream_never_sends_n_plus_1_before_n_when_commits_come_out_of_order(
    pg: tuple[Database, str],
) -> None:
    db, url = pg
    bus = PostgresStreamBus(PiccoloSignalLifecycle(db), db, url)
    hub = StreamHub(bus, FakeStreamMetrics(), StreamPolicy(1000, 60, 10))
    await hub.start()
    first = await asyncpg.connect(url)
    second = await asyncpg.connect(url)
    watcher = await asyncpg.connect(url)
    try:
        user = await _user(db)
        one = await _ingest(db, user, 1)
        stream = await OpenStream(hub, bus)(Caller(user), OpenStreamRequest(None, None, None))
        got: list[int] = []

        async def read() -> None:
            async for message in stream:
                if isinstance(message, list):
                    got.extend(d.id for d in message)

        reading = asyncio.create_task(read())
        await _until(lambda: got == [1] and stream.live, "event 1, live")

        # `first` writes two signals with their events and gives them ids 2 and 3, and
        # does not commit yet.
        held = first.transaction()
        await held.start()
        for n in (2, 3):
            signal_id = uuid.uuid4()
            await first.execute(
                "INSERT INTO signal (id, user_id, producer_id, instrument, side, price, time, "
                "version, status, payload, created_at, updated_at) VALUES ($1, $2, 'relay', "
                "'XAUUSD', 'buy', 1.0, $3, $4, 'new', '{}', $3, $3)",
                signal_id, user, T0, str(n),
            )  # fmt: skip
            await first.execute(
                "INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, "
                "from_status, to_status, note) VALUES ($1, NULL, $2, 'signal.created', $3, "
                "'producer:relay', NULL, 'new', NULL)",
                user, signal_id, T0,
            )  # fmt: skip
        assert await first.fetchval("SELECT signal_event_assign_ids($1)", user) == 3
        # `second` moves signal 1 (its event would be id 4) and tries to commit first.
        later = asyncio.create_task(
            second.fetchval(
                "SELECT signal_transition($1, 'new', 1, 'approved', 2, NULL, NULL, NULL, "
                "NULL, NULL, NULL, $2, 'user:x', NULL)",
                one.id,
                T0,
            )
        )
        hub.wake(user)  # and the stream reads meanwhile

        async def blocked() -> int:
            return int(
                await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )

        # The transition and the stream's own read both wait for `first`'s counter row.
        for _ in range(int(DEADLINE / 0.01)):
            if await blocked() >= 2:
                break
            await asyncio.sleep(0.01)
        assert await blocked() >= 2
        assert not later.done() and got == [1]  # nothing past 1 while 2 and 3 are open
        await held.commit()
        assert await asyncio.wait_for(later, DEADLINE) == 4
        await _until(lambda: len(got) >= 4, "events 2, 3 and 4")
        assert got == [1, 2, 3, 4]
        reading.cancel()
    finally:
        for conn in (first, second, watcher):
            await conn.close()
        await hub.stop_streams()
        await hub.close()
