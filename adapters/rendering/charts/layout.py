"""Pixel-based margins turned into figure fractions, scaled with the image size."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from adapters.rendering.charts.theme import TEXT, style_axes

BASE_DPI = 100.0


class Layout:
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
            style_axes(ax)
            panels.append(ax)
            y -= height + gap
        return panels

    def title(self, fig: Figure, title: str, left_px: float) -> None:
        if title:
            fig.text(
                self.px(left_px) / self.width,
                1.0 - self.px(10) / self.height,
                title,
                ha="left",
                va="top",
                fontsize=13,
                color=TEXT,
                fontweight="bold",
                parse_math=False,  # a "$" in a title is a dollar, not mathtext
            )

    @staticmethod
    def top_px(title: str) -> float:
        """Room above the panels: a title line, or a thin margin without one."""
        return 40.0 if title else 14.0
