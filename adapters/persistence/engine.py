"""Build the Piccolo engine from the database settings and bind the tables to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from adapters.persistence.tables import ALL_TABLES

# Writers from several processes wait for each other instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


class DatabaseLocation(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def engine(self) -> str: ...

    @property
    def sqlite_path(self) -> Path | None: ...


def make_engine(database: DatabaseLocation) -> Engine[Any]:
    if database.engine == "sqlite":
        assert database.sqlite_path is not None
        path = database.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": database.url})


def bind_tables(engine: Engine[Any]) -> None:
    """Point every table at `engine` (Piccolo otherwise looks for a piccolo_conf module)."""
    for table in ALL_TABLES:
        table._meta._db = engine


def is_postgres(engine: Engine[Any]) -> bool:
    return engine.engine_type == "postgres"


async def start(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10, reset=_keep_session)


async def _keep_session(connection: Any) -> None:
    """Skip asyncpg's reset query on every pool release (a round trip per query on the hot path).

    No code sets session state (no SET, LISTEN, cursors or session advisory locks), and asyncpg
    still rolls back a transaction left open before calling this.
    """


async def stop(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


async def ping(engine: Engine[Any]) -> bool:
    """True when the database answers a trivial query."""
    try:
        rows = await engine.run_querystring(QueryString("SELECT 1 AS ok"))
    except Exception:
        return False
    return bool(rows) and rows[0].get("ok") == 1
