"""PostgreSQL: why no reader can see event id N+1 before N (docs/lifecycle.md), step by step.

Ingestion stores its event without an id and never waits for the user's event_counter row.
Ids are given by signal_event_assign_ids, which holds that row until its transaction ends:
the next numberer waits for it, continues after a commit and starts again from the same id
after a rollback. Raw asyncpg connections hold the transactions open between the steps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
import pytest

from adapters.persistence.engine import Database
from adapters.persistence.migrator import migrate_forwards
from adapters.persistence.signal_insert_postgres import INSERT_BATCH
from tests.support.databases import database_settings

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.fixture
async def dsn(pg_database_url: str) -> AsyncIterator[str]:
    db = Database.at(database_settings(pg_database_url))
    await db.start()
    try:
        await migrate_forwards(db)
    finally:
        await db.stop()
    yield pg_database_url


async def _user(conn: asyncpg.Connection) -> UUID:
    user = uuid4()
    await conn.execute("INSERT INTO app_user (id, name, created_at) VALUES ($1, 'u', $2)", user, T0)
    return user


async def _ingest(conn: asyncpg.Connection, user: UUID, n: int) -> None:
    """The ingestion call of the repository, a batch of one (window rule off)."""
    refused = await conn.fetch(
        INSERT_BATCH,
        [uuid4()], [user], ["relay-1"], ["XAUUSD"], ["buy"], [1.0], [T0], [str(n)], [None],
        ["new"], [T0], ["{}"], [0],
    )  # fmt: skip
    assert refused == []  # a row only for a refused signal


async def _assign(conn: asyncpg.Connection, user: UUID) -> int:
    """Number the user's waiting events; the last id given."""
    return int(await conn.fetchval("SELECT signal_event_assign_ids($1)", user))


async def _waiting(conn: asyncpg.Connection, user: UUID) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM signal_event WHERE user_id = $1 AND id IS NULL", user
        )
    )


async def _visible_ids(conn: asyncpg.Connection, user: UUID) -> list[int]:
    """The ids a reader sees (events still waiting for an id are not delivered yet)."""
    rows = await conn.fetch(
        "SELECT id FROM signal_event WHERE user_id = $1 AND id IS NOT NULL ORDER BY id", user
    )
    return [r["id"] for r in rows]


async def _wait_until_blocked(watcher: asyncpg.Connection, pid: int) -> None:
    """Until backend `pid` waits for a lock (a condition, not a timing assertion)."""
    for _ in range(2000):
        state = await watcher.fetchval(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
        )
        if state == "Lock":
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the second writer never waited for the counter row")


@pytest.mark.parametrize("first_ends_with", ["commit", "rollback"])
async def test_the_next_ids_wait_for_the_transaction_holding_the_last(
    dsn: str, first_ends_with: str
) -> None:
    first, second, reader = [await asyncpg.connect(dsn) for _ in range(3)]
    try:
        user = await _user(reader)
        await _ingest(reader, user, 0)
        assert await _assign(reader, user) == 1
        await _ingest(reader, user, 1)
        open_tx = first.transaction()
        await open_tx.start()
        assert await _assign(first, user) == 2  # id 2 given, not committed
        # Ingestion does not wait for the counter row held by `first`.
        await _ingest(reader, user, 2)
        assert await _waiting(reader, user) == 2  # 1 and 2 as `first` left them: no id yet
        waiting = asyncio.create_task(_assign(second, user))
        await _wait_until_blocked(reader, second.get_server_pid())
        assert not waiting.done()
        assert await _visible_ids(reader, user) == [1]
        if first_ends_with == "commit":
            await open_tx.commit()
            assert await waiting == 3
        else:
            await open_tx.rollback()
            assert await waiting == 3  # 2 is given again (to the same event): no gap
        assert await _visible_ids(reader, user) == [1, 2, 3]
        assert await _waiting(reader, user) == 0
    finally:
        for conn in (first, second, reader):
            await conn.close()


async def test_concurrent_writers_and_numberers_give_dense_ordered_ids(dsn: str) -> None:
    """Eight connections ingest one user's signals and number its events in explicit
    transactions that do more work after numbering; a reader polling meanwhile only ever
    sees ids 1..k."""
    writers = [await asyncpg.connect(dsn) for _ in range(8)]
    reader = await asyncpg.connect(dsn)
    try:
        user = await _user(reader)
        seen: list[list[int]] = []
        done = asyncio.Event()

        async def write(conn: asyncpg.Connection, w: int) -> None:
            for i in range(10):
                await _ingest(conn, user, w * 100 + i)
                async with conn.transaction():
                    await _assign(conn, user)
                    await conn.execute("SELECT pg_sleep(0)")  # work between ids and commit

        async def watch() -> None:
            while not done.is_set():
                seen.append(await _visible_ids(reader, user))

        watching = asyncio.create_task(watch())
        await asyncio.gather(*(write(c, w) for w, c in enumerate(writers)))
        done.set()
        await watching
        assert await _assign(reader, user) == 80
        assert await _visible_ids(reader, user) == list(range(1, 81))
        assert all(ids == list(range(1, len(ids) + 1)) for ids in seen)
        assert len({len(ids) for ids in seen}) > 1  # the reader did watch it grow
    finally:
        for conn in (*writers, reader):
            await conn.close()
