"""SQLite's kept read connection (`Database.read_row`, used for the Bearer token on every
request): it sees what other connections commit at once, and works before `start` and after
`stop` on a connection of its own."""

from __future__ import annotations

from pathlib import Path

from adapters.persistence.engine import Database
from tests.support.databases import database_settings


async def test_reads_see_other_connections_commits_before_start_and_after_stop(
    tmp_path: Path,
) -> None:
    db = Database.at(database_settings(f"sqlite:///{tmp_path}/kept.sqlite3"))
    query = "SELECT v FROM t WHERE k = ?"
    await db.run("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    await db.run("INSERT INTO t VALUES ('a', 1)")
    assert await db.read_row(query, "a") == {"v": 1}  # not started: its own connection
    await db.start()
    try:
        assert await db.read_row(query, "a") == {"v": 1}
        await db.run("UPDATE t SET v = 2 WHERE k = 'a'")  # Piccolo's connection, committed
        assert await db.read_row(query, "a") == {"v": 2}
        async with db.write_transaction():
            await db.run("UPDATE t SET v = 3 WHERE k = 'a'")
            assert await db.read_row(query, "a") == {"v": 2}  # not committed yet
        assert await db.read_row(query, "a") == {"v": 3}
        assert await db.read_row(query, "missing") is None
    finally:
        await db.stop()
    assert await db.read_row(query, "a") == {"v": 3}
