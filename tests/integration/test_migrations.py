"""Stairway: every migration forwards, backwards and forwards again, on both engines."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.persistence.engine import Database
from adapters.persistence.migrator import (
    applied_ids,
    discover,
    migrate_backwards,
    migrate_forwards,
)
from tests.support.databases import database_settings


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
        assert {"app_user", "api_token", "producer", "signal"} <= await _tables(db)
        assert _PRODUCER_SPEC11 <= await _columns(db, "producer")
        assert await migrate_forwards(db) == []
        for migration in reversed(migrations):
            assert await migrate_backwards(db, 1) == [migration.id]
            if migration.id.startswith("0004_"):
                assert not _PRODUCER_SPEC11 & await _columns(db, "producer")
        assert await applied_ids(db) == []
        assert not {"app_user", "api_token", "producer", "signal"} & await _tables(db)
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
