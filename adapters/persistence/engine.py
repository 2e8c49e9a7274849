"""The database of DATABASE_URL: its Piccolo engine, its lifetime, and which kind it is."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.querystring import QueryString

from adapters.persistence.tables import ALL_TABLES

# Writers from several processes wait for each other instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

Dialect = Literal["sqlite", "postgres"]
T = TypeVar("T")


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
        self._reader: KeptReader | None = None  # between start and stop

    async def start(self) -> None:
        # Piccolo opens a connection (and aiosqlite a thread) for every query outside a
        # transaction, ≈ 2 ms each; the reads made on every request (the Bearer token) use
        # one connection kept open instead.
        if self._reader is not None:
            return
        reader = KeptReader(self._sqlite.connection_kwargs)
        await reader.open()
        self._reader = reader

    async def stop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.close()

    async def read_row(self, sql: str, *args: Any) -> dict[str, Any] | None:
        """`sql` with `?` placeholders."""
        if self._reader is not None:
            return await self._reader.row(sql, args)
        reader = KeptReader(self._sqlite.connection_kwargs)  # not started: one of its own
        await reader.open()
        try:
            return await reader.row(sql, args)
        finally:
            await reader.close()

    def write_transaction(self) -> AbstractAsyncContextManager[Any]:
        # BEGIN IMMEDIATE: SQLite's write lock is held from the start, not from the first write.
        return self._sqlite.transaction(transaction_type=TransactionType.immediate)


class KeptReader:
    """A SQLite connection opened as Piccolo opens its own (autocommit, its type converters,
    foreign keys on) and used from one worker thread. Autocommit: each read sees what other
    connections had committed when it began. The thread is an executor's, which the
    interpreter stops at exit even if `close` was never reached (a failed start-up)."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self._kwargs = connection_kwargs
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-reader")
        # Touched only on the worker thread, so a close runs after the reads queued before it.
        self._connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        try:
            await self._in_thread(self._connect)
        except BaseException:
            self._thread.shutdown(wait=False)
            raise

    async def row(self, sql: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
        return await self._in_thread(self._row, sql, args)

    async def close(self) -> None:
        await self._in_thread(self._close)
        self._thread.shutdown(wait=False)

    def _connect(self) -> None:
        connection = sqlite3.connect(**self._kwargs)
        connection.row_factory = dict_factory
        connection.execute("PRAGMA foreign_keys = 1")
        self._connection = connection

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _row(self, sql: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
        if self._connection is None:
            raise RuntimeError("the SQLite reader is not open")
        cursor = self._connection.execute(sql, args)
        try:
            row: dict[str, Any] | None = cursor.fetchone()
        finally:
            cursor.close()
        return row

    async def _in_thread(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call, *args)


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
