"""The equity chart's spec (SPEC §6): points of (time, equity), times never decreasing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from domain.errors import InvalidInput
from domain.media.charts.canvas import Canvas, ChartType, micros, pack_floats, pack_ints

POINTS_MIN, POINTS_MAX = 2, 100_000


class EquityPointInput(Protocol):
    @property
    def t(self) -> datetime: ...
    @property
    def equity(self) -> float: ...


@dataclass(frozen=True, slots=True)
class EquityPoint:
    t: datetime
    equity: float


@dataclass(frozen=True, slots=True)
class EquitySpec:
    canvas: Canvas
    t: tuple[int, ...]  # UTC epoch microseconds, non-decreasing
    equity: tuple[float, ...]

    chart_type: ClassVar[ChartType] = "equity"

    @classmethod
    def create(
        cls,
        points: Sequence[EquityPointInput] | None,
        title: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> EquitySpec:
        canvas = Canvas.create(title, width, height)
        if points is None:
            raise InvalidInput("points", "is required")
        n = len(points)
        if not POINTS_MIN <= n <= POINTS_MAX:
            raise InvalidInput("points", f"must hold {POINTS_MIN} to {POINTS_MAX} points")
        ts: list[int] = []
        es: list[float] = []
        previous = -math.inf
        isfinite = math.isfinite
        for i, point in enumerate(points):
            t = micros(f"points[{i}].t", point.t)
            if t < previous:
                raise InvalidInput(f"points[{i}].t", "times must not decrease")
            previous = t
            e = point.equity
            if not isfinite(e):
                raise InvalidInput(f"points[{i}].equity", "must be a finite number")
            ts.append(t)
            es.append(float(e) + 0.0)
        return cls(canvas=canvas, t=tuple(ts), equity=tuple(es))

    def canonical(self) -> bytes:
        head = f"equity;{self.canvas.header()};n={len(self.t)}\n".encode()
        return head + pack_ints(self.t) + pack_floats(self.equity)
