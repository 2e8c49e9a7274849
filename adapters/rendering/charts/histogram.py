"""Histogram: the bins, mean and median marked and named, the count in the legend."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from adapters.rendering.charts.layout import Layout
from adapters.rendering.charts.numbers import compact, number
from adapters.rendering.charts.shapes import as_paths, rectangles
from adapters.rendering.charts.theme import MEAN, MEDIAN
from adapters.rendering.charts.ticks import axis_ticks, draw_ticks
from domain.media.charts import HistogramSpec


def histogram_figure(spec: HistogramSpec) -> Figure:
    layout = Layout(spec.canvas.width, spec.canvas.height)
    fig = layout.figure()
    (ax,) = layout.axes(
        fig,
        top_px=layout.top_px(spec.canvas.title),
        bottom_px=40,
        left_px=66,
        right_px=20,
        ratios=(1,),
    )
    layout.title(fig, spec.canvas.title, 66)

    values = np.asarray(spec.values)
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:  # one distinct value: a window around it that has room for every bin
        half = max(0.5, abs(lo) * 1e-3)
        lo, hi = lo - half, hi + half
    counts, edges = np.histogram(values, bins=spec.bins, range=(lo, hi))
    rects = rectangles(edges[:-1], edges[1:], 0.0, counts)
    ax.add_collection(
        PolyCollection(
            as_paths(rects),
            facecolors=spec.color,
            edgecolors="white",
            linewidths=0.6 if spec.bins <= 120 else 0.2,
        )
    )
    span = float(edges[-1] - edges[0])
    ax.set_xlim(float(edges[0]) - span * 0.02, float(edges[-1]) + span * 0.02)
    ax.set_ylim(0, float(counts.max()) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, span)))

    mean = float(values.mean())
    median = float(np.median(values))
    ax.axvline(
        mean, color=MEAN, linewidth=1.8, linestyle="--", label=f"mean {number(mean, span / 100)}"
    )
    ax.axvline(
        median,
        color=MEDIAN,
        linewidth=1.8,
        linestyle=":",
        label=f"median {number(median, span / 100)}",
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
    draw_ticks(ax, x=axis_ticks(ax.xaxis), y=axis_ticks(ax.yaxis), y_side="left", y_title="count")
    return fig
