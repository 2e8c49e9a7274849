"""Export benchmark (SPEC §12): 1,000,000 signals as CSV from a real `signalhub serve` on
PostgreSQL, against `COPY ... TO STDOUT` of the same rows through psql as the ceiling.

    nice .venv/bin/python bench/export.py [--signals 1000000] [--rounds 2]

It creates a throwaway PostgreSQL database (SIGNALHUB_TEST_PG_DSN, else
postgres@127.0.0.1:5432), migrates it and creates a user with the CLI, bulk-loads the signals
with one `INSERT ... SELECT generate_series` (runs of three equal `created_at`, a JSON payload,
an external id, a tenth of them closed with a PnL; plus 1% for another user, never exported),
then starts `signalhub serve` with one worker. Each round downloads the export with curl
(`curl | wc -l`: C on the client side, so the client costs little of the shared CPU) while a
thread samples the server's VmRSS every 20 ms from /proc/<pid>/status, then runs psql's
`\\copy (SELECT the same columns WHERE the same user ORDER BY created_at, id) TO STDOUT CSV
HEADER | wc -l`. Rounds alternate so both meet the same background load. It prints rows/s of
each, the ratio ours/COPY, and the server's RSS before the first export, its peak during the
exports (VmRSS sampled and VmHWM) and the growth. Targets: >= 100,000 rows/s, growth < 50 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BIN = Path(sys.executable).parent
SIGNALHUB = shutil.which("signalhub", path=str(BIN)) or "signalhub"
COLUMNS = (
    "id, user_id, producer_id, instrument, side, price, time, version, external_id, status,"
    " revision, payload, executed_price, executed_at, closed_price, closed_at, pnl,"
    " return_ratio, created_at, updated_at"
)
LOAD = """
INSERT INTO signal (id, user_id, producer_id, instrument, side, price, time, version,
    external_id, status, payload, created_at, updated_at, revision,
    executed_price, executed_at, closed_price, closed_at, pnl, return_ratio)
SELECT
    md5(g::text || $2)::uuid,
    $1::uuid,
    'bench-relay',
    'SYM' || lpad((g % 64)::text, 2, '0'),
    CASE WHEN g % 2 = 0 THEN 'buy' ELSE 'sell' END,
    1900 + (g % 1000) / 8.0,
    t0 + (g / 3) * interval '1 millisecond',
    '1',
    'ext-' || g,
    CASE WHEN g % 10 = 0 THEN 'closed' ELSE 'new' END,
    json_build_object('tf', '1h', 'n', g, 'note', 'a "quoted", text', 'levels',
                      json_build_array(g % 7, 1.5)),
    t0 + (g / 3) * interval '1 millisecond',
    t0 + (g / 3) * interval '1 millisecond',
    CASE WHEN g % 10 = 0 THEN 4 ELSE 1 END,
    CASE WHEN g % 10 = 0 THEN 1950.5 END,
    CASE WHEN g % 10 = 0 THEN t0 + interval '1 day' END,
    CASE WHEN g % 10 = 0 THEN 1940.25 END,
    CASE WHEN g % 10 = 0 THEN t0 + interval '2 days' END,
    CASE WHEN g % 10 = 0 THEN -10.25 END,
    CASE WHEN g % 10 = 0 THEN -10.25 / 1950.5 END
FROM generate_series(1, $3::int) AS g,
     (SELECT timestamptz '2026-01-01 00:00:00+00' AS t0) AS start
"""


def pg_admin_dsn() -> str:
    return os.environ.get("SIGNALHUB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def _pg(dsn: str, sql: str, *args: Any) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [SIGNALHUB, *args, "--json"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"signalhub {' '.join(args)}: {done.stderr}")
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = status_kb(pid, "VmRSS")
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.02):
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak_kb


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_lines(command: list[str]) -> tuple[float, int]:
    """Run `command | wc -l`; (seconds, lines)."""
    started = time.perf_counter()
    source = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert source.stdout is not None
    counted = subprocess.run(
        ["wc", "-l"], stdin=source.stdout, capture_output=True, text=True, check=True
    )
    source.stdout.close()
    if source.wait() != 0:
        raise SystemExit(f"{command[0]} failed with {source.returncode}")
    return time.perf_counter() - started, int(counted.stdout.strip())


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def run(signals: int, rounds: int) -> int:
    admin = pg_admin_dsn()
    name = "signalhub_bench_export_" + uuid.uuid4().hex[:8]
    asyncio.run(_pg(admin, f'CREATE DATABASE "{name}"'))
    url = with_database(admin, name)
    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_DIR": str(workdir / "media"),
        "RENDER_WORKERS": "1",
        "LOG_LEVEL": "warning",
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        cli(env, "migrate")
        user = cli(env, "users", "create", "bench")
        other = cli(env, "users", "create", "other")
        started = time.perf_counter()
        asyncio.run(_pg(url, LOAD, user["user_id"], "a", signals))
        asyncio.run(_pg(url, LOAD, other["user_id"], "b", max(signals // 100, 1)))
        asyncio.run(_pg(url, "ANALYZE signal"))
        print(
            f"loaded {signals:,} signals (+1% for another user) in "
            f"{time.perf_counter() - started:.1f} s"
        )

        port = free_port()
        log = open(workdir / "server.log", "wb")
        server = subprocess.Popen(
            [SIGNALHUB, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_healthy(port, server)
        endpoint = f"http://127.0.0.1:{port}/api/v1/signals/export?format=csv"
        curl = ["curl", "-sS", "--fail", "-H", f"Authorization: Bearer {user['token']}"]
        export = [*curl, endpoint]
        timed_lines([*curl, endpoint + "&status=cancelled"])  # warm: first request, pool open
        time.sleep(1.0)
        before_kb = status_kb(server.pid, "VmRSS")
        copy_sql = (
            f"\\copy (SELECT {COLUMNS} FROM signal WHERE user_id = '{user['user_id']}'"
            " ORDER BY created_at, id) TO STDOUT WITH (FORMAT csv, HEADER)"
        )
        copy = ["psql", "-X", "-q", url, "-c", copy_sql]
        ours: list[float] = []
        ceiling: list[float] = []
        sampler = RssSampler(server.pid)
        sampler.start()
        cpu: list[float] = []
        for i in range(rounds):
            cpu_before = cpu_seconds(server.pid)
            seconds, lines = timed_lines(export)
            cpu.append(signals / (cpu_seconds(server.pid) - cpu_before))
            assert lines == signals + 1, f"export gave {lines} lines"
            ours.append(signals / seconds)
            seconds, lines = timed_lines(copy)
            assert lines == signals + 1, f"COPY gave {lines} lines"
            ceiling.append(signals / seconds)
            print(
                f"round {i + 1}: export {ours[-1]:>10,.0f} rows/s "
                f"({cpu[-1]:,.0f} per server CPU-second)   COPY {ceiling[-1]:>10,.0f} rows/s"
            )
        peak_kb = sampler.stop()
        hwm_kb = status_kb(server.pid, "VmHWM")
        best, best_copy = max(ours), max(ceiling)
        print(
            f"export (best of {rounds}): {best:,.0f} rows/s; COPY ceiling {best_copy:,.0f} "
            f"rows/s; ratio {best / best_copy:.2f}   (target >= 100,000 rows/s)"
        )
        print(f"server CPU: {max(cpu):,.0f} rows per CPU-second (its rate on a core of its own)")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"server RSS: {before_kb / 1024:.1f} MB before, peak {peak_kb / 1024:.1f} MB "
            f"(VmHWM {hwm_kb / 1024:.1f} MB); growth {(peak_kb - before_kb) / 1024:.1f} MB "
            f"(target < 50 MB)"
        )
        return 0
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    return run(args.signals, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
