"""Ingestion benchmark: `signalhub serve` on PostgreSQL (1 worker, and 2) against a bare endpoint.

    .venv/bin/python bench/ingest.py [--signals N] [--connections 32] [--warmup W] [--rounds R]
        [--socket /var/run/postgresql] [--no-workers-2] [--one-by-one]
        [--baseline-tree DIR] [--sqlite] [--tcp-too] [--uvloop-client] [--bare-coalesced]

It creates a throwaway PostgreSQL database (DATABASE_URL if it is postgresql://, else
SIGNALHUB_TEST_PG_DSN, else postgres@127.0.0.1:5432), creates a user and a producer with the
CLI, starts the contenders side by side, pre-signs every signal, and sends them over C
keep-alive connections with a minimal asyncio HTTP/1.1 client (so the client costs little CPU
on the shared machine). Contenders:

- `ours`: `signalhub serve --workers 1` (over the Unix socket in DIR with `--socket DIR`);
- `ours2w`: the same with `--workers 2` (leave it out with `--no-workers-2`);
- `oursTCP` (`--tcp-too`, with `--socket`): `ours` over TCP;
- `1by1` (`--one-by-one`): one worker with group commit off (SIGNALS_COMMIT_BATCH_MAX=1), TCP;
- `before` (`--baseline-tree DIR`): another signalhub source tree (e.g. `git archive main |
  tar -x -C DIR`) run by the same interpreter with PYTHONPATH=DIR, TCP, on a database of its
  own that its own migrations made: a before/after in one run;
- `bare`: on the same stack (uvicorn as it comes, one worker), a Litestar endpoint that only
  verifies the HMAC and decodes the body: the target's yardstick;
- `bare+` (`--bare-coalesced`): the same endpoint on the HTTP protocol `signalhub serve` uses
  (a response's head and body in one write, entrypoints/cli/http_transport.py), to show how
  much of ours/bare that protocol accounts for.

The rounds alternate (ours, ours2w, ..., bare, then bare, ..., ours2w, ours, ...) so every
contender meets the same background load and goes first as often as last; it prints
signals/s, p50, p99, the ratios within each round and over all rounds, how many signals each
commit carried, and the CPU per signal (user + system, from /proc, a figure the machine's load
hardly moves) of the three parties that share the cores:
the server's processes, PostgreSQL's (the backends of the contender's database; not the
shared walwriter, checkpointer, ...) and the load generator (this process).
`--uvloop-client` runs the load generator on uvloop instead of asyncio's own loop, for every
contender alike. `--sqlite` runs the signalhub contenders on a SQLite file.
Target: ratio ours/bare >= 0.5, p99 <= 40 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingestkit.load import Result, blast, signed_requests
from ingestkit.pg import PER_COMMIT, pg_admin_dsn, pg_rows, pg_value, socket_url, with_database
from ingestkit.report import Contender, report
from ingestkit.servers import (
    BARE_SECRET,
    cli,
    cpu_delta,
    free_port,
    own_cpu,
    postgres_cpu,
    process_tree_cpu,
    serve_bare,
    start_signalhub,
    stop,
    wait_healthy,
)


def run(
    signals: int,
    connections: int,
    warmup: int,
    rounds: int,
    *,
    socket_dir: str | None,
    two_workers: bool,
    one_by_one: bool,
    baseline_tree: str | None = None,
    sqlite: bool = False,
    tcp_too: bool = False,
    uvloop_client: bool = False,
    bare_coalesced: bool = False,
) -> int:
    admin = pg_admin_dsn()
    name = "signalhub_bench_" + uuid.uuid4().hex[:10]
    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-"))
    if not sqlite:
        asyncio.run(pg_value(admin, f'CREATE DATABASE "{name}"'))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNALS_", "MEDIA_", "PROMETHEUS_")) and k != "DATABASE_URL"
    }
    tcp_url = f"sqlite:///{workdir}/signalhub.sqlite3" if sqlite else with_database(admin, name)
    env.update(DATABASE_URL=tcp_url, MEDIA_DIR=str(workdir / "media"), RENDER_WORKERS="1")
    serve_env = dict(env)
    if socket_dir is not None:
        serve_env["DATABASE_URL"] = socket_url(tcp_url, socket_dir)
    contenders: list[Contender] = []
    # The load generator's loop: asyncio's own, or uvloop (cheaper per request, for every
    # contender alike; producers run on other hosts in production).
    load: Callable[[Coroutine[Any, Any, Result]], Result] = asyncio.run
    if uvloop_client:
        import uvloop

        load = uvloop.run
    extra_databases: list[str] = []  # the baseline's
    total = warmup + rounds * signals
    try:

        def made_in(env_: dict[str, str]) -> dict[str, Any]:
            """A user and a producer, made by the CLI of the build that `env_` runs."""
            user = cli(env_, "users", "create", "bench")
            return cli(env_, "producers", "create", "bench-relay", "--user", user["user_id"])

        producer = made_in(env)
        ports: set[int] = set()
        while len(ports) < 6:
            ports.add(free_port())
        port_list = sorted(ports)

        def ours(
            tag: str, workers: int, extra_env: dict[str, str], port: int, db: str = name
        ) -> None:
            env_ = {**serve_env, **extra_env}
            maker = producer if db == name else made_in(env_)
            process = start_signalhub(env_, workdir, port, workers, tag)
            requests = signed_requests(
                port, maker["producer_id"], maker["secret"], total, tag, len(contenders)
            )
            contenders.append(Contender(tag, port, db, process, requests, []))

        ours("ours", 1, {}, port_list[0])
        if two_workers:
            ours("ours2w", 2, {}, port_list[1])
        if tcp_too and socket_dir is not None:
            ours("oursTCP", 1, {"DATABASE_URL": tcp_url}, port_list[5])
        if baseline_tree is not None:
            # Another build of signalhub (e.g. `git archive main | tar -x -C DIR`) on its own
            # database, migrated by that build: a before/after in one run.
            before_url = with_database(admin, name + "_before")
            asyncio.run(pg_value(admin, f'CREATE DATABASE "{name}_before"'))
            extra_databases.append(before_url)
            ours(
                "before",
                1,
                {"PYTHONPATH": baseline_tree, "DATABASE_URL": before_url},
                port_list[4],
                name + "_before",
            )
        if one_by_one:
            # The same build with group commit off and the TCP DSN: the "before" of this run.
            ours(
                "1by1", 1, {"SIGNALS_COMMIT_BATCH_MAX": "1", "DATABASE_URL": tcp_url}, port_list[2]
            )
        bares = [("bare", port_list[3], "--serve-bare", "b")]
        if bare_coalesced:
            bares.append(("bare+", free_port(), "--serve-bare-coalesced", "c"))
        for tag, bare_port, flag, salt in bares:
            bare_server = subprocess.Popen(
                [sys.executable, __file__, flag, str(bare_port)],
                cwd=workdir,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            contenders.append(
                Contender(
                    tag,
                    bare_port,
                    "",
                    bare_server,
                    signed_requests(bare_port, "bare", BARE_SECRET, total, salt),
                    [],
                )
            )
        for c in contenders:
            try:
                wait_healthy(c.port, c.process, "/healthz" if c.database else "/schema")
            except SystemExit:
                log = workdir / f"server-{c.name}.log"
                print(log.read_text()[-3000:] if log.exists() else "(no log)", file=sys.stderr)
                raise
        for c in contenders:
            load(blast("warmup", c.port, c.requests[:warmup], connections))
        for url in [] if sqlite else [env["DATABASE_URL"], *extra_databases]:
            # What autovacuum does on a live server (it is off on some development ones):
            # without statistics a connection may cache a plan of the dedup check that reads
            # all of the user's signals (docs/ingest-performance.md, "First measurements"),
            # and keep it.
            asyncio.run(pg_value(url, "ANALYZE"))
        # Alternate short rounds so every contender sees the same background load.
        for i in range(rounds):
            batch = slice(warmup + i * signals, warmup + (i + 1) * signals)
            # Every other round in the reverse order, so that no contender always goes first.
            # (A/A runs, one build on both sides: 0.97 with a fixed order, 1.04 and 1.05 with
            # this one; read differences under ≈ 5 % between two builds as noise.)
            for c in contenders if i % 2 == 0 else contenders[::-1]:
                before = process_tree_cpu(c.process.pid), postgres_cpu(c.database), own_cpu()
                c.results.append(load(blast(c.name, c.port, c.requests[batch], connections)))
                c.cpu_seconds += process_tree_cpu(c.process.pid) - before[0]
                c.pg_cpu_seconds += cpu_delta(before[1], postgres_cpu(c.database))
                c.load_cpu_seconds += own_cpu() - before[2]
        for c in contenders:
            stop(c.process)
        per_commit: list[Any] = []  # SQLite keeps no transaction id per row
        if sqlite:
            with sqlite3.connect(workdir / "signalhub.sqlite3") as lite:
                stored = lite.execute("SELECT count(*) FROM signal").fetchone()[0]
        else:
            stored = 0
            for url in [env["DATABASE_URL"], *extra_databases]:
                stored += asyncio.run(pg_value(url, "SELECT count(*) FROM signal"))
                per_commit += asyncio.run(pg_rows(url, PER_COMMIT))
    finally:
        for c in contenders:
            stop(c.process)
        if not sqlite:
            for dbname in [name, *(urlsplit(url).path[1:] for url in extra_databases)]:
                asyncio.run(pg_value(admin, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"ingest: {rounds} alternating rounds of {signals} signed signals, "
        f"{connections} connections, "
        + ("SQLite" if sqlite else "PostgreSQL over ")
        + ("" if sqlite else ("the Unix socket " + socket_dir if socket_dir else "TCP"))
        + "; ours = 1 worker, "
        "ours2w = 2 workers, 1by1 = 1 worker with SIGNALS_COMMIT_BATCH_MAX=1 over TCP, "
        "before = --baseline-tree over TCP; load generator on "
        + ("uvloop" if uvloop_client else "asyncio's own event loop")
    )
    merged = report(contenders, rounds)
    signalhubs = [c for c in contenders if c.database]  # the bare endpoints store nothing
    ours_all = merged["ours"]
    print(
        f"ratio ours/bare {ours_all.rate / merged['bare'].rate:.2f} (target >= 0.5); ours p99 "
        f"{ours_all.pct(0.99):.2f} ms (target <= 40 ms); rows stored {stored} of "
        f"{total * len(signalhubs)}"
    )
    print(
        "signals per commit: "
        + ", ".join(f"{r['tag']} {r['n'] / r['commits']:.1f}" for r in per_commit)
    )
    expected = rounds * signals
    healthy = all(r.ok == expected for r in merged.values()) and stored == total * len(signalhubs)
    if not healthy:
        print("WARNING: some requests failed; figures are not comparable")
    return 0 if healthy else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--socket",
        default=None,
        metavar="DIR",
        help="reach PostgreSQL over the Unix socket in DIR (e.g. /var/run/postgresql)",
    )
    parser.add_argument(
        "--no-workers-2", action="store_true", help="skip the `serve --workers 2` contender"
    )
    parser.add_argument(
        "--one-by-one",
        action="store_true",
        help="add a 1-worker contender with group commit off (SIGNALS_COMMIT_BATCH_MAX=1), TCP",
    )
    parser.add_argument(
        "--baseline-tree",
        default=None,
        metavar="DIR",
        help="add a contender `before`: the signalhub source tree in DIR (PYTHONPATH), TCP",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="signalhub on a SQLite file instead of PostgreSQL"
    )
    parser.add_argument(
        "--uvloop-client",
        action="store_true",
        help="run the load generator on uvloop (the same for every contender)",
    )
    parser.add_argument(
        "--tcp-too",
        action="store_true",
        help="with --socket: add `oursTCP`, the same 1-worker server over TCP",
    )
    parser.add_argument(
        "--bare-coalesced",
        action="store_true",
        help="add `bare+`: the bare endpoint on signalhub's HTTP protocol (one write a response)",
    )
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare-coalesced", type=int, default=None, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()  # scripts/dev.py bench passes its args to every script
    if args.serve_bare is not None:
        serve_bare(args.serve_bare)
        return 0
    if args.serve_bare_coalesced is not None:
        serve_bare(args.serve_bare_coalesced, coalesced=True)
        return 0
    return run(
        args.signals,
        args.connections,
        args.warmup,
        args.rounds,
        socket_dir=args.socket,
        two_workers=not args.no_workers_2,
        one_by_one=args.one_by_one,
        baseline_tree=args.baseline_tree,
        sqlite=args.sqlite,
        tcp_too=args.tcp_too,
        uvloop_client=args.uvloop_client,
        bare_coalesced=args.bare_coalesced,
    )


if __name__ == "__main__":
    sys.exit(main())
