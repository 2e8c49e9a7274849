"""The HTTP layer of `POST /api/v1/signals` alone, in process: CPU per request.

    .venv/bin/python bench/ingest_http.py [--requests N] [--per-turn K] [--uvloop] [--profile]

The real RequestContextMiddleware (request id, access line, HTTP metrics) around the real
Litestar app with SignalsController and the real IngestSignal (HMAC, validation, metrics),
driven straight through ASGI, one request after another, K of them between two turns of
the event loop (default 16, about one commit group's callers, which the server answers
together under load; asyncio's loop, or uvloop's as the server runs with `--uvloop`), so
that what is done once a turn (the write of the turn's log lines) is counted; the access
lines go to a scratch file, as the server's to its log. Behind IngestSignal an in-memory
producer directory and a repository that stores nothing. No socket, no uvicorn, no database:
what is left is the framework's and our HTTP and use-case code, measured as CPU time of this
process (time.process_time), which the machine's load hardly moves. `--profile` prints
cProfile's top functions instead (its overhead inflates Python calls: read shares). Another
tree: `PYTHONPATH=DIR .venv/bin/python bench/ingest_http.py` (e.g. `git archive main`).
docs/ingest-performance.md, "Where the server's CPU goes".
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import msgspec
import uvloop
from litestar import Litestar
from litestar.di import Provide

from adapters.system import SystemClock
from adapters.telemetry.logging import configure_logging
from adapters.telemetry.metrics import Metrics
from adapters.telemetry.signal_metrics import PrometheusSignalMetrics
from application.signals import IngestPolicy, IngestSignal
from domain.accounts.model import Producer
from domain.signals import signature_for
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.middleware import RequestContextMiddleware
from entrypoints.http.signals import SignalsController

SECRET = "bench-secret"
PRODUCER = Producer("bench-relay", uuid4(), True, 300, SECRET, None, None, datetime.now(UTC))


class Directory:
    async def get(self, producer_id: str) -> Producer | None:
        return PRODUCER if producer_id == PRODUCER.id else None


class Discard:
    async def add(self, signal: Any, dedup_window_seconds: int) -> Any:
        return signal


def _not_used(name: str) -> Any:
    def provide() -> object:
        raise AssertionError(f"{name}: this bench calls only POST /api/v1/signals")

    return provide


def app() -> Any:
    metrics = Metrics()
    ingest = IngestSignal(
        producers=Directory(),  # type: ignore[arg-type]
        signals=Discard(),  # type: ignore[arg-type]
        metrics=PrometheusSignalMetrics(metrics),
        clock=SystemClock(),
        decode_json=msgspec.json.decode,
        policy=IngestPolicy(producer_cache_seconds=0.5),
    )
    litestar = Litestar(
        [SignalsController],
        # as entrypoints/http/app.py provides it: a constant, cached
        dependencies={
            "ingest_signal": Provide(lambda: ingest, sync_to_thread=False, use_cache=True),
            # The read routes' dependencies, declared so that Litestar builds the controller
            # (none of them is called here).
            **{
                name: Provide(_not_used(name), sync_to_thread=False)
                for name in ("caller", "get_signal", "list_signals")
            },
        },
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=None,
        openapi_config=None,
    )
    return RequestContextMiddleware(litestar, metrics)


def requests(count: int) -> list[tuple[bytes, list[tuple[bytes, bytes]]]]:
    stamp = str(int(time.time()))
    out = []
    for i in range(count):
        body = json.dumps(
            {
                "instrument": f"SYM{i % 64:02d}",
                "side": "buy",
                "price": 100 + i % 977 / 7,
                "time": "2020-09-13T12:26:40Z",
                "external_id": f"h-{i}",
                "payload": {"strategy": "bench", "tf": "1m", "i": i},
            },
            separators=(",", ":"),
        ).encode()
        headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-producer-id", PRODUCER.id.encode()),
            (b"x-timestamp", stamp.encode()),
            (b"x-signature", signature_for(SECRET, stamp, body).encode()),
        ]
        out.append((body, headers))
    return out


async def one(asgi: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": "/api/v1/signals",
        "raw_path": b"/api/v1/signals",
        "query_string": b"",
        "headers": headers,
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await asgi(scope, receive, send)
    return status


async def measure(count: int, per_turn: int) -> float:
    asgi = app()
    load = requests(2000)
    for body, headers in load[:500]:  # warm-up
        assert await one(asgi, body, headers) == 201
    await asyncio.sleep(0)
    started = time.process_time()
    for i in range(count):
        body, headers = load[i % len(load)]
        await one(asgi, body, headers)
        if (i + 1) % per_turn == 0:
            await asyncio.sleep(0)  # the end of a loop turn (nothing here suspends otherwise)
    await asyncio.sleep(0)
    return (time.process_time() - started) * 1e6 / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--per-turn", type=int, default=16)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args, _ = parser.parse_known_args()  # scripts/dev.py bench passes its args to every script
    run = uvloop.run if args.uvloop else asyncio.run
    configure_logging("info", "json")
    real_stdout = sys.stdout
    # The access lines go to a scratch file, as the server's to its log file: a write() to a
    # file costs what the server pays (to /dev/null nearly nothing).
    sys.stdout = tempfile.TemporaryFile("w")
    try:
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            run(measure(args.requests, args.per_turn))
            profile.disable()
            sys.stdout = real_stdout
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            return 0
        micros = run(measure(args.requests, args.per_turn))
    finally:
        sys.stdout = real_stdout
    loop = "uvloop" if args.uvloop else "asyncio"
    print(
        f"ingest_http: {micros:.1f} µs of CPU per POST /api/v1/signals (HTTP layer + use case;"
        f" {args.per_turn} a turn of {loop}'s loop)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
