"""SPEC §12 over HTTP, cache hits only: what a share link and a report cost next to §6.

One `signalhub serve` (SQLite, MEDIA_STORE=fs). Alternating requests, so load from other
processes hits both sides alike; prints p50/p99 and the ratio:

- GET /m/<key>.png?exp=&sig= (signature checked against the keys read from the database)
  next to GET /api/v1/media/{key} (Bearer token looked up in the database), same PNG;
- GET /api/v1/reports/equity.png over N closed signals (read, sorted, compounded, hashed)
  next to POST /api/v1/charts/equity with the same N+1 points (parsed, hashed).

    .venv/bin/python bench/share_links.py [--requests N] [--closed N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.media_store import SIGNALHUB, p, start  # noqa: E402
from tests.support.lifecycle import closed_signal  # noqa: E402
from tests.support.signals import Account, Producer  # noqa: E402


def cli(env: dict[str, str], cwd: Path, *args: str) -> dict[str, str]:
    done = subprocess.run(
        [SIGNALHUB, *args, "--json"], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    parsed: dict[str, str] = json.loads(done.stdout)
    return parsed


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--closed", type=int, default=100)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-links-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_", "PROMETHEUS_"))},
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "MEDIA_DIR": str(workdir / "media"),
        "RENDER_WORKERS": "1",
        "LOG_LEVEL": "warning",
    }
    user = cli(env, workdir, "users", "create", "bench")
    made = cli(env, workdir, "producers", "create", "b", "--user", user["user_id"],
               "--dedup-window", "0")  # fmt: skip
    owner, relay = Account(user["user_id"], user["token"]), Producer("b", made["secret"])
    process, url = start(env, workdir)
    try:
        with httpx.Client(base_url=url, timeout=120) as http:
            # fills and closes a little ahead: after every approval, within the 300 s allowed
            t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=200)
            closes = [
                closed_signal(
                    http, owner, relay, instrument="XAUUSD", side="buy", fill=100.0,
                    exit_price=100.0 + (i % 7) - 3,
                    executed_at=(t0 + timedelta(seconds=1)).isoformat(),
                    closed_at=(t0 + timedelta(seconds=2, milliseconds=i)).isoformat(),
                )
                for i in range(args.closed)
            ]  # fmt: skip
            auth = owner.auth
            report = http.get("/api/v1/reports/equity.png", headers=auth)
            assert report.status_code == 200, report.text
            equity, points = 10_000.0, [{"t": closes[0]["executed_at"], "equity": 10_000.0}]
            for c in sorted(closes, key=lambda c: (_moment(c["closed_at"]), c["id"])):
                equity *= 1 + c["return"]
                points.append({"t": c["closed_at"], "equity": equity})
            body = {
                "points": points,
                "title": f"Equity of {args.closed} closed signals, from 10000",
            }
            hand = http.post("/api/v1/charts/equity", json=body, headers=auth)
            assert hand.status_code == 200, hand.text
            assert hand.headers["x-media-key"] == report.headers["x-media-key"]
            key = report.headers["x-media-key"]
            link = http.post(f"/api/v1/media/{key}/links", json={}, headers=auth).json()["url"]
            series: dict[str, list[float]] = {
                "media": [], "shared": [], "report": [], "chart": []
            }  # fmt: skip
            for _ in range(args.requests):
                series["media"].append(
                    timed(lambda: http.get(f"/api/v1/media/{key}", headers=auth))
                )
                series["shared"].append(timed(lambda: http.get(link)))
                series["report"].append(
                    timed(lambda: http.get("/api/v1/reports/equity.png", headers=auth))
                )
                series["chart"].append(
                    timed(lambda: http.post("/api/v1/charts/equity", json=body, headers=auth))
                )
        print(f"cache hits over HTTP, {len(report.content)} byte PNG, {args.requests} requests "
              f"each, sequential, alternating; {args.closed} closed signals")  # fmt: skip
        for label, mine, base in (
            ("GET /m/<key>.png (signed)  vs GET /api/v1/media/{key}", "shared", "media"),
            ("GET /api/v1/reports/equity.png vs POST /api/v1/charts/equity", "report", "chart"),
        ):
            a50, b50 = p(series[mine], 50), p(series[base], 50)
            print(f"  {label}: p50 {a50:6.2f} ms vs {b50:6.2f} ms (x{a50 / b50:.2f}), "
                  f"p99 {p(series[mine], 99):6.2f} ms vs {p(series[base], 99):6.2f} ms")  # fmt: skip
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
