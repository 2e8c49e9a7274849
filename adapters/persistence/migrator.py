"""Apply the migrations in `migrations/` in order, recording each in `schema_migration`.

Concurrent runners are serialised by the database: an advisory lock on PostgreSQL, an
immediate (write-locking) transaction on SQLite.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

import migrations

_LOCK_KEY = 7_203_114_551  # arbitrary, fixed: the advisory lock that serialises migrators


@dataclass(frozen=True, slots=True)
class Migration:
    id: str
    forwards: Callable[[str], list[str]]
    backwards: Callable[[str], list[str]]


def discover() -> list[Migration]:
    found: list[Migration] = []
    for info in pkgutil.iter_modules(migrations.__path__):
        if not info.name.startswith("m"):
            continue
        module: ModuleType = importlib.import_module(f"migrations.{info.name}")
        found.append(Migration(module.ID, module.forwards, module.backwards))
    found.sort(key=lambda m: m.id)
    ids = [m.id for m in found]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"duplicate migration ids in migrations/: {ids}")
    return found


def _dialect(engine: Engine[Any]) -> str:
    return "sqlite" if isinstance(engine, SQLiteEngine) else "postgres"


async def _run(engine: Engine[Any], sql: str, *args: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await engine.run_querystring(QueryString(sql, *args))
    return result or []


def _transaction(engine: Engine[Any]) -> Any:
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def _prepare(engine: Engine[Any]) -> None:
    if not isinstance(engine, SQLiteEngine):
        await _run(engine, "SELECT pg_advisory_xact_lock({})", _LOCK_KEY)
    await _run(
        engine,
        'CREATE TABLE IF NOT EXISTS "schema_migration" '
        '("id" VARCHAR(100) PRIMARY KEY NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL '
        "DEFAULT current_timestamp)",
    )


async def _enable_wal(engine: SQLiteEngine) -> None:
    """WAL lets readers run while a writer commits, across processes (a persistent setting).

    Switching the journal mode needs the database to itself and SQLite's busy handler does not
    wait for that, so a migrator racing another one retries briefly.
    """
    for attempt in range(100):
        try:
            rows = await _run(engine, "PRAGMA journal_mode")
            if rows and str(next(iter(rows[0].values()))).lower() == "wal":
                return
            await _run(engine, "PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            await asyncio.sleep(0.05)


async def applied_ids(engine: Engine[Any]) -> list[str]:
    rows = await _run(engine, 'SELECT "id" FROM "schema_migration" ORDER BY "id"')
    return [str(r["id"]) for r in rows]


async def migrate_forwards(engine: Engine[Any]) -> list[str]:
    """Apply every pending migration; return the ids applied now (empty when up to date)."""
    if isinstance(engine, SQLiteEngine):
        await _enable_wal(engine)
    applied_now: list[str] = []
    async with _transaction(engine):
        await _prepare(engine)
        done = set(await applied_ids(engine))
        for migration in discover():
            if migration.id in done:
                continue
            for statement in migration.forwards(_dialect(engine)):
                await _run(engine, statement)
            await _run(engine, 'INSERT INTO "schema_migration" ("id") VALUES ({})', migration.id)
            applied_now.append(migration.id)
    return applied_now


async def migrate_backwards(engine: Engine[Any], steps: int = 1) -> list[str]:
    """Undo the last `steps` applied migrations; return the ids undone."""
    undone: list[str] = []
    async with _transaction(engine):
        await _prepare(engine)
        done = await applied_ids(engine)
        by_id = {m.id: m for m in discover()}
        for migration_id in reversed(done[-steps:] if steps else []):
            for statement in by_id[migration_id].backwards(_dialect(engine)):
                await _run(engine, statement)
            await _run(engine, 'DELETE FROM "schema_migration" WHERE "id" = {}', migration_id)
            undone.append(migration_id)
    return undone
