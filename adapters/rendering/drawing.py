"""Chart drawing with matplotlib's object API (Figure + Agg; never pyplot, no global rc state).

`draw_png(spec)` is a plain function so it runs inside the render processes. Output: exactly
width x height pixels, encoded by Pillow from the raw pixels, so the PNG holds only IHDR,
PLTE/IDAT and IEND (no tEXt/zTXt/iTXt/eXIf/tIME).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from domain.media.charts import CandlestickSpec, ChartSpec, EquitySpec, HistogramSpec

UP = "#26a65b"
DOWN = "#e5484d"
SMA_COLORS = ("#f59e0b", "#2563eb", "#9333ea", "#0891b2", "#db2777")
GRID = "#e6e6e6"
TEXT = "#222222"
MUTED = "#666666"
EQUITY = "#2563eb"
DRAWDOWN = "#dc2626"
MEAN = "#d97706"
MEDIAN = "#7c3aed"

# Zlib level 3 with a 256-colour palette: about 4x smaller files than RGB at level 6, fast.
PNG_COMPRESS_LEVEL = 3
BASE_DPI = 100.0


# matplotlib date numbers (days since 1970-01-01) of 0001-01-02 and 9999-12-30.
_FIRST_DAY, _LAST_DAY = -719161.0, 2932895.0


def draw_in_worker(spec: ChartSpec) -> tuple[bytes | None, str | None]:
    """What the render processes run: (png, None), or (None, why) if it cannot be drawn.

    A reason string crosses the process boundary safely where arbitrary exceptions may not.
    """
    try:
        with np.errstate(all="ignore"):
            return draw_png(spec), None
    except (ValueError, OverflowError, FloatingPointError, TypeError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]


def draw_png(spec: ChartSpec) -> bytes:
    if isinstance(spec, CandlestickSpec):
        fig = _candlestick(spec)
    elif isinstance(spec, EquitySpec):
        fig = _equity(spec)
    else:
        fig = _histogram(spec)
    return _encode(fig, spec.canvas.width, spec.canvas.height)


# --- layout -------------------------------------------------------------------------------


class _Layout:
    """Pixel-based margins turned into figure fractions, scaled with the image size."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        # Text and margins grow with the image, so a 4K chart is not a 1200px chart with dust.
        self.scale = min(max(min(width / 1200.0, height / 700.0), 0.6), 3.2)
        self.dpi = BASE_DPI * self.scale

    def figure(self) -> Figure:
        # +0.01 px keeps float rounding from truncating the canvas to width-1.
        fig = Figure(
            figsize=((self.width + 0.01) / self.dpi, (self.height + 0.01) / self.dpi),
            dpi=self.dpi,
            facecolor="white",
        )
        FigureCanvasAgg(fig)
        return fig

    def px(self, pixels: float) -> float:
        return pixels * self.scale

    def axes(
        self,
        fig: Figure,
        *,
        top_px: float,
        bottom_px: float,
        left_px: float,
        right_px: float,
        ratios: Sequence[float],
        gap_px: float = 6.0,
    ) -> list[Axes]:
        """Stacked panels sharing x, heights in `ratios`, top to bottom."""
        w, h = self.width, self.height
        left = self.px(left_px) / w
        right = 1.0 - self.px(right_px) / w
        top = 1.0 - self.px(top_px) / h
        bottom = self.px(bottom_px) / h
        gap = self.px(gap_px) / h
        usable = top - bottom - gap * (len(ratios) - 1)
        total = float(sum(ratios))
        panels: list[Axes] = []
        y = top
        for ratio in ratios:
            height = usable * ratio / total
            ax = fig.add_axes(
                (left, y - height, right - left, height),
                sharex=panels[0] if panels else None,
            )
            _style(ax, self)
            panels.append(ax)
            y -= height + gap
        return panels


def _style(ax: Axes, layout: _Layout) -> None:
    ax.set_facecolor("white")
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_color("#bbbbbb")
    ax.tick_params(labelsize=9, colors=MUTED, length=3)


def _title(fig: Figure, layout: _Layout, title: str, left_px: float) -> None:
    if title:
        fig.text(
            layout.px(left_px) / layout.width,
            1.0 - layout.px(10) / layout.height,
            title,
            ha="left",
            va="top",
            fontsize=13,
            color=TEXT,
            fontweight="bold",
            parse_math=False,  # a "$" in a title is a dollar, not mathtext
        )


# --- candlestick --------------------------------------------------------------------------


def _candlestick(spec: CandlestickSpec) -> Figure:
    layout = _Layout(spec.canvas.width, spec.canvas.height)
    fig = layout.figure()
    o = np.asarray(spec.o)
    h = np.asarray(spec.h)
    low = np.asarray(spec.l)
    c = np.asarray(spec.c)
    n = len(o)
    x = np.arange(n, dtype=float)
    up = c >= o
    colors = np.where(up, UP, DOWN)

    top_px = 40.0 if spec.canvas.title else 14.0
    ratios = (4.0, 1.0) if spec.v is not None else (1.0,)
    panels = layout.axes(fig, top_px=top_px, bottom_px=34, left_px=40, right_px=78, ratios=ratios)
    price = panels[0]
    _title(fig, layout, spec.canvas.title, 40)

    body_width = 0.7 if n < 600 else 0.8
    half = body_width / 2
    bottom = np.minimum(o, c)
    top = np.maximum(o, c)
    bodies = np.empty((n, 4, 2))
    bodies[:, 0, 0] = bodies[:, 1, 0] = x - half
    bodies[:, 2, 0] = bodies[:, 3, 0] = x + half
    bodies[:, 0, 1] = bodies[:, 3, 1] = bottom
    bodies[:, 1, 1] = bodies[:, 2, 1] = top
    wicks = np.empty((n, 2, 2))
    wicks[:, 0, 0] = wicks[:, 1, 0] = x
    wicks[:, 0, 1] = low
    wicks[:, 1, 1] = h
    edge = 0.6 if n < 2000 else 0.3
    price.add_collection(LineCollection(wicks, colors=colors, linewidths=edge + 0.2))
    price.add_collection(
        PolyCollection(bodies, facecolors=colors, edgecolors=colors, linewidths=edge)
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
    price.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, hi - lo)))

    last = float(c[-1])
    last_color = UP if up[-1] else DOWN
    price.axhline(last, color=last_color, linewidth=0.8, linestyle=(0, (2, 2)))
    price.annotate(
        _number(last, hi - lo),
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
        bars = np.empty((n, 4, 2))
        bars[:, 0, 0] = bars[:, 1, 0] = x - half
        bars[:, 2, 0] = bars[:, 3, 0] = x + half
        bars[:, 0, 1] = bars[:, 3, 1] = 0.0
        bars[:, 1, 1] = bars[:, 2, 1] = v
        volume.add_collection(
            PolyCollection(bars, facecolors=colors, edgecolors="none", alpha=0.55)
        )
        vmax = float(v.max()) or 1.0
        volume.set_ylim(0, vmax * 1.1)
        volume.yaxis.tick_right()
        volume.yaxis.set_major_locator(MaxNLocator(nbins=2))
        volume.yaxis.set_major_formatter(FuncFormatter(lambda val, _: _compact(val)))
        volume.text(
            0.005, 0.93, "Volume", transform=volume.transAxes, va="top", fontsize=8, color=MUTED
        )
        price.tick_params(labelbottom=False)

    times = spec.t
    step = _median_step_us(times)
    fmt = _time_format(times[0], times[-1], step)
    bottom_axes = panels[-1]
    bottom_axes.xaxis.set_major_locator(
        MaxNLocator(nbins=max(2, int(layout.width / (150 * layout.scale))), integer=True)
    )
    bottom_axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _index_label(v, times, fmt)))
    return fig


def _median_step_us(times: tuple[int, ...]) -> int:
    steps = np.diff(np.asarray(times, dtype=np.int64))
    return int(np.median(steps)) if len(steps) else 0


def _time_format(first: int, last: int, step_us: int) -> str:
    day = 86_400_000_000
    if last - first < day:
        return "%H:%M"
    if last - first >= 180 * day:  # months of data: the year matters more than the hour
        return "%Y-%m-%d"
    if step_us < day:
        return "%m-%d %H:%M"
    return "%Y-%m-%d"


def _index_label(v: float, times: tuple[int, ...], fmt: str) -> str:
    i = round(v)
    if i < 0 or i >= len(times) or abs(v - i) > 1e-6:
        return ""
    return datetime.fromtimestamp(times[i] / 1e6, tz=UTC).strftime(fmt)


# --- equity -------------------------------------------------------------------------------


def _equity(spec: EquitySpec) -> Figure:
    layout = _Layout(spec.canvas.width, spec.canvas.height)
    fig = layout.figure()
    top_px = 40.0 if spec.canvas.title else 14.0
    main, dd_ax = layout.axes(
        fig, top_px=top_px, bottom_px=34, left_px=24, right_px=78, ratios=(3.0, 1.2)
    )
    _title(fig, layout, spec.canvas.title, 24)

    # matplotlib date numbers are days since 1970-01-01 (its default epoch).
    x = np.asarray(spec.t, dtype=np.float64) / 86_400e6
    equity = np.asarray(spec.equity)
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak != 0, (equity - peak) / np.abs(peak) * 100.0, 0.0)
    lo, hi = float(equity.min()), float(equity.max())
    pad = (hi - lo) * 0.08 or abs(hi) * 0.02 or 1.0
    floor = lo - pad

    main.plot(x, equity, color=EQUITY, linewidth=1.4)
    main.fill_between(x, equity, floor, color=EQUITY, alpha=0.15, linewidth=0)
    main.set_ylim(floor, hi + pad)
    main.yaxis.tick_right()
    main.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, hi - lo)))
    main.tick_params(labelbottom=False)

    dd_ax.fill_between(x, dd, 0.0, color=DRAWDOWN, alpha=0.25, linewidth=0)
    dd_ax.plot(x, dd, color=DRAWDOWN, linewidth=1.0)
    dd_min = float(dd.min())
    dd_ax.set_ylim(min(dd_min * 1.15, -1.0), max(0.5, abs(dd_min) * 0.08))
    dd_ax.yaxis.tick_right()
    dd_ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
    dd_low, dd_high = dd_ax.get_ylim()
    dd_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, dd_high - dd_low) + "%"))
    dd_ax.text(
        0.005, 0.06, "Drawdown", transform=dd_ax.transAxes, va="bottom", fontsize=8, color=MUTED
    )

    trough = int(np.argmin(dd))
    label = f"Max drawdown {dd_min:.2f}%"
    if dd_min < 0:
        start = int(np.argmax(equity[: trough + 1]))
        main.plot(
            [x[start], x[trough]],
            [equity[start], equity[trough]],
            linestyle="none",
            marker="o",
            markersize=5,
            color=DRAWDOWN,
        )
        main.axvspan(x[start], x[trough], color=DRAWDOWN, alpha=0.07, linewidth=0)
        dd_ax.plot([x[trough]], [dd_min], marker="v", markersize=6, color=DRAWDOWN)
    dd_ax.text(
        0.995,
        0.06,
        label,
        transform=dd_ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=9,
        fontweight="bold",
        color=DRAWDOWN if dd_min < 0 else MUTED,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )
    main.text(
        0.005,
        0.97,
        f"Last {_number(float(equity[-1]), hi - lo)}   Peak {_number(hi, hi - lo)}",
        transform=main.transAxes,
        va="top",
        fontsize=9,
        color=MUTED,
    )

    span = float(x[-1] - x[0])
    # Keep the padding inside the dates matplotlib can name (years 1 to 9999).
    main.set_xlim(
        max(x[0] - span * 0.01 - 1e-6, _FIRST_DAY), min(x[-1] + span * 0.01 + 1e-6, _LAST_DAY)
    )
    locator = AutoDateLocator(minticks=3, maxticks=max(4, int(layout.width / (130 * layout.scale))))
    dd_ax.xaxis.set_major_locator(locator)
    dd_ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    return fig


# --- histogram ----------------------------------------------------------------------------


def _histogram(spec: HistogramSpec) -> Figure:
    layout = _Layout(spec.canvas.width, spec.canvas.height)
    fig = layout.figure()
    top_px = 40.0 if spec.canvas.title else 14.0
    (ax,) = layout.axes(fig, top_px=top_px, bottom_px=40, left_px=66, right_px=20, ratios=(1,))
    _title(fig, layout, spec.canvas.title, 66)

    values = np.asarray(spec.values)
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:  # one distinct value: a window around it that has room for every bin
        half = max(0.5, abs(lo) * 1e-3)
        lo, hi = lo - half, hi + half
    counts, edges = np.histogram(values, bins=spec.bins, range=(lo, hi))
    rects = np.empty((len(counts), 4, 2))
    rects[:, 0, 0] = rects[:, 1, 0] = edges[:-1]
    rects[:, 2, 0] = rects[:, 3, 0] = edges[1:]
    rects[:, 0, 1] = rects[:, 3, 1] = 0.0
    rects[:, 1, 1] = rects[:, 2, 1] = counts
    ax.add_collection(
        PolyCollection(
            rects,
            facecolors=spec.color,
            edgecolors="white",
            linewidths=0.6 if spec.bins <= 120 else 0.2,
        )
    )
    span = float(edges[-1] - edges[0])
    ax.set_xlim(float(edges[0]) - span * 0.02, float(edges[-1]) + span * 0.02)
    ax.set_ylim(0, float(counts.max()) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, span)))
    ax.set_ylabel("count", fontsize=9, color=MUTED)

    mean = float(values.mean())
    median = float(np.median(values))
    ax.axvline(
        mean, color=MEAN, linewidth=1.8, linestyle="--", label=f"mean {_number(mean, span / 100)}"
    )
    ax.axvline(
        median,
        color=MEDIAN,
        linewidth=1.8,
        linestyle=":",
        label=f"median {_number(median, span / 100)}",
    )
    for value, color, name, dy in ((mean, MEAN, "mean", -4), (median, MEDIAN, "median", -18)):
        ax.annotate(
            name,
            xy=(value, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, dy),
            textcoords="offset points",
            fontsize=9,
            color=color,
            fontweight="bold",
            va="top",
        )
    legend = ax.legend(loc="upper right", fontsize=9, title=f"n = {len(values):,}")
    legend.get_title().set_fontsize(9)
    legend.get_frame().set_linewidth(0)
    return fig


# --- numbers ------------------------------------------------------------------------------


def _number(v: float, span: float) -> str:
    """Enough decimals to tell ticks of this span apart, thousands separated."""
    if span <= 0 or not math.isfinite(span):
        span = abs(v) or 1.0
    decimals = min(8, max(0, 2 - math.floor(math.log10(span))))
    if abs(v) < 0.5 * 10.0**-decimals:
        v = 0.0  # no "-0.00" for a tick a rounding error below zero
    return f"{v:,.{decimals}f}"


def _compact(v: float) -> str:
    a = abs(v)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= limit:
            return f"{v / limit:.3g}{suffix}"
    return f"{v:.3g}"


# --- encoding -----------------------------------------------------------------------------


def _encode(fig: Figure, width: int, height: int) -> bytes:
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    rgba = canvas.buffer_rgba()
    h, w = rgba.shape[0], rgba.shape[1]
    image = Image.frombuffer("RGBA", (w, h), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    if (w, h) != (width, height):  # never expected; the contract is exact pixels
        fixed = Image.new("RGB", (width, height), "white")
        fixed.paste(image.crop((0, 0, min(w, width), min(h, height))))
        image = fixed
    # A fresh Pillow image carries no info dict, so no text/time/exif chunk is written.
    paletted = image.quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    paletted.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


# Pre-import hook for render workers: loads fonts and caches before the first request.
def warm_up(server_pid: int | None = None) -> None:
    import signal
    import warnings

    if server_pid is not None:
        _exit_when_gone(server_pid)

    # Tick locators warn about odd ranges (e.g. two points a second apart); not a client error.
    warnings.filterwarnings("ignore", message="AutoDateLocator was unable", category=UserWarning)
    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from domain.media.charts import Candle, CandlestickSpec, EquityPoint, EquitySpec, HistogramSpec

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    candles = [Candle(t0.replace(hour=i), 1.0, 2.0, 0.5, 1.5, 10.0) for i in range(3)]
    draw_png(CandlestickSpec.create(candles, title="warm", width=320, height=240))
    points = [EquityPoint(t0.replace(hour=i), float(i % 2)) for i in range(3)]
    draw_png(EquitySpec.create(points, title="warm", width=320, height=240))
    draw_png(HistogramSpec.create([1.0, 2.0, 2.5], title="warm", width=320, height=240))


def _exit_when_gone(pid: int) -> None:
    """Exit this worker when the server process that owns the pool dies, even by SIGKILL.

    Workers are children of the forkserver, not of the server, and block reading a queue whose
    write end they hold themselves: without this they would outlive a killed server forever.
    """
    import os
    import select
    import threading
    import time

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)  # Linux >= 5.3: readable once the process has exited
        except ProcessLookupError:
            os._exit(0)
        except (OSError, AttributeError):
            while True:  # no pidfd: poll (a reused pid could keep us alive; rare, harmless)
                time.sleep(2.0)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    os._exit(0)
                except PermissionError:
                    pass
        select.select([fd], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="server-watch", daemon=True).start()
