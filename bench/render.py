"""Chart rendering benchmark (issue #4).

    .venv/bin/python bench/render.py [--runs 15] [--renders 2000] [--skip-http]
    bench/render ...            (the same, through the wrapper)

1. Renders one 500-candle chart with SMA 20/50/200 and volume at 1200x700 through our
   renderer (`draw_png`: matplotlib Figure + Agg + Pillow encode) and, on the same data in the
   same process, through mplfinance (`mpf.plot(type="candle", mav=(20, 50, 200),
   volume=True)` saved as PNG at the same size). Prints both medians and the ratio
   ours/mplfinance (target <= 0.5). Runs alternate (ours, mpf, ours, ...) so both meet the
   same background load.
2. Starts a real `signalhub serve` (SQLite, 1 worker, RENDER_WORKERS=2) and prints the p50
   latency of a cache hit over HTTP (POST of an already-rendered chart, and GET /media/{key}),
   then the server's resident memory (the server process, and with its render workers) after
   200 and after `--renders` distinct renders, and the growth ratio (target <= 1.20).
"""

from __future__ import annotations

import argparse
import asyncio
import io
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SIGNALHUB = shutil.which("signalhub", path=str(BIN)) or "signalhub"

WIDTH, HEIGHT, CANDLES = 1200, 700, 500


def ohlcv(n: int, seed: int) -> list[dict[str, Any]]:
    import random

    rng = random.Random(seed)
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    price = 1950.0
    rows = []
    for i in range(n):
        o = price
        c = max(1.0, o + rng.gauss(0, 4))
        h = max(o, c) + abs(rng.gauss(0, 2))
        low = min(o, c) - abs(rng.gauss(0, 2))
        rows.append(
            {
                "t": (t0 + timedelta(hours=i)).isoformat().replace("+00:00", "Z"),
                "o": o,
                "h": h,
                "l": low,
                "c": c,
                "v": float(rng.randint(100, 5000)),
            }
        )
        price = c
    return rows


# --- 1. ours vs mplfinance ----------------------------------------------------------------


def render_comparison(runs: int) -> float:
    import mplfinance as mpf
    import pandas as pd

    from adapters.rendering.charts.draw import draw_png
    from adapters.rendering.charts.worker import warm_up
    from domain.media.charts import Candle, CandlestickSpec

    rows = ohlcv(CANDLES, seed=1)
    spec = CandlestickSpec.create(
        [
            Candle(datetime.fromisoformat(r["t"]), r["o"], r["h"], r["l"], r["c"], r["v"])
            for r in rows
        ],
        sma=[20, 50, 200],
        width=WIDTH,
        height=HEIGHT,
    )
    frame = pd.DataFrame(
        {
            "Open": [r["o"] for r in rows],
            "High": [r["h"] for r in rows],
            "Low": [r["l"] for r in rows],
            "Close": [r["c"] for r in rows],
            "Volume": [r["v"] for r in rows],
        },
        index=pd.DatetimeIndex([r["t"] for r in rows]),
    )

    def ours() -> bytes:
        return draw_png(spec)

    def theirs() -> bytes:
        out = io.BytesIO()
        mpf.plot(
            frame,
            type="candle",
            mav=(20, 50, 200),
            volume=True,
            figsize=(WIDTH / 100, HEIGHT / 100),
            savefig={"fname": out, "dpi": 100, "format": "png"},
            closefig=True,
        )
        return out.getvalue()

    import logging
    import warnings

    warnings.filterwarnings("ignore")
    # mplfinance's styles ask for font weights DejaVu lacks; matplotlib logs each fallback.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    warm_up()
    ours(), theirs()  # first calls load fonts and caches for both
    ours_s: list[float] = []
    theirs_s: list[float] = []
    sizes = {}
    for _ in range(runs):
        for fn, bucket, name in ((ours, ours_s, "ours"), (theirs, theirs_s, "mplfinance")):
            started = time.perf_counter()
            data = fn()
            bucket.append(time.perf_counter() - started)
            sizes[name] = len(data)
    from PIL import Image

    their_size = Image.open(io.BytesIO(theirs())).size
    ours_med, theirs_med = statistics.median(ours_s), statistics.median(theirs_s)
    ratio = ours_med / theirs_med
    print(f"render {CANDLES} candles + SMA 20/50/200 + volume, {WIDTH}x{HEIGHT}, {runs} runs each")
    print(f"  ours        median {ours_med * 1000:7.1f} ms   png {sizes['ours']:>7} bytes")
    print(
        f"  mplfinance  median {theirs_med * 1000:7.1f} ms   png {sizes['mplfinance']:>7} bytes"
        f"   (image {their_size[0]}x{their_size[1]})"
    )
    print(f"  ratio ours/mplfinance = {ratio:.3f}   (target <= 0.5)")
    return ratio


# --- 2. over HTTP ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def memory(pid: int) -> tuple[int, int]:
    """(server process RSS, server + all its descendants RSS) in MiB."""
    own = rss_kib(pid)
    total = own + sum(rss_kib(p) for p in descendants(pid))
    return own // 1024, total // 1024


def http_bench(renders: int) -> None:
    import httpx

    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-render-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_", "PROMETHEUS_"))},
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "MEDIA_DIR": str(workdir / "media"),
        "RENDER_WORKERS": "2",
        "LOG_LEVEL": "warning",
    }
    made = subprocess.run(
        [SIGNALHUB, "users", "create", "bench", "--json"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    token = json.loads(made.stdout)["token"]
    port = free_port()
    server = subprocess.Popen(
        [SIGNALHUB, "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.2)

        body = {"candles": ohlcv(CANDLES, seed=1), "sma": [20, 50, 200]}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            first = http.post("/api/v1/charts/candlestick", json=body)
            assert first.status_code == 200, first.text
            key = first.headers["x-media-key"]
            raw = json.dumps(body).encode()
            post_s, get_s = [], []
            for _ in range(200):
                started = time.perf_counter()
                r = http.post(
                    "/api/v1/charts/candlestick",
                    content=raw,
                    headers={"content-type": "application/json"},
                )
                post_s.append(time.perf_counter() - started)
                assert r.headers["x-cache"] == "HIT"
                started = time.perf_counter()
                g = http.get(f"/api/v1/media/{key}")
                get_s.append(time.perf_counter() - started)
                assert g.status_code == 200
        print(f"cache hit over HTTP ({len(first.content)} byte PNG, 200 requests each, sequential)")
        print(
            f"  POST /api/v1/charts/candlestick (500 candles) p50 {_p(post_s, 50):6.2f} ms"
            f"   p99 {_p(post_s, 99):6.2f} ms"
        )
        print(
            f"  GET  /api/v1/media/{{key}}                   p50 {_p(get_s, 50):6.2f} ms"
            f"   p99 {_p(get_s, 99):6.2f} ms"
        )

        # Distinct renders: a 120-candle chart with a different seed each time.
        async def render_many(start: int, stop: int) -> None:
            sem = asyncio.Semaphore(4)
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as client:

                async def one(i: int) -> None:
                    async with sem:
                        b = {"candles": ohlcv(120, seed=10_000 + i), "title": f"chart {i}"}
                        r = await client.post("/api/v1/charts/candlestick", json=b)
                        assert r.status_code == 200 and r.headers["x-cache"] == "MISS", r.text

                await asyncio.gather(*(one(i) for i in range(start, stop)))

        started = time.perf_counter()
        asyncio.run(render_many(0, 200))
        at_200 = memory(server.pid)
        asyncio.run(render_many(200, renders))
        at_n = memory(server.pid)
        elapsed = time.perf_counter() - started
        print(f"resident memory, distinct renders (120 candles, 1200x700; {elapsed:.0f} s total)")
        print(f"  after  200: server {at_200[0]:4d} MiB   with render workers {at_200[1]:4d} MiB")
        print(f"  after {renders}: server {at_n[0]:4d} MiB   with render workers {at_n[1]:4d} MiB")
        print(
            f"  growth: server x{at_n[0] / max(1, at_200[0]):.3f}   with workers "
            f"x{at_n[1] / max(1, at_200[1]):.3f}   (target <= 1.20)"
        )
    finally:
        try:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def _p(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--renders", type=int, default=2000)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    render_comparison(args.runs)
    if not args.skip_http:
        http_bench(max(201, args.renders))


if __name__ == "__main__":
    main()
