"""The load: pre-signed requests sent over keep-alive connections by a minimal asyncio
HTTP/1.1 client (it costs little CPU on the shared machine), and what came back."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import statistics
import time
from dataclasses import dataclass

INSTRUMENTS = [f"SYM{i:02d}" for i in range(64)]


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


def signed_requests(
    port: int, producer_id: str, secret: str, count: int, salt: str, era: int = 0
) -> list[bytes]:
    """`era` moves every time by ~3 years so that contenders sharing a producer never
    deduplicate each other's signals."""
    stamp = str(int(time.time()))
    key = secret.encode()
    base = 1_600_000_000 + era * 100_000_000
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


def ratios(results: dict[str, Result]) -> str:
    bare = results["bare"].rate
    parts = [f"{name}/bare {r.rate / bare:.2f}" for name, r in results.items() if name != "bare"]
    if "ours2w" in results:
        parts.append(f"ours2w/ours {results['ours2w'].rate / results['ours'].rate:.2f}")
    if "1by1" in results:
        parts.append(f"ours/1by1 {results['ours'].rate / results['1by1'].rate:.2f}")
    if "oursTCP" in results:
        parts.append(f"ours/oursTCP {results['ours'].rate / results['oursTCP'].rate:.2f}")
    if "before" in results:
        parts.append(f"ours/before {results['ours'].rate / results['before'].rate:.2f}")
    if "bare+" in results:
        parts.append(f"ours/bare+ {results['ours'].rate / results['bare+'].rate:.2f}")
    return "ratio " + ", ".join(parts)


def cpu_split(name: str, seconds: tuple[float, float, float], signals: int) -> str:
    """server + PostgreSQL + load generator CPU seconds as µs per signal, and their sum."""
    parts = [x * 1e6 / max(signals, 1) for x in seconds]
    return (
        f"  {name:<7} {parts[0]:5.0f} + {parts[1]:5.0f} + {parts[2]:5.0f} = "
        f"{sum(parts):5.0f}   ({1e6 / max(sum(parts), 1):,.0f} signals per CPU-second)"
    )
