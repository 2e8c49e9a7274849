"""The database of DATABASE_URL: its Piccolo engine, its lifetime, and which kind it is."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

from adapters.persistence.tables import ALL_TABLES

# Writers from several processes wait for each other instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

Dialect = Literal["sqlite", "postgres"]


class DatabaseLocation(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def engine(self) -> str: ...

    @property
    def sqlite_path(self) -> Path | None: ...


class Database:
    """One Piccolo engine (SQLite or PostgreSQL) and the one place that says which it is."""

    def __init__(self, engine: SQLiteEngine | PostgresEngine) -> None:
        self.engine = engine

    @classmethod
    def at(cls, location: DatabaseLocation) -> Database:
        """The database a settings object names; nothing connects until `start`."""
        if location.engine == "sqlite":
            assert location.sqlite_path is not None
            path = location.sqlite_path
            path.parent.mkdir(parents=True, exist_ok=True)
            return cls(SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS))
        return cls(PostgresEngine(config={"dsn": location.url}))

    @property
    def dialect(self) -> Dialect:
        return "postgres" if isinstance(self.engine, PostgresEngine) else "sqlite"

    @property
    def pool(self) -> Any:
        """The asyncpg pool (PostgreSQL, once started), for the hot paths that skip Piccolo."""
        assert isinstance(self.engine, PostgresEngine) and self.engine.pool is not None
        return self.engine.pool

    def bind_tables(self) -> None:
        """Point every table at this engine (Piccolo otherwise looks for a piccolo_conf module)."""
        for table in ALL_TABLES:
            table._meta._db = self.engine

    async def start(self) -> None:
        if isinstance(self.engine, PostgresEngine):
            await self.engine.start_connection_pool(min_size=1, max_size=10, reset=_keep_session)

    async def stop(self) -> None:
        if isinstance(self.engine, PostgresEngine):
            await self.engine.close_connection_pool()

    def write_transaction(self) -> AbstractAsyncContextManager[Any]:
        """A transaction that holds SQLite's write lock from its start (BEGIN IMMEDIATE), so
        checks and writes inside it cannot interleave with another writer, in any process."""
        if isinstance(self.engine, SQLiteEngine):
            return self.engine.transaction(transaction_type=TransactionType.immediate)
        return self.engine.transaction()

    async def run(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] | None = await self.engine.run_querystring(
            QueryString(sql, *args)
        )
        return result or []

    async def ready(self) -> bool:
        """Readiness probe: True when the database answers a trivial query."""
        try:
            rows = await self.run("SELECT 1 AS ok")
        except Exception:
            return False
        return bool(rows) and rows[0].get("ok") == 1


async def _keep_session(connection: Any) -> None:
    """Skip asyncpg's reset query on every pool release (a round trip per query on the hot path).

    No code sets session state (no SET, LISTEN, cursors or session advisory locks), and asyncpg
    still rolls back a transaction left open before calling this.
    """
