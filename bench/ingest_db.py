"""The PostgreSQL flush alone: PostgresSignalInserts driven directly with groups of N signals.

    .venv/bin/python bench/ingest_db.py [--groups 400] [--size 16] [--warmup G] [--rounds 3]
        [--tree DIR ...] [--socket DIR] [--dup-every K]

No HTTP, no group commit: each round of each tree runs in a child process (this script with
`--child`, PYTHONPATH=DIR for a `--tree`, so that build's adapters and migrations are used)
on a fresh database of its own, migrated by that build, with one user. The child stores
`--warmup` groups (by default enough for 2,000 signals, at least 50 groups), runs ANALYZE
(what autovacuum does on a live server; the plans are made from what it sees, and kept while
the table grows where autovacuum is off: a smaller table gets sequential scans,
docs/ingest-performance.md "A lone signal and small groups"), then `--groups`
groups of `--size` signals one after the other through the build's `PostgresSignalInserts`
(the repository's flush), on uvloop — or, with `--producers P`, P concurrent callers of the
repository's `add()` (the group commit forms the groups, as in the server) — and reports:

- the flush path's CPU per signal in this process (user + system, `time.process_time`): the
  argument building, asyncpg's encoding and decoding, the pool, the event loop;
- the wall time per group (one round trip, the function's work, the commit's WAL flush);
- PostgreSQL's CPU per signal: the backends of the child's database (from /proc).

Signals: one user, 128 dedup keys, each key's times 384 s apart (no window duplicates with
the default 300 s window), unique external ids; with `--dup-every K` every K-th signal
repeats an earlier external id (a 409). The rounds alternate between the trees (this one is
`ours`, listed first; every other round runs them in the reverse order) so that all meet the
same background load; read the ratios within one run, the absolute figures move with the
machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ingestkit.pg import pg_admin_dsn, pg_value, socket_url, with_database
from ingestkit.servers import cpu_delta, postgres_cpu

HERE = Path(__file__).resolve()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = 300
WARMUP_SIGNALS = 2000  # stored before ANALYZE by default


async def _child(
    url: str, groups: int, size: int, warmup: int, dup_every: int, producers: int
) -> dict[str, Any]:
    from adapters.persistence.account_repositories import PiccoloUserRepository
    from adapters.persistence.engine import Database
    from adapters.persistence.migrator import migrate_forwards
    from adapters.persistence.signal_insert_postgres import PostgresSignalInserts
    from adapters.persistence.signal_repository import PiccoloSignalRepository
    from domain.accounts.model import User
    from domain.errors import AlreadyExists
    from domain.signals.model import Side, Signal, SignalStatus
    from entrypoints.settings import DatabaseSettings

    db = Database.at(DatabaseSettings(url=url, engine="postgres"))
    await db.start()
    try:
        await migrate_forwards(db)
        db.bind_tables()
        now = datetime.now(UTC)
        user = uuid.uuid4()
        await PiccoloUserRepository().add(User(user, "bench", now))
        total = (warmup + groups) * size

        def signal(i: int) -> Signal:
            external = i - 1 if dup_every and i % dup_every == dup_every - 1 else i
            return Signal(
                id=uuid.uuid4(),
                user_id=user,
                producer_id="bench-relay",
                instrument=f"INS{i % 128:03d}",
                side=Side.BUY,
                price=1950.25 + i,
                time=T0 + timedelta(seconds=3 * i),
                version="1",
                external_id=f"ext-{external}",
                status=SignalStatus.NEW,
                payload={"n": i, "note": "bench"},
                created_at=now,
                updated_at=now,
            )

        pending = [(signal(i), WINDOW) for i in range(total)]
        batches = [pending[g * size : (g + 1) * size] for g in range(warmup + groups)]
        flush = PostgresSignalInserts(db)
        commits: list[int] = []
        repository = PiccoloSignalRepository(db, on_commit=commits.append)
        refused = 0

        async def through_repository(items: list[Any]) -> None:
            """`producers` concurrent callers of add(): groups form as in the server."""
            nonlocal refused
            queue = iter(items)

            async def producer() -> None:
                nonlocal refused
                for s, w in queue:
                    try:
                        await repository.add(s, w)
                    except AlreadyExists:
                        refused += 1

            await asyncio.gather(*(producer() for _ in range(producers)))

        async def run(part: list[list[Any]]) -> None:
            nonlocal refused
            if producers:
                await through_repository([p for batch in part for p in batch])
                return
            for batch in part:
                outcomes = await flush(batch)
                refused += sum(o is not None for o in outcomes)

        await run(batches[:warmup])
        await db.pool.execute("ANALYZE")
        database = url.rsplit("/", 1)[1].split("?", 1)[0]
        refused = 0
        commits.clear()
        pg_before = postgres_cpu(database)
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await run(batches[warmup:])
        cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
        if producers:
            groups = len(commits)
        pg = cpu_delta(pg_before, postgres_cpu(database))
        stored = await db.pool.fetchval("SELECT count(*) FROM signal")
        events = await db.pool.fetchval("SELECT count(*) FROM signal_event")
    finally:
        await db.stop()
    n = groups * size
    return {
        "cpu_us": cpu / n * 1e6,
        "wall_ms": wall / groups * 1e3,
        "pg_us": pg / n * 1e6,
        "refused": refused,
        "per_group": n / groups,
        "stored": stored,
        "events": events,
    }


def child_main(args: argparse.Namespace) -> None:
    import uvloop

    result = uvloop.run(
        _child(args.url, args.groups, args.size, args.warmup, args.dup_every, args.producers)
    )
    print(json.dumps(result))


def _one(tree: str | None, args: argparse.Namespace) -> dict[str, Any]:
    admin = pg_admin_dsn()
    name = "signalhub_benchdb_" + uuid.uuid4().hex[:10]
    asyncio.run(pg_value(admin, f'CREATE DATABASE "{name}"'))
    url = with_database(admin, name)
    if args.socket:
        url = socket_url(url, args.socket)
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = tree
    try:
        out = subprocess.run(
            [
                sys.executable,
                str(HERE),
                "--child",
                url,
                "--groups",
                str(args.groups),
                "--size",
                str(args.size),
                "--warmup",
                str(args.warmup),
                "--dup-every",
                str(args.dup_every),
                "--producers",
                str(args.producers),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        print(exc.stderr[-3000:], file=sys.stderr)
        raise
    finally:
        asyncio.run(pg_value(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=400)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=None, help="groups before ANALYZE")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[], help="another build to compare")
    parser.add_argument("--socket", default=None, help="reach PostgreSQL over its Unix socket")
    parser.add_argument("--dup-every", type=int, default=0)
    parser.add_argument(
        "--producers",
        type=int,
        default=0,
        help="instead: this many concurrent callers of the repository's add() (group commit)",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        args.url = args.child
        child_main(args)
        return
    if args.warmup is None:
        args.warmup = max(50, -(-WARMUP_SIGNALS // args.size))
    trees: list[tuple[str, str | None]] = [("ours", None)]
    trees += [(Path(t).name or t, t) for t in args.tree]
    results: dict[str, list[dict[str, Any]]] = {tag: [] for tag, _ in trees}
    print(f"{args.rounds} rounds x {args.groups} groups of {args.size} (warm-up {args.warmup})")
    print(
        f"{'round':>5} {'tree':<16} {'CPU us/signal':>14} {'wall ms/group':>14} "
        f"{'PG us/signal':>13} {'409s':>5} {'per group':>9}"
    )
    for r in range(args.rounds):
        # Every other round in the reverse order, so that no tree always goes first.
        for tag, tree in trees if r % 2 == 0 else trees[::-1]:
            res = _one(tree, args)
            results[tag].append(res)
            print(
                f"{r + 1:>5} {tag:<16} {res['cpu_us']:>14.1f} {res['wall_ms']:>14.2f} "
                f"{res['pg_us']:>13.1f} {res['refused']:>5} {res['per_group']:>9.1f}",
                flush=True,
            )
    print("median:")
    first = trees[0][0]
    for tag, _ in trees:
        med = {
            k: statistics.median(x[k] for x in results[tag]) for k in ("cpu_us", "wall_ms", "pg_us")
        }
        base = {k: statistics.median(x[k] for x in results[first]) for k in med}
        ratio = (
            f"{first}/{tag}: " + "  ".join(f"{k} x{base[k] / med[k]:.2f}" for k in med)
            if tag != first
            else ""
        )
        print(
            f"      {tag:<16} {med['cpu_us']:>14.1f} {med['wall_ms']:>14.2f} "
            f"{med['pg_us']:>13.1f}   {ratio}"
        )


if __name__ == "__main__":
    main()
