"""The PnL histogram's spec (SPEC §6): values, bins and a colour."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from domain.errors import InvalidInput
from domain.media.charts.canvas import Canvas, ChartType, int_in, pack_floats

VALUES_MIN, VALUES_MAX = 1, 1_000_000
BINS_MIN, BINS_MAX, BINS_DEFAULT = 1, 200, 30
COLOR_DEFAULT: Final = "#1f77b4"
COLOR_PATTERN: Final = "^#[0-9a-fA-F]{6}$"  # anchored: JSON Schema searches, we fullmatch

_COLOR = re.compile(COLOR_PATTERN)


@dataclass(frozen=True, slots=True)
class HistogramSpec:
    canvas: Canvas
    values: tuple[float, ...]
    bins: int
    color: str  # "#rrggbb", lower case

    chart_type: ClassVar[ChartType] = "histogram"

    @classmethod
    def create(
        cls,
        values: Sequence[float] | None,
        bins: int | None = None,
        color: str | None = None,
        title: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> HistogramSpec:
        canvas = Canvas.create(title, width, height)
        if values is None or len(values) == 0:
            raise InvalidInput("values", f"must hold {VALUES_MIN} to {VALUES_MAX} numbers")
        if len(values) > VALUES_MAX:
            raise InvalidInput("values", f"must hold {VALUES_MIN} to {VALUES_MAX} numbers")
        isfinite = math.isfinite
        cleaned: list[float] = []
        append = cleaned.append
        for i, value in enumerate(values):
            if not isfinite(value):
                raise InvalidInput(f"values[{i}]", "must be a finite number")
            append(float(value) + 0.0)
        if color is None:
            color = COLOR_DEFAULT
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise InvalidInput("color", "must be #rrggbb")
        return cls(
            canvas=canvas,
            values=tuple(cleaned),
            bins=int_in("bins", bins, BINS_DEFAULT, BINS_MIN, BINS_MAX),
            color=color.lower(),
        )

    def canonical(self) -> bytes:
        head = (
            f"histogram;{self.canvas.header()};bins={self.bins};color={self.color};"
            f"n={len(self.values)}\n"
        ).encode()
        return head + pack_floats(self.values)
