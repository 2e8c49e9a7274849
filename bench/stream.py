"""Stream benchmark (SPEC §10): delivery delay to 50 open streams, and what they cost ingestion.

    .venv/bin/python bench/stream.py [--signals N] [--streams 50] [--connections 16] [--rounds R]

A throwaway PostgreSQL database and `signalhub serve` with one worker (the helpers of
bench/ingest.py). Rounds alternate: ingest N pre-signed signals over C connections with no
stream open, then open S streams of the same user (raw sockets read by this process),
ingest N more, wait until every stream has every event, close them. Prints signals/s of
both, the ratio (the streams must cost < 10 %), and the delay from a 201 to the event's
arrival on a stream: p50/p99 over every (signal, stream) pair and over "the last stream
to get it" per signal. The client and the server share the machine: the streams' readers
cost CPU here too, so the ratio is a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ingest as base  # noqa: E402

EXTERNAL_ID = re.compile(rb'"external_id":"([^"]+)"')


async def ingest_round(
    port: int, requests: list[bytes], connections: int
) -> tuple[float, dict[bytes, float]]:
    """Signals/s and, per external_id, when its 201 arrived."""
    queue = list(reversed(requests))
    done: dict[bytes, float] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                raw = queue.pop()
                status = await base._exchange(reader, writer, raw)
                if status == 201:
                    found = EXTERNAL_ID.search(raw)
                    assert found is not None
                    done[found.group(1)] = time.perf_counter()
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return len(done) / (time.perf_counter() - started), done


class Stream:
    def __init__(self) -> None:
        self.arrivals: dict[bytes, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def run(self, port: int, token: str, after: int, opened: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Last-Event-ID: {after}\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        opened.set()
        try:
            while chunk := await reader.read(65536):
                now = time.perf_counter()
                for found in EXTERNAL_ID.finditer(chunk):
                    self.arrivals[found.group(1)] = now
        finally:
            writer.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def streamed_round(
    port: int, token: str, after: int, requests: list[bytes], connections: int, count: int
) -> tuple[float, list[float], list[float]]:
    """`after`: the user's last event id (one event per stored signal, ids dense)."""
    streams = [Stream() for _ in range(count)]
    opened = [asyncio.Event() for _ in streams]
    for s, e in zip(streams, opened, strict=True):
        s.task = asyncio.create_task(s.run(port, token, after, e))
    await asyncio.gather(*(e.wait() for e in opened))
    await asyncio.sleep(0.5)  # every stream live
    rate, done = await ingest_round(port, requests, connections)
    deadline = time.monotonic() + 30
    while any(len(s.arrivals) < len(done) for s in streams) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    pairs = [s.arrivals[k] - t for s in streams for k, t in done.items() if k in s.arrivals]
    last = [max(s.arrivals.get(k, float("inf")) for s in streams) - t for k, t in done.items()]
    for s in streams:
        assert s.task is not None
        s.task.cancel()
    await asyncio.gather(*(s.task for s in streams if s.task), return_exceptions=True)
    return rate, pairs, last


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    admin = base.pg_admin_dsn()
    name = "signalhub_bench_" + uuid.uuid4().hex[:10]
    asyncio.run(base._pg(admin, f'CREATE DATABASE "{name}"'))
    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-"))
    env = {k: v for k, v in base.os.environ.items() if not k.startswith(("SIGNALS_", "STREAM_"))}
    env.update(
        DATABASE_URL=base.with_database(admin, name),
        MEDIA_DIR=str(workdir / "media"),
        STREAM_MAX_PER_USER=str(max(10, args.streams)),
    )
    server = None
    try:
        user = base.cli(env, "users", "create", "bench")
        relay = base.cli(env, "producers", "create", "bench-relay", "--user", user["user_id"])
        port = base.free_port()
        with open(workdir / "server.log", "wb") as log:
            server = subprocess.Popen(
                [base.SIGNALHUB, "serve", "--port", str(port), "--workers", "1"],
                env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        base.wait_healthy(port, server, "/healthz")
        total = (2 * args.rounds + 1) * args.signals
        requests = base.signed_requests(port, relay["producer_id"], relay["secret"], total, "s")
        batches = [requests[i : i + args.signals] for i in range(0, total, args.signals)]
        asyncio.run(ingest_round(port, batches[0], args.connections))  # warm-up
        bare_rates, streamed_rates, pairs, last = [], [], [], []
        for r in range(args.rounds):
            rate, _ = asyncio.run(ingest_round(port, batches[1 + 2 * r], args.connections))
            bare_rates.append(rate)
            rate, p, lst = asyncio.run(
                streamed_round(
                    port,
                    user["token"],
                    (2 + 2 * r) * args.signals,
                    batches[2 + 2 * r],
                    args.connections,
                    args.streams,
                )
            )
            streamed_rates.append(rate)
            pairs += p
            last += lst
            print(f"round {r + 1}: no streams {bare_rates[-1]:8.1f}/s   "
                  f"{args.streams} streams {rate:8.1f}/s   ratio {rate / bare_rates[-1]:.2f}")  # fmt: skip
    finally:
        if server is not None:
            base.stop(server)
        asyncio.run(base._pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(workdir, ignore_errors=True)
    bare, streamed = sum(bare_rates) / len(bare_rates), sum(streamed_rates) / len(streamed_rates)
    print(f"stream: {args.rounds} rounds of {args.signals} signals, {args.connections} "
          f"connections, {args.streams} streams, 1 worker, PostgreSQL")  # fmt: skip
    print(f"ingestion  no streams {bare:8.1f}/s  with streams {streamed:8.1f}/s  "
          f"ratio {streamed / bare:.2f} (target >= 0.90)")  # fmt: skip
    lost = sum(1 for x in last if x == float("inf"))
    print(
        f"201 -> event on a stream: p50 {pct(pairs, 0.5):7.1f} ms  p99 {pct(pairs, 0.99):7.1f} ms"
    )
    finite = [x for x in last if x != float("inf")]
    print(f"201 -> event on every stream: p50 {pct(finite, 0.5):7.1f} ms  "
          f"p99 {pct(finite, 0.99):7.1f} ms  (signals missing on some stream: {lost})")  # fmt: skip
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
