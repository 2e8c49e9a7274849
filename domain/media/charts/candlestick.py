"""The candlestick chart's spec (SPEC §6): candles with optional volume, and SMA periods."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Final, Protocol

from domain.errors import InvalidInput
from domain.media.charts.canvas import Canvas, ChartType, micros, pack_floats, pack_ints

CANDLES_MIN, CANDLES_MAX = 2, 10_000
SMA_MAX_COUNT, SMA_MIN_PERIOD, SMA_MAX_PERIOD = 5, 2, 500
SMA_DEFAULT: Final = (20, 50, 200)


class CandleInput(Protocol):
    """What a boundary hands in for one candle (a msgspec Struct or a dataclass both fit)."""

    @property
    def t(self) -> datetime: ...
    @property
    def o(self) -> float: ...
    @property
    def h(self) -> float: ...
    @property
    def l(self) -> float: ...  # noqa: E743 - the wire name of the low price
    @property
    def c(self) -> float: ...
    @property
    def v(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Candle:
    """A plain candle; boundaries may pass their own objects of the same shape instead."""

    t: datetime
    o: float
    h: float
    l: float  # noqa: E741 - the wire name of the low price
    c: float
    v: float | None = None


@dataclass(frozen=True, slots=True)
class CandlestickSpec:
    canvas: Canvas
    t: tuple[int, ...]  # UTC epoch microseconds, strictly increasing
    o: tuple[float, ...]
    h: tuple[float, ...]
    l: tuple[float, ...]  # noqa: E741 - the wire name of the low price
    c: tuple[float, ...]
    v: tuple[float, ...] | None  # given on every candle or on none
    sma: tuple[int, ...]  # sorted, unique

    chart_type: ClassVar[ChartType] = "candlestick"

    @classmethod
    def create(
        cls,
        candles: Sequence[CandleInput] | None,
        sma: Sequence[int] | None = None,
        title: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> CandlestickSpec:
        canvas = Canvas.create(title, width, height)
        if candles is None:
            raise InvalidInput("candles", "is required")
        n = len(candles)
        if not CANDLES_MIN <= n <= CANDLES_MAX:
            raise InvalidInput("candles", f"must hold {CANDLES_MIN} to {CANDLES_MAX} candles")
        ts: list[int] = []
        os_: list[float] = []
        hs: list[float] = []
        ls: list[float] = []
        cs: list[float] = []
        vs: list[float] = []
        with_volume = candles[0].v is not None
        previous = -math.inf
        isfinite = math.isfinite
        for i, candle in enumerate(candles):
            t = micros(f"candles[{i}].t", candle.t)
            if t <= previous:
                raise InvalidInput(f"candles[{i}].t", "times must be strictly increasing")
            previous = t
            o, h, low, c = candle.o, candle.h, candle.l, candle.c
            # One test on the hot path; which field failed is worked out only on failure.
            if not (isfinite(o) and isfinite(h) and isfinite(low) and isfinite(c)):
                for name, value in (("o", o), ("h", h), ("l", low), ("c", c)):
                    if not isfinite(value):
                        raise InvalidInput(f"candles[{i}].{name}", "must be a finite number")
            if h < o or h < c:
                raise InvalidInput(f"candles[{i}].h", "must be >= max(o, c)")
            if low > o or low > c:
                raise InvalidInput(f"candles[{i}].l", "must be <= min(o, c)")
            v = candle.v
            if (v is not None) != with_volume:
                raise InvalidInput(f"candles[{i}].v", "give v on every candle or on none")
            if v is not None:
                if not isfinite(v) or v < 0:
                    raise InvalidInput(f"candles[{i}].v", "must be a finite number >= 0")
                vs.append(float(v) + 0.0)
            ts.append(t)
            # `+ 0.0` folds -0.0 into 0.0 so equal charts hash equally.
            os_.append(float(o) + 0.0)
            hs.append(float(h) + 0.0)
            ls.append(float(low) + 0.0)
            cs.append(float(c) + 0.0)
        return cls(
            canvas=canvas,
            t=tuple(ts),
            o=tuple(os_),
            h=tuple(hs),
            l=tuple(ls),
            c=tuple(cs),
            v=tuple(vs) if with_volume else None,
            sma=_sma(sma),
        )

    def canonical(self) -> bytes:
        n = len(self.t)
        head = (
            f"candlestick;{self.canvas.header()};sma={','.join(map(str, self.sma))};"
            f"n={n};volume={self.v is not None}\n"
        ).encode()
        parts = [head, pack_ints(self.t)]
        for column in (self.o, self.h, self.l, self.c):
            parts.append(pack_floats(column))
        if self.v is not None:
            parts.append(pack_floats(self.v))
        return b"".join(parts)


def _sma(periods: Sequence[int] | None) -> tuple[int, ...]:
    if periods is None:
        return SMA_DEFAULT
    if len(periods) > SMA_MAX_COUNT:
        raise InvalidInput("sma", f"at most {SMA_MAX_COUNT} periods")
    for i, period in enumerate(periods):
        if isinstance(period, bool) or not isinstance(period, int):
            raise InvalidInput(f"sma[{i}]", "must be an integer")
        if not SMA_MIN_PERIOD <= period <= SMA_MAX_PERIOD:
            raise InvalidInput(
                f"sma[{i}]", f"must be between {SMA_MIN_PERIOD} and {SMA_MAX_PERIOD}"
            )
    # Order and repeats do not change the drawing, so they do not change the key.
    return tuple(sorted(set(periods)))
