"""Ingestion benchmark: `signalhub serve` on PostgreSQL (1 worker) against a bare endpoint.

    .venv/bin/python bench/ingest.py [--signals N] [--connections 32] [--warmup W] [--rounds R]

It creates a throwaway PostgreSQL database (DATABASE_URL if it is postgresql://, else
SIGNALHUB_TEST_PG_DSN, else postgres@127.0.0.1:5432), starts the real server with one
worker, creates a user and a producer with the CLI, pre-signs every signal, and sends them
over C keep-alive connections with a minimal asyncio HTTP/1.1 client (so the client costs
little CPU on the shared machine). Then it runs, on the same stack (uvicorn, one worker), a
bare Litestar endpoint that only verifies the HMAC and decodes the body, with the same load,
and prints signals/s, p50, p99 and the ratio ours/bare. The two servers run side by side
and the rounds alternate (ours, bare, ours, ...) so both meet the same background load.
Target: ratio >= 0.5, p99 <= 40 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
SIGNALHUB = shutil.which("signalhub", path=str(BIN)) or "signalhub"
BARE_SECRET = "bench-bare-secret"
INSTRUMENTS = [f"SYM{i:02d}" for i in range(64)]


# --- the bare endpoint: HMAC + msgspec decode, no database --------------------------------


def bare_app() -> Any:
    import msgspec
    from litestar import Litestar, Request, post

    decode = msgspec.json.Decoder().decode
    key = BARE_SECRET.encode()

    @post("/api/v1/signals", status_code=201)
    async def ingest(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = await request.body()
        stamp = request.headers.get("x-timestamp", "")
        given = request.headers.get("x-signature", "").encode()
        expected = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given):
            return {"detail": "bad signature"}  # counted as a failure by the client
        document = decode(body)
        return {"id": str(uuid.uuid4()), "instrument": document["instrument"]}

    return Litestar([ingest], logging_config=None, debug=False)


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(
        "ingest:bare_app",
        factory=True,
        app_dir=str(HERE),
        host="127.0.0.1",
        port=port,
        workers=1,
        log_config=None,
        access_log=False,
        lifespan="on",
    )


# --- load generator ----------------------------------------------------------------------


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def ok(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<6} {self.rate:9.1f} signals/s   p50 {self.pct(0.50):6.2f} ms   "
            f"p99 {self.pct(0.99):6.2f} ms   mean {statistics.fmean(self.latencies) * 1000:6.2f} ms"
            f"   statuses {dict(sorted(self.statuses.items()))}"
        )


def request_bytes(port: int, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        "POST /api/v1/signals HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
        "",
        "",
    ]
    return "\r\n".join(lines).encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def blast(name: str, port: int, requests: list[bytes], connections: int) -> Result:
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                raw = queue.pop()
                started = time.perf_counter()
                status = await _exchange(reader, writer, raw)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return Result(name, time.perf_counter() - started, latencies, statuses)


# --- setup -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def pg_admin_dsn() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgresql://", "postgres://")):
        return url
    return os.environ.get("SIGNALHUB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _pg(dsn: str, sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def with_database(dsn: str, name: str) -> str:
    p = urlsplit(dsn)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [SIGNALHUB, *args, "--json"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"signalhub {' '.join(args)} failed: {done.stderr}")
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def signed_requests(port: int, producer_id: str, secret: str, count: int, salt: str) -> list[bytes]:
    stamp = str(int(time.time()))
    key = secret.encode()
    base = 1_700_000_000
    out = []
    for i in range(count):
        body = json.dumps(
            {
                "instrument": INSTRUMENTS[i % len(INSTRUMENTS)],
                "side": "buy" if (i // len(INSTRUMENTS)) % 2 == 0 else "sell",
                "price": 100 + i % 977 / 7,
                # each (instrument, side) recurs every 128 signals, 10 minutes apart: no dedup
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + (i // 128) * 600)),
                "external_id": f"{salt}-{i}",
                "payload": {"strategy": "bench", "tf": "1m", "i": i},
            },
            separators=(",", ":"),
        ).encode()
        mac = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {"X-Producer-Id": producer_id, "X-Timestamp": stamp, "X-Signature": mac}
        out.append(request_bytes(port, body, headers))
    return out


def run(signals: int, connections: int, warmup: int, rounds: int) -> int:
    admin = pg_admin_dsn()
    name = "signalhub_bench_" + uuid.uuid4().hex[:10]
    asyncio.run(_pg(admin, f'CREATE DATABASE "{name}"'))
    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNALS_", "MEDIA_", "PROMETHEUS_")) and k != "DATABASE_URL"
    }
    env.update(DATABASE_URL=with_database(admin, name), MEDIA_DIR=str(workdir / "media"))
    processes: list[subprocess.Popen[bytes]] = []
    ours: list[Result] = []
    bare: list[Result] = []
    try:
        user = cli(env, "users", "create", "bench")
        producer = cli(env, "producers", "create", "bench-relay", "--user", user["user_id"])
        port = bare_port = free_port()
        while bare_port == port:
            bare_port = free_port()
        with open(workdir / "server.log", "wb") as log:
            server = subprocess.Popen(
                [SIGNALHUB, "serve", "--port", str(port), "--workers", "1"],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(server)
        bare_server = subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(bare_port)],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        processes.append(bare_server)
        wait_healthy(port, server, "/healthz")
        wait_healthy(bare_port, bare_server, "/schema")
        total = warmup + rounds * signals
        ours_requests = signed_requests(
            port, producer["producer_id"], producer["secret"], total, "s"
        )
        bare_requests = signed_requests(bare_port, "bare", BARE_SECRET, total, "b")
        asyncio.run(blast("warmup", port, ours_requests[:warmup], connections))
        asyncio.run(blast("warmup", bare_port, bare_requests[:warmup], connections))
        # Alternate short rounds so both see the same background load on a shared machine.
        for i in range(rounds):
            batch = slice(warmup + i * signals, warmup + (i + 1) * signals)
            ours.append(asyncio.run(blast("ours", port, ours_requests[batch], connections)))
            bare.append(asyncio.run(blast("bare", bare_port, bare_requests[batch], connections)))
        stop(server)
        stored = asyncio.run(_pg(env["DATABASE_URL"], "SELECT count(*) FROM signal"))
    finally:
        for process in processes:
            stop(process)
        asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"ingest: {rounds} alternating rounds of {signals} signed signals, "
        f"{connections} connections, 1 worker, PostgreSQL"
    )
    for ours_round, bare_round in zip(ours, bare, strict=True):
        print(ours_round.line())
        print(bare_round.line())
        print(f"       ratio ours/bare {ours_round.rate / bare_round.rate:.2f}")
    ours_all, bare_all = merge("ours", ours), merge("bare", bare)
    print("all rounds:")
    print(ours_all.line())
    print(bare_all.line())
    ratio = ours_all.rate / bare_all.rate
    print(
        f"ratio ours/bare {ratio:.2f} (target >= 0.5); ours p99 {ours_all.pct(0.99):.2f} ms "
        f"(target <= 40 ms); rows stored {stored} of {total}"
    )
    healthy = ours_all.ok == bare_all.ok == rounds * signals and stored == total
    if not healthy:
        print("WARNING: some requests failed; figures are not comparable")
    return 0 if healthy else 1


def merge(name: str, results: list[Result]) -> Result:
    statuses: dict[int, int] = {}
    for r in results:
        for code, n in r.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    return Result(
        name,
        sum(r.seconds for r in results),
        [x for r in results for x in r.latencies],
        statuses,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()  # scripts/dev.py bench passes its args to every script
    if args.serve_bare is not None:
        serve_bare(args.serve_bare)
        return 0
    return run(args.signals, args.connections, args.warmup, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
