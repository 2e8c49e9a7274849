"""Ticks, tick labels and grid lines drawn as a few plain artists instead of matplotlib's Axis.

matplotlib builds a `Tick` object per tick (five lines and two texts each, styled one by one)
on every draw; for a chart that was about half of the render time. Here each panel gets one
collection of grid lines, one of tick marks and a text per label, at the positions and with
the labels its locator and formatter give (the same ones matplotlib would have drawn), so the
chart looks the same and costs a fraction.

Call `draw_ticks` last, once the limits, locators and formatters are set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import (
    IdentityTransform,
    Transform,
    blended_transform_factory,
    offset_copy,
)

from adapters.rendering.charts.theme import GRID, MUTED

TICK_LENGTH_PT = 3.0
TICK_WIDTH_PT = 0.8
TICK_PAD_PT = 3.5
LABEL_SIZE = 9
GRID_WIDTH_PT = 0.8
LABEL_PAD_PT = 4.0  # matplotlib's axes.labelpad
BELOW = 0.5  # the z-order matplotlib gives grid lines and ticks under `set_axisbelow(True)`


@dataclass(frozen=True, slots=True)
class Ticks:
    positions: tuple[float, ...]  # in data coordinates, inside the view
    labels: tuple[str, ...]


def axis_ticks(axis: Axis) -> Ticks:
    """What the axis' major locator and formatter give, as matplotlib's own draw would."""
    locs = [float(v) for v in axis.get_major_locator()()]
    labels = axis.get_major_formatter().format_ticks(locs)  # all of them: some look at neighbours
    low, high = sorted(axis.get_view_interval())
    tolerance = (high - low) * 1e-10
    kept = [
        (v, s)
        for v, s in zip(locs, labels, strict=True)
        if low - tolerance <= v <= high + tolerance
    ]
    return Ticks(tuple(v for v, _ in kept), tuple(s for _, s in kept))


def draw_ticks(
    ax: Axes,
    *,
    x: Ticks,
    y: Ticks,
    y_side: Literal["left", "right"],
    x_labels: bool = True,
    y_title: str = "",
) -> None:
    """Grid, outward tick marks (x at the bottom, y on `y_side`) and labels; hides the Axis.

    `y_title` (left side only) is placed as matplotlib places a y label: vertical, centred,
    `LABEL_PAD_PT` left of the widest tick label.
    """
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    box = ax.get_position()
    dpi = fig.dpi
    width_px = box.width * fig.bbox.width
    height_px = box.height * fig.bbox.height
    tick_x = TICK_LENGTH_PT * dpi / 72.0 / height_px  # tick length in axes fractions
    tick_y = TICK_LENGTH_PT * dpi / 72.0 / width_px
    along_x = blended_transform_factory(ax.transData, ax.transAxes)
    along_y = blended_transform_factory(ax.transAxes, ax.transData)

    grid = [[(v, 0.0), (v, 1.0)] for v in x.positions]
    segments = [[(v, 0.0), (v, -tick_x)] for v in x.positions]
    _lines(ax, grid, along_x, GRID, GRID_WIDTH_PT, clip=True)
    _lines(ax, segments, along_x, MUTED, TICK_WIDTH_PT, clip=False)
    edge, outward = (1.0, tick_y) if y_side == "right" else (0.0, -tick_y)
    grid = [[(0.0, v), (1.0, v)] for v in y.positions]
    segments = [[(edge, v), (edge + outward, v)] for v in y.positions]
    _lines(ax, grid, along_y, GRID, GRID_WIDTH_PT, clip=True)
    _lines(ax, segments, along_y, MUTED, TICK_WIDTH_PT, clip=False)

    gap = TICK_LENGTH_PT + TICK_PAD_PT
    if x_labels:
        below = offset_copy(along_x, fig=fig, y=-gap, units="points")
        for v, label in zip(x.positions, x.labels, strict=True):
            _label(ax, v, 0.0, label, below, ha="center", va="top")
    aside = offset_copy(along_y, fig=fig, x=gap if y_side == "right" else -gap, units="points")
    ha = "left" if y_side == "right" else "right"
    y_texts = [
        _label(ax, edge, v, label, aside, ha=ha, va="center_baseline")
        for v, label in zip(y.positions, y.labels, strict=True)
    ]
    if y_title:
        assert y_side == "left", "a y title goes with labels on the left"
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg has one
        boxes = [t.get_window_extent(renderer) for t in y_texts if t is not None]
        left = min([b.x0 for b in boxes] + [ax.bbox.x0])
        ax.text(
            left - LABEL_PAD_PT * dpi / 72.0,
            0.5,
            y_title,
            transform=blended_transform_factory(IdentityTransform(), ax.transAxes),
            ha="center",
            va="bottom",
            rotation="vertical",
            rotation_mode="anchor",
            fontsize=LABEL_SIZE,
            color=MUTED,
            clip_on=False,
            parse_math=False,
        )


def _lines(
    ax: Axes,
    segments: list[list[tuple[float, float]]],
    transform: Transform,
    color: str,
    width: float,
    *,
    clip: bool,
) -> None:
    if not segments:
        return
    lines = LineCollection(
        np.asarray(segments, dtype=float),  # type: ignore[arg-type]  # stubs want a sequence
        colors=color,
        linewidths=width,
        transform=transform,
        zorder=BELOW,
    )
    ax.add_collection(lines, autolim=False)
    if not clip:
        lines.set_clip_on(False)


def _label(
    ax: Axes, x: float, y: float, text: str, transform: Transform, *, ha: str, va: str
) -> Text | None:
    if not text:
        return None
    return ax.text(
        x,
        y,
        text,
        transform=transform,
        ha=ha,
        va=va,
        fontsize=LABEL_SIZE,
        color=MUTED,
        clip_on=False,
        parse_math=False,
    )
