"""Colours and the look every chart's axes share."""

from __future__ import annotations

from matplotlib.axes import Axes

UP = "#26a65b"
DOWN = "#e5484d"
SMA_COLORS = ("#f59e0b", "#2563eb", "#9333ea", "#0891b2", "#db2777")
GRID = "#e6e6e6"
SPINE = "#bbbbbb"
TEXT = "#222222"
MUTED = "#666666"
EQUITY = "#2563eb"
DRAWDOWN = "#dc2626"
MEAN = "#d97706"
MEDIAN = "#7c3aed"


def style_axes(ax: Axes) -> None:
    """Background and frame; grid, ticks and their labels are drawn by `ticks.draw_ticks`."""
    ax.set_facecolor("white")
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_color(SPINE)
