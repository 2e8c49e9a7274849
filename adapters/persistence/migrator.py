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

import migrations
from adapters.persistence.engine import Database

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


async def _prepare(db: Database) -> None:
    if db.dialect == "postgres":
        await db.run("SELECT pg_advisory_xact_lock({})", _LOCK_KEY)
    await db.run(
        'CREATE TABLE IF NOT EXISTS "schema_migration" '
        '("id" VARCHAR(100) PRIMARY KEY NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL '
        "DEFAULT current_timestamp)",
    )


async def _enable_wal(db: Database) -> None:
    """WAL lets readers run while a writer commits, across processes (a persistent setting).

    Switching the journal mode needs the database to itself and SQLite's busy handler does not
    wait for that, so a migrator racing another one retries briefly.
    """
    for attempt in range(100):
        try:
            rows = await db.run("PRAGMA journal_mode")
            if rows and str(next(iter(rows[0].values()))).lower() == "wal":
                return
            await db.run("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            await asyncio.sleep(0.05)


async def applied_ids(db: Database) -> list[str]:
    rows = await db.run('SELECT "id" FROM "schema_migration" ORDER BY "id"')
    return [str(r["id"]) for r in rows]


async def migrate_forwards(db: Database) -> list[str]:
    """Apply every pending migration; return the ids applied now (empty when up to date)."""
    if db.dialect == "sqlite":
        await _enable_wal(db)
    applied_now: list[str] = []
    async with db.write_transaction():
        await _prepare(db)
        done = set(await applied_ids(db))
        for migration in discover():
            if migration.id in done:
                continue
            for statement in migration.forwards(db.dialect):
                await db.run(statement)
            await db.run('INSERT INTO "schema_migration" ("id") VALUES ({})', migration.id)
            applied_now.append(migration.id)
    return applied_now


async def migrate_backwards(db: Database, steps: int = 1) -> list[str]:
    """Undo the last `steps` applied migrations; return the ids undone."""
    undone: list[str] = []
    async with db.write_transaction():
        await _prepare(db)
        done = await applied_ids(db)
        by_id = {m.id: m for m in discover()}
        for migration_id in reversed(done[-steps:] if steps else []):
            for statement in by_id[migration_id].backwards(db.dialect):
                await db.run(statement)
            await db.run('DELETE FROM "schema_migration" WHERE "id" = {}', migration_id)
            undone.append(migration_id)
    return undone
