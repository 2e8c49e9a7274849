"""The real renderer: exact pixel size, no metadata chunks, every chart type, the process pool."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.rendering.charts.draw import draw_png
from adapters.rendering.renderer import MatplotlibChartRenderer
from domain.errors import Overloaded, Unprocessable
from domain.media.charts import (
    Candle,
    CandlestickSpec,
    ChartSpec,
    EquityPoint,
    EquitySpec,
    HistogramSpec,
)
from tests.support.png import METADATA_CHUNKS, chunks, size
from tests.support.charts import T0, equity_curve, pnl_values, random_walk_candles

# Set SIGNALHUB_KEEP_PNGS=/some/dir to keep the drawn charts for a look.
KEEP = os.environ.get("SIGNALHUB_KEEP_PNGS")


def check_png(data: bytes, width: int, height: int, name: str) -> None:
    assert size(data) == (width, height)
    assert not METADATA_CHUNKS & set(chunks(data))
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        Path(KEEP, f"{name}.png").write_bytes(data)


SPECS: dict[str, ChartSpec] = {
    "candles-500": CandlestickSpec.create(random_walk_candles(500), title="XAUUSD 1h"),
    "candles-no-volume-small": CandlestickSpec.create(
        random_walk_candles(30, volume=False), sma=[5, 10, 400], width=320, height=240
    ),
    "candles-2-4k": CandlestickSpec.create(
        random_walk_candles(2), width=3840, height=2160, title="Only two candles, $ and % in title"
    ),
    "candles-10000": CandlestickSpec.create(random_walk_candles(10_000), width=1921, height=1081),
    "equity": EquitySpec.create(equity_curve(3000), title="Strategy equity"),
    "equity-flat-odd": EquitySpec.create(equity_curve(2), width=333, height=251),
    "histogram": HistogramSpec.create(pnl_values(50_000), bins=60, color="#2E8B57", title="PnL"),
    "histogram-one-value": HistogramSpec.create([3.5], bins=1),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_draws_exact_size_without_metadata(name: str) -> None:
    spec = SPECS[name]
    check_png(draw_png(spec), spec.canvas.width, spec.canvas.height, name)


def test_draws_deterministically() -> None:
    spec = SPECS["candles-no-volume-small"]
    assert draw_png(spec) == draw_png(spec)


def test_draws_up_green_and_down_red() -> None:
    from io import BytesIO

    from PIL import Image

    spec = CandlestickSpec.create(random_walk_candles(40, volume=False), sma=[500])
    image = Image.open(BytesIO(draw_png(spec))).convert("RGB")
    colours = {rgb for _, rgb in image.getcolors(maxcolors=1_000_000) or []}
    greenish = [c for c in colours if c[1] > c[0] + 60 and c[1] > c[2] + 40]
    reddish = [c for c in colours if c[0] > c[1] + 80 and c[0] > c[2] + 80]
    assert greenish and reddish


async def test_pool_renders_concurrently_and_recovers_from_overload() -> None:
    renderer = MatplotlibChartRenderer(workers=1, queue_size=1)
    await renderer.start()
    try:
        specs = [
            HistogramSpec.create(pnl_values(200, seed=i), title=f"burst {i}") for i in range(8)
        ]
        results = await asyncio.gather(*(renderer.render(s) for s in specs), return_exceptions=True)
        overloaded = [r for r in results if isinstance(r, Overloaded)]
        drawn = [r for r in results if isinstance(r, bytes)]
        assert len(drawn) == 2 and len(overloaded) == 6
        assert all(o.retry_after_seconds >= 1 for o in overloaded)
        assert renderer.in_flight == 0
        # After the burst the renderer takes work again.
        again = await asyncio.gather(*(renderer.render(s) for s in specs[:2]))
        for data in again:
            check_png(data, 1200, 700, "pool")
    finally:
        await renderer.stop()


async def test_pool_keeps_the_event_loop_free() -> None:
    renderer = MatplotlibChartRenderer(workers=1)
    await renderer.start()
    try:
        drawing = asyncio.create_task(renderer.render(SPECS["candles-10000"]))
        # Drawn on the loop, the chart would be finished by the time the loop runs us again;
        # drawn in a worker, the loop goes on serving other work while the chart is pending.
        for _ in range(10):
            await asyncio.sleep(0)
            assert not drawing.done()
        spec = SPECS["candles-10000"]
        check_png(await drawing, spec.canvas.width, spec.canvas.height, "loop-free")
    finally:
        await renderer.stop()


EDGE_CASES: dict[str, ChartSpec] = {
    "histogram-same-big-value": HistogramSpec.create([1e20] * 5, bins=200),
    "histogram-tiny-values": HistogramSpec.create([1e-300, 2e-300, 3e-300]),
    "candles-flat-zero": CandlestickSpec.create(
        [Candle(T0, 0, 0, 0, 0, 0), Candle(T0 + timedelta(seconds=1), 0, 0, 0, 0, 0)]
    ),
    "equity-same-time": EquitySpec.create([EquityPoint(T0, 5), EquityPoint(T0, 5)]),
    "equity-from-zero-down": EquitySpec.create(
        [EquityPoint(T0, 0), EquityPoint(T0 + timedelta(days=1), -5)]
    ),
    "equity-years-1-to-9999": EquitySpec.create(
        [
            EquityPoint(datetime(1, 1, 1, tzinfo=UTC), 5),
            EquityPoint(datetime(9999, 12, 31, tzinfo=UTC), 6),
        ]
    ),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_draws_edge_cases(name: str) -> None:
    spec = EDGE_CASES[name]
    check_png(draw_png(spec), spec.canvas.width, spec.canvas.height, name)


async def test_an_undrawable_chart_is_unprocessable_not_a_crash() -> None:
    renderer = MatplotlibChartRenderer(workers=1)
    try:
        with pytest.raises(Unprocessable, match="cannot draw"):
            await renderer.render(HistogramSpec.create([1e308, -1e308]))
        data = await renderer.render(HistogramSpec.create([1.0, 2.0]))
        check_png(data, 1200, 700, "after-undrawable")
    finally:
        await renderer.stop()
