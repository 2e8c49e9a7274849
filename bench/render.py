"""Chart rendering benchmark (issues #4 and #12).

    .venv/bin/python bench/render.py [--runs 15] [--baseline REF] [--renders 2000]
    bench/render ...            (the same, through the wrapper)

All ratios are ours / mplfinance: below 1 means faster than mplfinance, lower is better.

1. In process: one 500-candle chart with SMA 20/50/200 and volume at 1200x700 through our
   renderer (`draw_png`) and, on the same data in the same process, through mplfinance
   (`mpf.plot(type="candle", mav=(20, 50, 200), volume=True)` saved as PNG at the same size).
   Target <= 0.5 (issue #4).
2. Over HTTP, cache MISS: the same chart POSTed to a real `signalhub serve` (SQLite, one
   worker, RENDER_WORKERS=1), a different candle series each round so every request renders,
   timed by the client from request to last byte; divided by the median of mplfinance drawing
   the same series in this process. Target <= 0.25 (issue #12). With `--baseline REF` a
   second server runs the code of git REF (exported with `git archive`) and the rounds
   alternate: baseline MISS, ours MISS, mplfinance — so every figure meets the same load.
3. Over HTTP, cache HIT p50: the POST of an already-rendered chart and GET /media/{key},
   alternating between the servers. Target p50 <= 5 ms (issue #12).
4. `--renders N` (N > 0): resident memory of our server after 200 and N distinct renders.

The machine may be shared: read the ratios (measured in one run), not the milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_support import (
    CANDLES,
    HEIGHT,
    ROOT,
    WIDTH,
    Running,
    exported,
    memory,
    mplfinance_png,
    ohlcv,
    percentile,
    quiet_matplotlib,
    server,
)

sys.path.insert(0, str(ROOT))


def in_process(runs: int) -> float:
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
    warm_up()
    draw_png(spec), mplfinance_png(rows)  # first calls load fonts and caches for both
    ours_s: list[float] = []
    theirs_s: list[float] = []
    for _ in range(runs):  # alternating, so both meet the same background load
        started = time.perf_counter()
        draw_png(spec)
        ours_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        mplfinance_png(rows)
        theirs_s.append(time.perf_counter() - started)
    ours, theirs = statistics.median(ours_s), statistics.median(theirs_s)
    print(
        f"1. in process: {CANDLES} candles + SMA 20/50/200 + volume, {WIDTH}x{HEIGHT}, {runs} runs"
    )
    print(f"   ours {ours * 1000:7.1f} ms   mplfinance {theirs * 1000:7.1f} ms")
    print(f"   ratio ours/mplfinance = {ours / theirs:.3f}   (target <= 0.5)")
    return ours / theirs


def over_http(servers: list[Running], runs: int, hits: int) -> None:
    import httpx

    from adapters.rendering.charts.draw import draw_png
    from domain.media.charts import Candle, CandlestickSpec

    clients = {
        s.name: httpx.Client(
            base_url=s.url, headers={"Authorization": f"Bearer {s.token}"}, timeout=300
        )
        for s in servers
    }
    post = "/api/v1/charts/candlestick"
    json_type = {"content-type": "application/json"}
    try:
        warm = json.dumps({"candles": ohlcv(CANDLES, seed=7), "sma": [20, 50, 200]}).encode()
        for http in clients.values():  # render workers warm, fonts at this size loaded
            for _ in range(2):
                assert http.post(post, content=warm, headers=json_type).status_code == 200
        miss: dict[str, list[float]] = {s.name: [] for s in servers}
        mpl: list[float] = []
        draw: list[float] = []
        for i in range(runs):
            rows = ohlcv(CANDLES, seed=1000 + i)
            raw = json.dumps({"candles": rows, "sma": [20, 50, 200]}).encode()
            spec = CandlestickSpec.create(
                [
                    Candle(datetime.fromisoformat(r["t"]), r["o"], r["h"], r["l"], r["c"], r["v"])
                    for r in rows
                ],
                sma=[20, 50, 200],
            )
            started = time.perf_counter()
            draw_png(spec)  # our drawing of this series in this process: MISS minus this = HTTP
            draw.append(time.perf_counter() - started)
            for name, http in clients.items():
                started = time.perf_counter()
                r = http.post(post, content=raw, headers=json_type)
                miss[name].append(time.perf_counter() - started)
                assert r.status_code == 200 and r.headers["x-cache"] == "MISS", r.text
            started = time.perf_counter()
            mplfinance_png(rows)
            mpl.append(time.perf_counter() - started)
        mpl_med = statistics.median(mpl)
        print(f"2. over HTTP, cache MISS ({runs} rounds, a new series each): client-timed median")
        draw_med = statistics.median(draw)
        print(f"   mplfinance in process {mpl_med * 1000:7.1f} ms")
        print(
            f"   ours in process       {draw_med * 1000:7.1f} ms   ratio = "
            f"{draw_med / mpl_med:.3f}   (the drawing alone, this tree)"
        )
        for name, times in miss.items():
            med = statistics.median(times)
            print(
                f"   {name:<22} MISS {med * 1000:7.1f} ms   ratio MISS/mplfinance = "
                f"{med / mpl_med:.3f}   (target <= 0.25)"
            )

        body = json.dumps({"candles": ohlcv(CANDLES, seed=1), "sma": [20, 50, 200]}).encode()
        keys = {}
        for name, http in clients.items():
            keys[name] = http.post(post, content=body, headers=json_type).headers["x-media-key"]
        hit_post: dict[str, list[float]] = {s.name: [] for s in servers}
        hit_get: dict[str, list[float]] = {s.name: [] for s in servers}
        for _ in range(hits):
            for name, http in clients.items():
                started = time.perf_counter()
                r = http.post(post, content=body, headers=json_type)
                hit_post[name].append(time.perf_counter() - started)
                assert r.headers["x-cache"] == "HIT"
                started = time.perf_counter()
                g = http.get(f"/api/v1/media/{keys[name]}")
                hit_get[name].append(time.perf_counter() - started)
                assert g.status_code == 200
        print(f"3. over HTTP, cache HIT ({hits} requests each, sequential, alternating servers)")
        for name in clients:
            print(
                f"   {name:<22} POST (500 candles) p50 {percentile(hit_post[name], 50):6.2f} ms"
                f"  p99 {percentile(hit_post[name], 99):6.2f}   GET /media/{{key}} p50 "
                f"{percentile(hit_get[name], 50):6.2f} ms  p99 {percentile(hit_get[name], 99):6.2f}"
                "   (target p50 <= 5 ms)"
            )
    finally:
        for http in clients.values():
            http.close()


def memory_growth(ours: Running, renders: int) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {ours.token}"}

    async def render_many(start: int, stop: int) -> None:
        sem = asyncio.Semaphore(4)
        async with httpx.AsyncClient(base_url=ours.url, headers=headers, timeout=300) as client:

            async def one(i: int) -> None:
                async with sem:
                    b = {"candles": ohlcv(120, seed=10_000 + i), "title": f"chart {i}"}
                    r = await client.post("/api/v1/charts/candlestick", json=b)
                    assert r.status_code == 200 and r.headers["x-cache"] == "MISS", r.text

            await asyncio.gather(*(one(i) for i in range(start, stop)))

    started = time.perf_counter()
    asyncio.run(render_many(0, 200))
    at_200 = memory(ours.pid)
    asyncio.run(render_many(200, renders))
    at_n = memory(ours.pid)
    elapsed = time.perf_counter() - started
    print(f"4. resident memory, distinct renders (120 candles, 1200x700; {elapsed:.0f} s total)")
    print(f"   after  200: server {at_200[0]:4d} MiB   with render workers {at_200[1]:4d} MiB")
    print(f"   after {renders}: server {at_n[0]:4d} MiB   with render workers {at_n[1]:4d} MiB")
    print(
        f"   growth: server x{at_n[0] / max(1, at_200[0]):.3f}   with workers "
        f"x{at_n[1] / max(1, at_200[1]):.3f}   (target <= 1.20)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="MISS rounds / in-process runs")
    parser.add_argument("--hits", type=int, default=200, help="HIT requests per server")
    parser.add_argument("--baseline", metavar="REF", help="git ref to compare with, e.g. main")
    parser.add_argument("--renders", type=int, default=0, help="memory check: N > 200 renders")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    quiet_matplotlib()
    in_process(args.runs)
    if args.skip_http:
        return
    with ExitStack() as stack:
        servers = []
        if args.baseline:
            tree = stack.enter_context(exported(args.baseline))
            servers.append(stack.enter_context(server(f"before ({args.baseline})", tree, 1)))
        ours = stack.enter_context(server("after (this tree)", ROOT, 1))
        servers.append(ours)
        over_http(servers, args.runs, args.hits)
        if args.renders > 200:
            memory_growth(ours, args.renders)


if __name__ == "__main__":
    main()
