"""Real databases for tests: a fresh PostgreSQL database per test, a migrated engine of either kind.

PostgreSQL is reached through SIGNALHUB_TEST_PG_DSN (set by scripts/dev.py test, which also
starts a throwaway cluster when none is running).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from adapters.persistence.engine import Database
from adapters.persistence.migrator import migrate_forwards
from entrypoints.settings import DatabaseSettings

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgres")


def pg_admin_dsn() -> str:
    return os.environ.get("SIGNALHUB_TEST_PG_DSN", DEFAULT_PG_DSN)


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def create_pg_database() -> str:
    """Create an empty database; return its URL."""
    name = "signalhub_test_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(pg_admin_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(pg_admin_dsn(), name)


async def drop_pg_database(url: str) -> None:
    name = urlsplit(url).path.strip("/")
    conn = await asyncpg.connect(pg_admin_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def database_settings(url: str) -> DatabaseSettings:
    if url.startswith("sqlite:///"):
        return DatabaseSettings(
            url=url, engine="sqlite", sqlite_path=Path(url[len("sqlite:///") :])
        )
    return DatabaseSettings(url=url, engine="postgres")


@asynccontextmanager
async def migrated_engine(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database ("sqlite" or "postgres") with the tables bound to it."""
    if kind == "sqlite":
        url, drop = f"sqlite:///{tmp_path}/db/signalhub.sqlite3", None
    else:
        url = await create_pg_database()
        drop = url
    db = Database.at(database_settings(url))
    await db.start()
    try:
        await migrate_forwards(db)
        db.bind_tables()
        yield db
    finally:
        await db.stop()
        if drop:
            await drop_pg_database(drop)


async def unix_socket_url(url: str) -> str | None:
    """The same database reached over the server's Unix socket, None when it has none here.

    The socket directory and port are asked of the server itself (SHOW), so this also finds
    the throwaway cluster of scripts/dev.py test.
    """
    conn = await asyncpg.connect(url)
    try:
        directories = str(await conn.fetchval("SHOW unix_socket_directories"))
        port = int(await conn.fetchval("SHOW port"))
    finally:
        await conn.close()
    for directory in (d.strip() for d in directories.split(",")):
        if directory.startswith("/") and Path(directory, f".s.PGSQL.{port}").exists():
            parts = urlsplit(url)
            user = parts.username or "postgres"
            query = f"host={directory}" + ("" if port == 5432 else f"&port={port}")
            return urlunsplit((parts.scheme, f"{user}@", parts.path, query, ""))
    return None
