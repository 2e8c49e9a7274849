"""Candlestick chart: price panel with SMAs and the last price, optional volume panel below.

Candles stand at their index on x (no gaps for weekends or missing bars); the tick labels
name the candle's time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from adapters.rendering.charts.layout import Layout
from adapters.rendering.charts.numbers import compact, number
from adapters.rendering.charts.shapes import as_paths, rectangles
from adapters.rendering.charts.theme import DOWN, MUTED, SMA_COLORS, UP
from adapters.rendering.charts.ticks import axis_ticks, draw_ticks
from domain.media.charts import CandlestickSpec

DAY_US = 86_400_000_000


def candlestick_figure(spec: CandlestickSpec) -> Figure:
    layout = Layout(spec.canvas.width, spec.canvas.height)
    fig = layout.figure()
    o = np.asarray(spec.o)
    h = np.asarray(spec.h)
    low = np.asarray(spec.l)
    c = np.asarray(spec.c)
    n = len(o)
    x = np.arange(n, dtype=float)
    up = c >= o
    # RGBA rows, not 500 colour names for matplotlib to parse one by one.
    colors = np.where(up[:, None], to_rgba_array(UP), to_rgba_array(DOWN))

    ratios = (4.0, 1.0) if spec.v is not None else (1.0,)
    panels = layout.axes(
        fig,
        top_px=layout.top_px(spec.canvas.title),
        bottom_px=34,
        left_px=40,
        right_px=78,
        ratios=ratios,
    )
    price = panels[0]
    layout.title(fig, spec.canvas.title, 40)

    body_width = 0.7 if n < 600 else 0.8
    half = body_width / 2
    bodies = rectangles(x - half, x + half, np.minimum(o, c), np.maximum(o, c))
    wicks = np.empty((n, 2, 2))
    wicks[:, 0, 0] = wicks[:, 1, 0] = x
    wicks[:, 0, 1] = low
    wicks[:, 1, 1] = h
    edge = 0.6 if n < 2000 else 0.3
    price.add_collection(LineCollection(as_paths(wicks), colors=colors, linewidths=edge + 0.2))
    price.add_collection(
        PolyCollection(as_paths(bodies), facecolors=colors, edgecolors=colors, linewidths=edge)
    )

    drawn = []
    for period, color in zip(spec.sma, SMA_COLORS, strict=False):
        if period > n:
            continue  # a period longer than the series draws nothing
        sums = np.cumsum(np.insert(c, 0, 0.0))
        sma = (sums[period:] - sums[:-period]) / period
        price.plot(x[period - 1 :], sma, color=color, linewidth=1.3, label=f"SMA {period}")
        drawn.append(period)
    if drawn:
        legend = price.legend(loc="upper left", fontsize=9, frameon=True, ncols=len(drawn))
        legend.get_frame().set_linewidth(0)
        legend.get_frame().set_alpha(0.8)

    lo, hi = float(low.min()), float(h.max())
    pad = (hi - lo) * 0.06 or abs(hi) * 0.01 or 1.0
    price.set_ylim(lo - pad, hi + pad * (2.2 if drawn else 1.0))
    margin = max(1.0, n * 0.01)
    price.set_xlim(-margin, n - 1 + margin)
    price.yaxis.tick_right()
    price.yaxis.set_major_locator(
        MaxNLocator(nbins=max(3, int(layout.height / (90 * layout.scale))))
    )
    price.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, hi - lo)))

    last = float(c[-1])
    last_color = UP if up[-1] else DOWN
    price.axhline(last, color=last_color, linewidth=0.8, linestyle=(0, (2, 2)))
    price.annotate(
        number(last, hi - lo),
        xy=(1.0, last),
        xycoords=("axes fraction", "data"),
        xytext=(3, 0),
        textcoords="offset points",
        va="center",
        ha="left",
        fontsize=9,
        color="white",
        bbox={"boxstyle": "square,pad=0.25", "facecolor": last_color, "edgecolor": "none"},
        annotation_clip=False,
    )

    if spec.v is not None:
        volume = panels[1]
        v = np.asarray(spec.v)
        bars = rectangles(x - half, x + half, 0.0, v)
        volume.add_collection(
            PolyCollection(as_paths(bars), facecolors=colors, edgecolors="none", alpha=0.55)
        )
        vmax = float(v.max()) or 1.0
        volume.set_ylim(0, vmax * 1.1)
        volume.yaxis.tick_right()
        volume.yaxis.set_major_locator(MaxNLocator(nbins=2))
        volume.yaxis.set_major_formatter(FuncFormatter(lambda val, _: compact(val)))
        volume.text(
            0.005, 0.93, "Volume", transform=volume.transAxes, va="top", fontsize=8, color=MUTED
        )

    times = spec.t
    fmt = time_format(times[0], times[-1], median_step_us(times))
    bottom_axes = panels[-1]
    bottom_axes.xaxis.set_major_locator(
        MaxNLocator(nbins=max(2, int(layout.width / (150 * layout.scale))), integer=True)
    )
    bottom_axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: index_label(v, times, fmt)))
    x_ticks = axis_ticks(bottom_axes.xaxis)  # shared by the panels
    for panel in panels:
        draw_ticks(
            panel,
            x=x_ticks,
            y=axis_ticks(panel.yaxis),
            y_side="right",
            x_labels=panel is bottom_axes,
        )
    return fig


def median_step_us(times: tuple[int, ...]) -> int:
    steps = np.diff(np.asarray(times, dtype=np.int64))
    return int(np.median(steps)) if len(steps) else 0


def time_format(first: int, last: int, step_us: int) -> str:
    if last - first < DAY_US:
        return "%H:%M"
    if last - first >= 180 * DAY_US:  # months of data: the year matters more than the hour
        return "%Y-%m-%d"
    if step_us < DAY_US:
        return "%m-%d %H:%M"
    return "%Y-%m-%d"


def index_label(v: float, times: tuple[int, ...], fmt: str) -> str:
    """The time of the candle at x = v, or "" between candles and beyond the ends."""
    i = round(v)
    if i < 0 or i >= len(times) or abs(v - i) > 1e-6:
        return ""
    return datetime.fromtimestamp(times[i] / 1e6, tz=UTC).strftime(fmt)
