"""Equity chart: the curve over a filled area, the drawdown panel below, max drawdown marked."""

from __future__ import annotations

import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from adapters.rendering.charts.layout import Layout
from adapters.rendering.charts.numbers import number
from adapters.rendering.charts.theme import DRAWDOWN, EQUITY, MUTED
from adapters.rendering.charts.ticks import axis_ticks, draw_ticks
from domain.media.charts import EquitySpec

# matplotlib date numbers (days since 1970-01-01) of 0001-01-02 and 9999-12-30.
FIRST_DAY, LAST_DAY = -719161.0, 2932895.0


def equity_figure(spec: EquitySpec) -> Figure:
    layout = Layout(spec.canvas.width, spec.canvas.height)
    fig = layout.figure()
    main, dd_ax = layout.axes(
        fig,
        top_px=layout.top_px(spec.canvas.title),
        bottom_px=34,
        left_px=24,
        right_px=78,
        ratios=(3.0, 1.2),
    )
    layout.title(fig, spec.canvas.title, 24)

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
    main.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, hi - lo)))

    dd_ax.fill_between(x, dd, 0.0, color=DRAWDOWN, alpha=0.25, linewidth=0)
    dd_ax.plot(x, dd, color=DRAWDOWN, linewidth=1.0)
    dd_min = float(dd.min())
    dd_ax.set_ylim(min(dd_min * 1.15, -1.0), max(0.5, abs(dd_min) * 0.08))
    dd_ax.yaxis.tick_right()
    dd_ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
    dd_low, dd_high = dd_ax.get_ylim()
    dd_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, dd_high - dd_low) + "%"))
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
        f"Last {number(float(equity[-1]), hi - lo)}   Peak {number(hi, hi - lo)}",
        transform=main.transAxes,
        va="top",
        fontsize=9,
        color=MUTED,
    )

    span = float(x[-1] - x[0])
    # Keep the padding inside the dates matplotlib can name (years 1 to 9999).
    main.set_xlim(
        max(x[0] - span * 0.01 - 1e-6, FIRST_DAY), min(x[-1] + span * 0.01 + 1e-6, LAST_DAY)
    )
    locator = AutoDateLocator(  # type: ignore[no-untyped-call]  # untyped in matplotlib
        minticks=3, maxticks=max(4, int(layout.width / (130 * layout.scale)))
    )
    dd_ax.xaxis.set_major_locator(locator)
    dd_ax.xaxis.set_major_formatter(
        ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
    )
    x_ticks = axis_ticks(dd_ax.xaxis)  # shared by the panels
    draw_ticks(main, x=x_ticks, y=axis_ticks(main.yaxis), y_side="right", x_labels=False)
    draw_ticks(dd_ax, x=x_ticks, y=axis_ticks(dd_ax.yaxis), y_side="right")
    return fig
