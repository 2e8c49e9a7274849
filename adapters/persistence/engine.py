"""The database of DATABASE_URL: its Piccolo engine, its lifetime, and which kind it is."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from piccolo.engine.base import Engine
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
    """A Piccolo engine, and the one place that knows which database is behind it: the
    subclasses below differ exactly where SQLite and PostgreSQL do."""

    dialect: ClassVar[Dialect]

    def __init__(self, engine: Engine[Any]) -> None:
        self.engine = engine

    @staticmethod
    def at(location: DatabaseLocation) -> Database:
        """The database a settings object names; nothing connects until `start`."""
        if location.engine == "sqlite":
            assert location.sqlite_path is not None
            return SQLiteDatabase(location.sqlite_path)
        return PostgresDatabase(location.url)

    @property
    def pool(self) -> Any:
        """The asyncpg pool, for the hot paths that skip Piccolo (PostgreSQL only)."""
        raise NotImplementedError(f"no connection pool on {self.dialect}")

    async def read_row(self, sql: str, *args: Any) -> dict[str, Any] | None:
        """One row of a read on a connection kept open (SQLite only; PostgreSQL's hot reads
        use `pool`)."""
        raise NotImplementedError(f"no kept read connection on {self.dialect}")

    def bind_tables(self) -> None:
        """Point every table at this engine (Piccolo otherwise looks for a piccolo_conf module)."""
        for table in ALL_TABLES:
            table._meta._db = self.engine

    async def start(self) -> None:
        """Open what lives as long as the process (nothing on SQLite)."""

    async def stop(self) -> None:
        """Close what `start` opened."""

    def write_transaction(self) -> AbstractAsyncContextManager[Any]:
        """A transaction in which checks and writes cannot interleave with another writer's,
        in any process (for the migrator and the SQLite dedup path)."""
        transaction: AbstractAsyncContextManager[Any] = self.engine.transaction()
        return transaction

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


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._sqlite = SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        super().__init__(self._sqlite)
        self._reader: Any = None  # the kept read connection, between start and stop

    async def start(self) -> None:
        # Piccolo opens a connection (and aiosqlite a thread) for every query outside a
        # transaction, ≈ 2 ms each; the reads on every request (the Bearer token) use this
        # one, opened like Piccolo's (autocommit, its type converters, foreign keys on).
        # Autocommit: each read sees what other connections had committed when it began.
        self._reader = await self._sqlite.get_connection()

    async def stop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.close()

    async def read_row(self, sql: str, *args: Any) -> dict[str, Any] | None:
        """`sql` with `?` placeholders."""
        if self._reader is not None:
            return await _first_row(self._reader, sql, args)
        reader = await self._sqlite.get_connection()  # not started: a connection of its own
        try:
            return await _first_row(reader, sql, args)
        finally:
            await reader.close()

    def write_transaction(self) -> AbstractAsyncContextManager[Any]:
        # BEGIN IMMEDIATE: SQLite's write lock is held from the start, not from the first write.
        return self._sqlite.transaction(transaction_type=TransactionType.immediate)


async def _first_row(connection: Any, sql: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
    async with connection.execute(sql, args) as cursor:
        row: dict[str, Any] | None = await cursor.fetchone()
    return row


class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self._postgres = PostgresEngine(config={"dsn": url})
        super().__init__(self._postgres)

    @property
    def pool(self) -> Any:
        assert self._postgres.pool is not None, "start() opens the pool"
        return self._postgres.pool

    async def start(self) -> None:
        await self._postgres.start_connection_pool(min_size=1, max_size=10, reset=_keep_session)

    async def stop(self) -> None:
        await self._postgres.close_connection_pool()


async def _keep_session(connection: Any) -> None:
    """Skip asyncpg's reset query on every pool release (a round trip per query on the hot path).

    No code sets session state (no SET, LISTEN, cursors or session advisory locks), and asyncpg
    still rolls back a transaction left open before calling this.
    """
