"""Outbound webhooks benchmark (SPEC §15), one run, PostgreSQL, printed as rates and ratios.

    .venv/bin/python bench/webhooks.py [--signals N] [--subscriptions S] [--connections C]
                                       [--rounds R] [--ingest M] [--paced P] [--pace X]

A throwaway PostgreSQL database, `signalhub serve` processes with WEBHOOKS_ALLOW_PRIVATE=true,
and the receiver process of the e2e tests (tests/support/webhook_receiver.py: it verifies
every request with `standardwebhooks` and answers 200 at once), S subscriptions of one user.

1. Delivery with 1 server process, then with 2 on the same database: N pre-signed signals
   ingested over C connections (split over the processes), then wait until the receiver
   has every (event, subscription). Prints deliveries/s (first 201 -> last receiver 200) and
   the delay from a signal's 201 to the receiver's 200, p50/p99 over every pair.
2. Ingestion by a user whose S subscriptions point at a receiver that is down vs a user with
   no subscription, M signals each, one process, rounds alternating (none, down, up, none, ...) so all meet
   the same background load; "up": a third user's S subscriptions to a second receiver that
   answers, to tell the cost of the outbox itself from the cost of a receiver being down.
   Prints signals/s and the ratios (target for down: >= 0.90, a drop of at most 10 %).

The receiver, the client and the servers share the machine, so rates are lower bounds and
the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from ingestkit import load, pg  # noqa: E402
from ingestkit import servers as serving  # noqa: E402

from tests.support.webhooks import Receiver  # noqa: E402

EXTERNAL_ID = re.compile(rb'"external_id":"([^"]+)"')
SUBSCRIPTIONS = "/api/v1/subscriptions"


async def ingest(
    ports: list[int], requests: list[bytes], connections: int, pace: float = 0.0
) -> dict[str, float]:
    """Send every request over C connections spread over the servers (`pace` signals/s in
    all when given, else as fast as they go); external_id -> wall clock time of its 201 (the
    receiver's clock is the same machine's)."""
    queue = list(reversed(requests))
    done: dict[str, float] = {}
    began = time.monotonic()

    async def worker(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                raw = queue.pop()
                if pace:
                    sent = len(requests) - len(queue) - 1
                    await asyncio.sleep(max(0.0, began + sent / pace - time.monotonic()))
                if await load._exchange(reader, writer, raw) == 201:
                    found = EXTERNAL_ID.search(raw)
                    assert found is not None
                    done[found.group(1).decode()] = time.time()
        finally:
            writer.close()

    await asyncio.gather(*(worker(ports[i % len(ports)]) for i in range(connections)))
    return done


def rate_of(done: dict[str, float], started: float) -> float:
    return len(done) / (max(done.values()) - started) if done else 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def start(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = serving.free_port()
    with open(workdir / f"server-{port}.log", "wb") as log:
        process = subprocess.Popen(
            [serving.SIGNALHUB, "serve", "--port", str(port), "--workers", "1"],
            env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    serving.wait_healthy(port, process, "/healthz")
    return process, port


def subscribe(port: int, token: str, url: str) -> dict[str, Any]:
    import httpx

    answer = httpx.post(
        f"http://127.0.0.1:{port}{SUBSCRIPTIONS}",
        json={"url": url},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if answer.status_code != 201:
        raise SystemExit(f"subscription refused: {answer.status_code} {answer.text}")
    made: dict[str, Any] = answer.json()
    return made


SEEN: dict[int, list[dict[str, Any]]] = {}  # per receiver, every record fetched so far


def delivered(receiver: Receiver) -> dict[str, list[dict[str, Any]]]:
    """name -> verified requests answered 200, in arrival order."""
    seen = SEEN.setdefault(receiver.port, [])
    for record in receiver.records(since=len(seen)):
        if record["answered_at"] is None:
            break  # still being answered: fetched again next time
        seen.append(record)
    found: dict[str, list[dict[str, Any]]] = {}
    for r in seen:
        if r["verified_by"] and r["answer_ok"] and r["answered"] == 200:
            found.setdefault(r["name"], []).append(r)
    return found


def delivery_round(
    receiver: Receiver,
    names: list[str],
    ports: list[int],
    batch: list[bytes],
    connections: int,
    pace: float = 0.0,
) -> tuple[float, list[float], int]:
    """Deliveries/s, the 201 -> 200 delays, and how many pairs never arrived."""
    before = {n: len(v) for n, v in delivered(receiver).items()}
    started = time.time()
    done = asyncio.run(ingest(ports, batch, connections, pace))
    wanted = len(done) * len(names)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = delivered(receiver)
        if sum(len(now.get(n, [])) - before.get(n, 0) for n in names) >= wanted:
            break
        time.sleep(0.5)
    delays, last = [], started
    for n, records in delivered(receiver).items():
        for record in records[before.get(n, 0) :]:
            external_id = record["body"]["data"]["signal"]["external_id"]
            if external_id in done:
                delays.append(record["answered_at"] - done[external_id])
                last = max(last, record["answered_at"])
    return len(delays) / (last - started), delays, wanted - len(delays)


def drain(receiver: Receiver, total: int) -> None:
    deadline = time.monotonic() + 300
    while sum(len(v) for v in delivered(receiver).values()) < total:
        if time.monotonic() > deadline:
            raise SystemExit("the receiver that is up did not get every delivery in 300 s")
        time.sleep(0.5)


def merged(rounds: list[tuple[float, list[float], int]]) -> tuple[float, list[float], int]:
    """Mean rate, every delay, every missing pair."""
    rate = sum(r[0] for r in rounds) / len(rounds)
    return rate, [d for r in rounds for d in r[1]], sum(r[2] for r in rounds)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=500)
    parser.add_argument("--subscriptions", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ingest", type=int, default=2000, help="signals a round in part 2")
    parser.add_argument("--paced", type=int, default=100, help="signals sent at --pace")
    parser.add_argument("--pace", type=float, default=5.0, help="signals/s for the delays")
    args = parser.parse_args()
    admin = pg.pg_admin_dsn()
    name = "signalhub_bench_" + uuid.uuid4().hex[:10]
    asyncio.run(pg.pg_value(admin, f'CREATE DATABASE "{name}"'))
    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNALS_", "WEBHOOKS_"))}
    env.update(
        DATABASE_URL=pg.with_database(admin, name),
        MEDIA_DIR=str(workdir / "media"),
        LOG_LEVEL="warning",
        WEBHOOKS_ALLOW_PRIVATE="true",
    )
    servers: list[subprocess.Popen[bytes]] = []
    receiver = served_receiver = None
    n, m = args.signals, args.ingest
    try:
        user = serving.cli(env, "users", "create", "bench")
        relay = serving.cli(env, "producers", "create", "bench-relay", "--user", user["user_id"])
        quiet = serving.cli(env, "users", "create", "quiet")
        quiet_relay = serving.cli(
            env, "producers", "create", "quiet-relay", "--user", quiet["user_id"]
        )
        served = serving.cli(env, "users", "create", "served")
        served_relay = serving.cli(
            env, "producers", "create", "served-relay", "--user", served["user_id"]
        )
        receiver = Receiver(workdir)
        served_receiver = Receiver(workdir)
        process, port = start(env, workdir)
        servers.append(process)
        names = [f"h{i}" for i in range(args.subscriptions)]
        for hook in names:
            made = subscribe(port, user["token"], receiver.url(hook))
            receiver.configure(hook, {"s": made["secret"]})
            made = subscribe(port, served["token"], served_receiver.url(hook))
            served_receiver.configure(hook, {"s": made["secret"]})

        used: dict[str, int] = {}

        def batch(producer: dict[str, Any], count: int) -> list[bytes]:
            """The producer's next `count` signals, signed now, outside every dedup rule."""
            first = used.get(producer["producer_id"], 0)
            used[producer["producer_id"]] = first + count
            made = load.signed_requests(
                port, producer["producer_id"], producer["secret"], first + count, "s"
            )
            return made[first:]

        asyncio.run(ingest([port], batch(quiet_relay, n // 4), args.connections))  # warm-up
        ones, twos = [], []
        for _ in range(args.rounds):  # 1 process, then 2, alternating: the same background
            ones.append(delivery_round(receiver, names, [port], batch(relay, n), args.connections))
            process2, port2 = start(env, workdir)
            servers.append(process2)
            twos.append(
                delivery_round(receiver, names, [port, port2], batch(relay, n), args.connections)
            )
            paced_two = delivery_round(
                receiver, names, [port, port2], batch(relay, args.paced), 2, args.pace
            )
            serving.stop(servers.pop())
            print(f"delivery burst: 1 process {ones[-1][0]:7.1f}/s   2 processes "
                  f"{twos[-1][0]:7.1f}/s   ratio {twos[-1][0] / ones[-1][0]:.2f}")  # fmt: skip
        paced_one = delivery_round(receiver, names, [port], batch(relay, args.paced), 1, args.pace)
        one = merged(ones)
        two = merged(twos)

        receiver.down()
        quiet_rates: list[float] = []
        down_rates: list[float] = []
        served_rates: list[float] = []
        served_total = 0
        for r in range(args.rounds):
            for rates, producer in (
                (quiet_rates, quiet_relay),
                (down_rates, relay),
                (served_rates, served_relay),
            ):
                started = time.time()
                done = asyncio.run(ingest([port], batch(producer, m), args.connections))
                rates.append(rate_of(done, started))
                if producer is served_relay:  # its deliveries must not load the next round
                    served_total += len(done) * len(names)
                    drain(served_receiver, served_total)
            print(f"round {r + 1}: no subscription {quiet_rates[-1]:7.1f}/s   receiver down "
                  f"{down_rates[-1]:7.1f}/s (ratio {down_rates[-1] / quiet_rates[-1]:.2f})   "
                  f"receiver up {served_rates[-1]:7.1f}/s "
                  f"(ratio {served_rates[-1] / quiet_rates[-1]:.2f})")  # fmt: skip
    finally:
        for process in servers:
            serving.stop(process)
        for started_receiver in (receiver, served_receiver):
            if started_receiver is not None:
                started_receiver.stop()
        asyncio.run(pg.pg_value(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"webhooks: {n} signals a delivery round, {m} an ingestion round, "
          f"{args.subscriptions} subscriptions, "
          f"{args.connections} connections, PostgreSQL, 1 worker a process")  # fmt: skip
    for label, burst, paced in (("1 process ", one, paced_one), ("2 processes", two, paced_two)):
        print(f"delivery, {label}: burst of {n}: {burst[0]:7.1f} deliveries/s "
              f"(201 -> 200 p50 {pct(burst[1], 0.5):7.1f} ms, p99 {pct(burst[1], 0.99):7.1f} ms, "
              f"backlog included);  paced {args.pace:g} signals/s: 201 -> receiver's 200 "
              f"p50 {pct(paced[1], 0.5):6.1f} ms  p99 {pct(paced[1], 0.99):6.1f} ms"
              f"  (missing: {burst[2] + paced[2]})")  # fmt: skip
    print(f"delivery rate 2 processes / 1 process: {two[0] / one[0]:.2f}")
    quiet_rate = sum(quiet_rates) / len(quiet_rates)
    down_rate = sum(down_rates) / len(down_rates)
    served_rate = sum(served_rates) / len(served_rates)
    print(f"ingestion  no subscription {quiet_rate:7.1f}/s  receiver down {down_rate:7.1f}/s  "
          f"ratio {down_rate / quiet_rate:.2f} (target >= 0.90)")  # fmt: skip
    print(f"ingestion  no subscription {quiet_rate:7.1f}/s  receiver up   {served_rate:7.1f}/s  "
          f"ratio {served_rate / quiet_rate:.2f} (the same subscriptions, delivered)")  # fmt: skip
    return 0 if one[2] == two[2] == paced_one[2] == paced_two[2] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
