"""The rig of the group-commit tests (test_group_commit*.py): a migrated database, a user, a
repository that records its commit sizes, and a first add held inside its commit so that the
adds made meanwhile form one batch (docs/signals.md, "Group commit")."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from adapters.persistence.account_repositories import PiccoloUserRepository
from adapters.persistence.engine import Database
from adapters.persistence.signal_repository import PiccoloSignalRepository
from domain.accounts.model import User
from domain.signals import Signal
from tests.support.databases import migrated_engine
from tests.support.entities import a_signal

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
HOLD = "hold"


@dataclass
class Rig:
    db: Database
    repo: PiccoloSignalRepository
    user: UUID
    watcher: asyncpg.Connection | None  # PostgreSQL only
    sqlite_path: Path | None  # SQLite only
    commits: list[int] = field(default_factory=list)


async def make_rig(kind: str, tmp_path: Path) -> AsyncIterator[Rig]:
    async with migrated_engine(kind, tmp_path) as db:
        user = User(uuid4(), "grouped", T0)
        await PiccoloUserRepository().add(user)
        commits: list[int] = []
        repo = PiccoloSignalRepository(db, commit_batch_max=64, on_commit=commits.append)
        if kind == "sqlite":
            yield Rig(db, repo, user.id, None, tmp_path / "db" / "signalhub.sqlite3", commits)
            return
        watcher = await db.pool.acquire()
        try:
            yield Rig(db, repo, user.id, watcher, None, commits)
        finally:
            await db.pool.release(watcher)


def signal(user: UUID, **changes: Any) -> Signal:
    return a_signal(user_id=user, **changes)


async def raw_insert(conn: asyncpg.Connection, user: UUID, external_id: str) -> UUID:
    """PostgreSQL: a signal written the way no ingestion writes one (no advisory lock), a day
    before T0 on a key of its own; its id."""
    stored = uuid4()
    await conn.execute(
        "INSERT INTO signal (id, user_id, producer_id, instrument, side, price, time, version,"
        " external_id, status, payload, created_at, updated_at) VALUES"
        " ($1, $2, 'other', 'ZZZ', 'buy', 1, $3, '9', $4, 'new', '{}', $3, $3)",
        stored,
        user,
        T0 - timedelta(days=1),
        external_id,
    )
    return stored


async def hold_external_id(rig: Rig) -> Callable[[], Awaitable[None]]:
    """PostgreSQL: a transaction that inserted external_id HOLD and has not committed."""
    assert rig.watcher is not None
    conn = await rig.db.pool.acquire()
    tx = conn.transaction()
    await tx.start()
    await raw_insert(conn, rig.user, HOLD)

    async def let_go() -> None:
        await tx.rollback()
        await rig.db.pool.release(conn)

    return let_go


def hold_write_lock(rig: Rig) -> Callable[[], Awaitable[None]]:
    """SQLite: another connection holding the database's write lock (BEGIN IMMEDIATE)."""
    assert rig.sqlite_path is not None
    conn = sqlite3.connect(rig.sqlite_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")

    async def let_go() -> None:
        conn.rollback()
        conn.close()

    return let_go


async def insert_waits_on_a_lock(rig: Rig) -> bool:
    """Whether a call of signal_insert_batch is waiting for a lock (PostgreSQL)."""
    assert rig.watcher is not None
    return bool(
        await rig.watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE '%signal_insert_batch%'"
        )
    )


async def until(condition: Any, what: str) -> None:
    """Poll a condition (a state to reach, never a timing assertion)."""
    for _ in range(4000):
        if await condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never reached: {what}")


async def blocked_first_commit(
    rig: Rig,
) -> tuple[asyncio.Task[Signal], Callable[[], Awaitable[None]]]:
    """Start an add that blocks inside its (lone) commit; return it and how to let it go."""
    if rig.watcher is None:
        let_go = hold_write_lock(rig)
    else:
        let_go = await hold_external_id(rig)
    first = asyncio.create_task(rig.repo.add(signal(rig.user, external_id=HOLD), 300))

    async def first_waits() -> bool:
        if rig.watcher is None:  # SQLite: it cannot commit while the lock is held
            return rig.repo.group_commit.in_flight == 1
        return await insert_waits_on_a_lock(rig)

    await until(first_waits, "the first commit waits for the holder")
    assert rig.repo.group_commit.in_flight == 1 and rig.commits == [1]
    assert not first.done()
    return first, let_go


async def numbered_events(rig: Rig) -> list[tuple[int, UUID]]:
    """(event id, signal id) of the user's events, in id order, once all are numbered."""
    if rig.watcher is not None:
        await rig.watcher.fetchval("SELECT signal_event_assign_ids($1)", rig.user)
    rows = await rig.db.run(
        'SELECT "id", "signal_id" FROM "signal_event" WHERE "user_id" = {} ORDER BY "id"',
        rig.user,
    )
    return [(int(r["id"]), UUID(str(r["signal_id"]))) for r in rows]


async def queued(rig: Rig, adds: list[Awaitable[Signal]]) -> list[asyncio.Task[Signal]]:
    tasks = [asyncio.ensure_future(a) for a in adds]

    async def all_waiting() -> bool:
        return rig.repo.group_commit.waiting == len(tasks)

    await until(all_waiting, f"{len(tasks)} adds queued behind the held commit")
    return tasks


async def xmins(rig: Rig, ids: list[UUID]) -> set[str]:
    assert rig.watcher is not None
    rows = await rig.watcher.fetch("SELECT xmin::text AS x FROM signal WHERE id = ANY($1)", ids)
    assert len(rows) == len(ids)
    return {r["x"] for r in rows}
