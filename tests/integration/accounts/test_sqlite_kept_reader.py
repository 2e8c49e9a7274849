"""SQLite's kept read connection (`Database.read_row`, used for the Bearer token on every
request): it sees what other connections commit at once, works before `start` and after
`stop` on a connection of its own, and never keeps a process from exiting."""

from __future__ import annotations

import asyncio
import subprocess
import sys
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


def test_a_process_that_never_stops_it_still_exits(tmp_path: Path) -> None:
    """A start-up that fails after the database started never reaches `stop`: the kept
    connection's thread must not hold the interpreter at exit."""
    script = (
        "import asyncio\n"
        "from adapters.persistence.engine import Database\n"
        "from tests.support.databases import database_settings\n"
        f"db = Database.at(database_settings('sqlite:///{tmp_path}/left.sqlite3'))\n"
        "async def main():\n"  # db stays referenced to the end, as a server's container
        "    await db.start()\n"
        "    print(await db.read_row('SELECT 1 AS one'))\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "{'one': 1}\n"), done.stderr


async def test_reads_queued_when_it_stops_are_answered(tmp_path: Path) -> None:
    db = Database.at(database_settings(f"sqlite:///{tmp_path}/queued.sqlite3"))
    await db.run("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    await db.run("INSERT INTO t VALUES ('a', 1)")
    await db.start()
    reads = [
        asyncio.ensure_future(db.read_row("SELECT v FROM t WHERE k = ?", "a")) for _ in range(20)
    ]
    await asyncio.sleep(0)  # every read is handed to the reader's thread
    await db.stop()  # a request still in flight when shutdown begins gets its answer
    assert await asyncio.gather(*reads) == [{"v": 1}] * 20
