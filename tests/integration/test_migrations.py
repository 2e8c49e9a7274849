"""Stairway: every migration forwards, backwards and forwards again, on both engines."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from adapters.persistence import migrator
from adapters.persistence.engine import Database
from adapters.persistence.migrator import (
    applied_ids,
    discover,
    migrate_backwards,
    migrate_forwards,
)
from adapters.persistence.signal_lifecycle import PiccoloSignalLifecycle
from adapters.persistence.signal_repository import PiccoloSignalRepository
from domain.lifecycle import EventType
from domain.signals import Side, Signal, SignalStatus
from tests.support.databases import database_settings

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


ALL_TABLES = ("app_user", "api_token", "producer", "signal", "signal_event", "event_counter")


async def _tables(db: Database) -> set[str]:
    if db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    return {r["name"] for r in await db.run(sql)}


async def _columns(db: Database, table: str) -> set[str]:
    if db.dialect == "sqlite":
        sql = f"SELECT name FROM pragma_table_info('{table}')"
    else:
        sql = f"SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}'"
    return {r["name"] for r in await db.run(sql)}


_PRODUCER_SPEC11 = {"tradingview_token_hash", "allowed_cidrs"}


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/nested/dir/db.sqlite3"
    return str(request.getfixturevalue("pg_database_url"))


async def test_stairway(url: str) -> None:
    db = Database.at(database_settings(url))
    await db.start()
    try:
        migrations = discover()
        assert [m.id for m in migrations] == sorted(m.id for m in migrations)
        assert await migrate_forwards(db) == [m.id for m in migrations]
        assert await applied_ids(db) == [m.id for m in migrations]
        assert set(ALL_TABLES) <= await _tables(db)
        assert _PRODUCER_SPEC11 <= await _columns(db, "producer")
        assert await migrate_forwards(db) == []
        for migration in reversed(migrations):
            assert await migrate_backwards(db, 1) == [migration.id]
            if migration.id.startswith("0004_"):
                assert not _PRODUCER_SPEC11 & await _columns(db, "producer")
        assert await applied_ids(db) == []
        assert not set(ALL_TABLES) & await _tables(db)
        assert await migrate_forwards(db) == [m.id for m in migrations]
    finally:
        await db.stop()


async def test_concurrent_migrators_apply_once(url: str) -> None:
    engines = [Database.at(database_settings(url)) for _ in range(3)]
    for db in engines:
        await db.start()
    try:
        results = await asyncio.gather(*(migrate_forwards(db) for db in engines))
        assert sorted(len(r) for r in results) == [0, 0, len(discover())]
    finally:
        for db in engines:
            await db.stop()


async def test_signals_made_before_the_lifecycle_upgrade_intact(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made by m0001+m0002, with signals, gets m0003: every signal reads back as
    it was, at revision 1 with the lifecycle fields null, and with its created event."""
    everything = discover()
    before_lifecycle = [m for m in everything if m.id < "0003"]
    db = Database.at(database_settings(url))
    await db.start()
    try:
        monkeypatch.setattr(migrator, "discover", lambda: before_lifecycle)
        assert await migrate_forwards(db) == ["0001_initial", "0002_signal_insert_function"]
        alice, bob = uuid4(), uuid4()
        made: list[Signal] = []
        for user in (alice, bob):
            await _sql(db, "INSERT INTO app_user (id, name, created_at) VALUES ({}, 'u', {})",
                       user, T0)  # fmt: skip
        for i, user in enumerate((alice, bob, alice, alice)):
            made.append(
                Signal(
                    id=uuid4(), user_id=user, producer_id=f"relay-{i}", instrument="XAUUSD",
                    side=Side.SELL if i % 2 else Side.BUY, price=1950.25 + i,
                    time=T0 + timedelta(hours=i), version="1", external_id=f"e-{i}",
                    status=SignalStatus.NEW, payload={"i": i, "s": "ünï"},
                    created_at=T0 + timedelta(seconds=10 - i),
                    updated_at=T0 + timedelta(seconds=10 - i),
                )
            )  # fmt: skip
        for s in made:
            await _sql(
                db,
                "INSERT INTO signal (id, user_id, producer_id, instrument, side, price, time, "
                "version, external_id, status, payload, created_at, updated_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                s.id, s.user_id, s.producer_id, s.instrument, s.side.value, s.price, s.time,
                s.version, s.external_id, s.status.value, json.dumps(s.payload),
                s.created_at, s.updated_at,
            )  # fmt: skip
        monkeypatch.setattr(migrator, "discover", lambda: everything)
        assert await migrate_forwards(db) == [m.id for m in everything[2:]]

        db.bind_tables()
        signals, lifecycle = PiccoloSignalRepository(db), PiccoloSignalLifecycle(db)
        for s in made:
            stored = await signals.get(s.id)
            assert stored == s
            assert stored is not None and stored.revision == 1 and stored.pnl is None
        # Created events numbered per user in creation order (alice: 3, 2, 0; bob: 1).
        trail = await lifecycle.for_user_after(alice, 0, 10)
        assert [(e.id, e.signal_id) for e in trail] == [
            (1, made[3].id), (2, made[2].id), (3, made[0].id)
        ]  # fmt: skip
        assert trail[2].actor == "producer:relay-0" and trail[2].at == made[0].created_at
        assert trail[2].type is EventType.CREATED and trail[2].from_status is None
        # The counter goes on from there.
        later = replace(made[0], id=uuid4(), external_id="later", created_at=T0 + timedelta(1))
        await signals.add(later, 0)
        assert [e.id for e in await lifecycle.for_signal(later.id)] == [4]
        assert [e.id for e in await lifecycle.for_user_after(bob, 0, 10)] == [1]
    finally:
        await db.stop()


async def _sql(db: Database, sql: str, *args: Any) -> None:
    await db.run(sql, *args)
