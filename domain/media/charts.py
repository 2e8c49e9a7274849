"""Chart specifications (SPEC §6) as validated, normalised value objects.

Series are stored column-wise (tuples of floats, times as UTC epoch microseconds) so a spec
pickles compactly to a render process and hashes quickly into its `MediaKey`.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final, Literal, Protocol

from domain.errors import InvalidInput

ChartType = Literal["candlestick", "equity", "histogram"]
CHART_TYPES: Final[tuple[ChartType, ...]] = ("candlestick", "equity", "histogram")

TITLE_MAX_CHARS: Final = 120
WIDTH_MIN, WIDTH_MAX, WIDTH_DEFAULT = 320, 3840, 1200
HEIGHT_MIN, HEIGHT_MAX, HEIGHT_DEFAULT = 240, 2160, 700

CANDLES_MIN, CANDLES_MAX = 2, 10_000
SMA_MAX_COUNT, SMA_MIN_PERIOD, SMA_MAX_PERIOD = 5, 2, 500
SMA_DEFAULT: Final = (20, 50, 200)

POINTS_MIN, POINTS_MAX = 2, 100_000

VALUES_MIN, VALUES_MAX = 1, 1_000_000
BINS_MIN, BINS_MAX, BINS_DEFAULT = 1, 200, 30
COLOR_DEFAULT: Final = "#1f77b4"
COLOR_PATTERN: Final = "^#[0-9a-fA-F]{6}$"  # anchored: JSON Schema searches, we fullmatch

_COLOR = re.compile(COLOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_WHITESPACE = re.compile(r"\s+")


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


class EquityPointInput(Protocol):
    @property
    def t(self) -> datetime: ...
    @property
    def equity(self) -> float: ...


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
class EquityPoint:
    t: datetime
    equity: float


@dataclass(frozen=True, slots=True)
class Canvas:
    """What every chart shares: title and pixel size."""

    title: str
    width: int
    height: int

    @classmethod
    def create(cls, title: str | None, width: int | None, height: int | None) -> Canvas:
        title = "" if title is None else title
        if len(title) > TITLE_MAX_CHARS:
            raise InvalidInput("title", f"at most {TITLE_MAX_CHARS} characters")
        try:
            title.encode("utf-8")
        except UnicodeEncodeError:  # JSON can carry a lone surrogate ("\ud800"); no font can
            raise InvalidInput("title", "must be valid Unicode text") from None
        # One line of text: newlines/tabs would overflow the title area; same text, same key.
        title = _WHITESPACE.sub(" ", title).strip()
        return cls(
            title=title,
            width=_int_in("width", width, WIDTH_DEFAULT, WIDTH_MIN, WIDTH_MAX),
            height=_int_in("height", height, HEIGHT_DEFAULT, HEIGHT_MIN, HEIGHT_MAX),
        )

    def header(self) -> str:
        return f"title={self.title!r};width={self.width};height={self.height}"


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
            t = _micros(f"candles[{i}].t", candle.t)
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
        parts = [head, _pack_ints(self.t)]
        for column in (self.o, self.h, self.l, self.c):
            parts.append(_pack_floats(column))
        if self.v is not None:
            parts.append(_pack_floats(self.v))
        return b"".join(parts)


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
            t = _micros(f"points[{i}].t", point.t)
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
        return head + _pack_ints(self.t) + _pack_floats(self.equity)


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
            bins=_int_in("bins", bins, BINS_DEFAULT, BINS_MIN, BINS_MAX),
            color=color.lower(),
        )

    def canonical(self) -> bytes:
        head = (
            f"histogram;{self.canvas.header()};bins={self.bins};color={self.color};"
            f"n={len(self.values)}\n"
        ).encode()
        return head + _pack_floats(self.values)


ChartSpec = CandlestickSpec | EquitySpec | HistogramSpec


def _int_in(field: str, value: int | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "must be an integer")
    if not low <= value <= high:
        raise InvalidInput(field, f"must be between {low} and {high}")
    return value


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


def _micros(field: str, t: datetime) -> int:
    if not isinstance(t, datetime):
        raise InvalidInput(field, "must be an RFC 3339 date-time")
    if t.tzinfo is None or t.utcoffset() is None:
        raise InvalidInput(field, "must be an RFC 3339 date-time with a UTC offset")
    return (t - _EPOCH) // _MICROSECOND  # exact integer arithmetic, in C


def _pack_floats(values: tuple[float, ...]) -> bytes:
    return struct.pack(f"<{len(values)}d", *values)


def _pack_ints(values: tuple[int, ...]) -> bytes:
    return struct.pack(f"<{len(values)}q", *values)
